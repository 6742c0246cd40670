"""Audio fixtures: a two-speaker call synthesised once per session with espeak-ng and sox
(``sparring.testing.speech``); skipped (a failure when CI=true) when the ``[asr]`` extra or those tools are
missing."""

from __future__ import annotations

import pytest

from sparring.testing.speech import CALL_SCRIPT, SynthCall, need_asr, synthesize_call


@pytest.fixture(scope="session")
def synth_call(tmp_path_factory: pytest.TempPathFactory) -> SynthCall:
    need_asr()
    return synthesize_call(CALL_SCRIPT, tmp_path_factory.mktemp("audio") / "call.wav")
