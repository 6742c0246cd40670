"""``sparring doctor``: configuration, endpoint checks with a short timeout, what each task will use."""

from __future__ import annotations

import json

import pytest

from sparring.cli import main
from sparring.settings import reset_settings_cache
from sparring.testing.llm import FakeOpenAI


def _doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    reset_settings_cache()
    rc = main(["doctor", "--json", *args])
    out, err = capsys.readouterr()
    return rc, json.loads(out), err


def test_doctor_without_llm_reports_embedded(capsys: pytest.CaptureFixture[str]) -> None:
    rc, report, _ = _doctor(capsys)
    assert rc == 0 and report["ok"]
    assert {t: r["engine"] for t, r in report["tasks"].items()} == {"persona": "embedded", "judge": "embedded",
                                                                          "drill": "embedded"}
    assert report["endpoints"] == []


def test_doctor_checks_a_local_endpoint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI
) -> None:
    monkeypatch.setenv("SPARRING_LLM_PROVIDER", "openai-compatible")
    monkeypatch.setenv("SPARRING_LLM_BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("SPARRING_LLM_API_KEY", "sk-should-never-be-printed")
    monkeypatch.setenv("SPARRING_PERSONA_MODEL", "fake-model")
    monkeypatch.setenv("SPARRING_JUDGE_MODEL", "missing-model")
    rc, report, err = _doctor(capsys)
    assert report["tasks"]["persona"]["engine"] == "llm:fake-model"
    assert report["tasks"]["persona"]["endpoint_ok"] is True
    assert report["tasks"]["judge"]["problem"] == "the endpoint does not list model 'missing-model'"
    assert len(report["endpoints"]) == 1 and report["endpoints"][0]["ok"]  # one check per distinct endpoint
    assert rc == 1 and "missing-model" in err
    assert "sk-should-never-be-printed" not in json.dumps(report) + err


def test_doctor_reports_an_endpoint_that_does_not_answer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPARRING_LLM_PROVIDER", "openai-compatible")
    monkeypatch.setenv("SPARRING_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("SPARRING_JUDGE_MODEL", "m")
    rc, report, err = _doctor(capsys, "--timeout", "0.5")
    assert rc == 1 and not report["ok"]
    assert report["endpoints"][0]["ok"] is False and report["endpoints"][0]["error"]
    assert err.startswith("sparring: doctor found problems:") and err.count("\n") == 1


def test_doctor_never_contacts_a_forbidden_cloud_endpoint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPARRING_LLM_PROVIDER", "openai")
    monkeypatch.setenv("SPARRING_LLM_API_KEY", "k")
    monkeypatch.setenv("SPARRING_JUDGE_MODEL", "gpt-4o-mini")
    monkeypatch.setenv("SPARRING_LLM_LOCAL_ONLY", "1")
    rc, report, _ = _doctor(capsys)  # the test network guard would raise if it tried
    assert rc == 1 and report["endpoints"] == []
    assert report["tasks"]["judge"]["engine"] == "embedded"
    assert "forbidden" in report["tasks"]["judge"]["problem"]
