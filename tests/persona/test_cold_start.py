"""The first persona line needs no embeddings: starting a rep must not import the heavy libraries.

A fresh interpreter loads the CLI, picks the engines, reads the scenario and its rubric and opens the rep the way
``sparring practice`` does, then reports what it imported. Timing lives in bench/persona.py; this test guards
the cause (an eager import added anywhere on the path shows up here).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "onnxruntime", "tokenizers", "pydantic_ai", "sklearn", "scipy", "alembic")

SNIPPET = f"""
import json, sys
import sparring.persona.moves as moves
moves.WARM_UP_DELAY_S = 3600  # keep the background warm-up out of the picture
import sparring.cli  # every command module, as the sparring entry point does
from sparring.cli.context import root
from sparring.content.library import builtin_rubric, builtin_scenario, get_library
persona = root().persona  # the scorer is built when the rep is scored, not before
scenario = builtin_scenario("cs-renewal-discount")
rubric = builtin_rubric(scenario.rubric)
opening = persona.open(scenario, "medium")
print(json.dumps({{
    "heavy": [m for m in {HEAVY!r} if m in sys.modules],
    "library_loaded": get_library.cache_info().currsize,
    "rubric": rubric.id,
    "opening": opening.text,
}}))
"""


def test_opening_a_rep_imports_no_embedding_model_llm_sdk_or_full_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARRING_LLM_PROVIDER", "none")
    out = subprocess.run([sys.executable, "-c", SNIPPET], capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["heavy"] == []
    assert report["library_loaded"] == 0, "a rep reads its own scenario and rubric files, not the whole library"
    assert report["rubric"] == "renewal-value" and report["opening"]
