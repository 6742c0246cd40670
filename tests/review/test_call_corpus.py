"""The call corpus (corpus/calls/README.md) is usable for measuring the call review: every transcript imports with
the built-in readers, its key is well formed, the rep is a speaker, and every planted quote sits in exactly one turn
of the named speaker (after consecutive cues of one speaker are merged). Nothing is scored or tuned here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sparring.conversation.importers import read_transcript

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "calls"
KINDS = {"objection_price", "objection_competitor", "objection_timing", "objection_authority", "objection_need",
         "pain_not_explored", "competitor_not_explored", "disengaging", "monologue", "commitment_won",
         "commitment_lost"}
KEYS = sorted(CORPUS.glob("*/*.key.json"))


def test_the_split_is_by_writer_and_both_halves_are_there() -> None:
    splits = ("dev", "test", "holdout")
    writers = {split: {k.name.split("-")[0] for k in KEYS if k.parent.name == split} for split in splits}
    assert writers == {"dev": {"cw1"}, "test": {"cw2"}, "holdout": {"cw3"}}
    assert [sum(k.parent.name == split for k in KEYS) for split in splits] == [7, 7, 7]


@pytest.mark.parametrize("key_file", KEYS, ids=lambda p: p.name.removesuffix(".key.json"))
def test_each_call_imports_and_its_planted_quotes_are_in_one_turn(key_file: Path) -> None:
    key = json.loads(key_file.read_text(encoding="utf-8"))
    assert key["call_type"] in {"discovery", "renewal", "objection-heavy", "coaching", "consulting", "other"}
    assert key["outcome"] in {"won", "lost", "mixed"}
    call = read_transcript(key_file.parent / key["file"], rep=key["rep"])
    assert key["rep"] in call.speakers("learner")
    assert len(call.speakers()) >= 2
    planted = [*key["moments"], {**key["pivotal"], "kind": None, "speaker": None}]
    assert 3 <= len(key["moments"]) <= 12
    for moment in planted:
        assert moment["kind"] is None or moment["kind"] in KINDS
        holding = [t for t in call.turns if moment["quote"] in t.text]
        assert len(holding) == 1, f"{moment['quote']!r} is in {len(holding)} turns"
        assert moment["speaker"] in (None, holding[0].speaker)
