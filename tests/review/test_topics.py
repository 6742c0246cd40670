"""Objections by meaning (sparring.review.topics): the gate, the threshold and margin, the prototype file's errors,
and objections found by meaning where no word cue fires."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from sparring.review import topics
from sparring.review.cues import CueError, load_cues
from sparring.review.signals import objections
from sparring.review.topics import load_prototypes, objections_by_meaning, parse_prototypes, topics_by_meaning
from sparring.testing.turns import reads

CUES = load_cues()
AXES = ("money", "boss", "fine")


def _fake_embed(texts: Sequence[str]) -> np.ndarray:
    """One axis per keyword of ``AXES`` (plus a constant), L2-normalised: similarity = shared keywords."""
    rows = []
    for t in texts:
        low = t.lower()
        v = np.array([1.0 if w in low else 0.0 for w in AXES] + [0.3], dtype=np.float32)
        rows.append(v / np.linalg.norm(v))
    return np.stack(rows)


def _protos(**extra: list[str]) -> topics.Prototypes:
    data = {"pushback": ["but", "not"],
            "prototypes": {"price": ["money"], "competitor": ["zzz"], "timing": ["zzz"], "authority": ["boss"],
                           "need": ["zzz"], "none": ["fine"], **extra}}
    return parse_prototypes(data)


def test_the_nearest_prototype_names_the_topic_only_past_the_threshold_and_the_none_margin() -> None:
    protos = _protos()
    got = topics_by_meaning(["It is money we do not have.", "But my boss has to say yes.",
                             "But it is fine, money is fine.", "The money is there."], _fake_embed, protos)
    assert got[0] is not None and got[0][0] == "price"
    assert got[1] is not None and got[1][0] == "authority"
    assert got[2] is None  # as near to "none" as to price: no margin
    assert got[3] is None  # no pushback marker: never compared


def test_a_sentence_under_four_words_or_past_the_cap_is_not_compared(monkeypatch: pytest.MonkeyPatch) -> None:
    protos = _protos()
    assert topics_by_meaning(["Not money."], _fake_embed, protos) == [None]
    monkeypatch.setattr(topics, "MAX_SENTENCES", 1)
    got = topics_by_meaning(["Not the money we have.", "Not the money we have either."], _fake_embed, protos)
    assert got[0] is not None and got[1] is None


@pytest.mark.parametrize(("data", "field"), [
    ([], "top level"),
    ({"prototypes": {}}, "pushback"),
    ({"pushback": ["but"], "prototypes": {"price": ["x"], "weather": ["y"]}}, "unknown topic(s) weather"),
    ({"pushback": ["but"], "prototypes": {"price": ["x"]}}, "no sentences for competitor"),
    ({"pushback": ["but"], "prototypes": {t: ["x"] for t in ("competitor", "timing", "authority", "need", "none")}
      | {"price": ["ok", ""]}}, "prototypes.price[1]"),
])
def test_a_malformed_prototype_file_names_the_field(data: object, field: str) -> None:
    with pytest.raises(CueError, match=field.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        parse_prototypes(data)


def test_the_shipped_prototypes_load_and_cover_every_topic() -> None:
    protos = load_prototypes()
    assert set(protos.topics) == {"price", "competitor", "timing", "authority", "need", "none"}
    assert protos.pushback.search("but we already have one")


def test_an_objection_without_cue_words_is_found_by_meaning_and_handled_like_any_other() -> None:
    call = reads(
        ("rep", "The whole package is ninety a year.", {"quantified_value"}),
        ("them", "Anything over fifty grand goes past my brother, he writes the cheques, not me.", set()),
        ("rep", "What would he want to see before he says yes?", {"question_open"}),
        ("them", "Numbers, mostly.", set()),
    )
    assert objections(call, CUES, "Sam") == []  # no cue names it
    by_meaning = objections_by_meaning(call, CUES)  # the shipped embedder and prototypes
    assert {i: t for i, (_, t) in by_meaning.items()} == {1: "authority"}
    [found] = objections(call, CUES, "Sam", by_meaning)
    assert (found.kind, found.start, found.end, found.base) == ("objection_authority", 1, 3, 0.45)
    assert "Anything over fifty grand" in found.summary


def test_agreement_is_no_objection_by_meaning() -> None:
    call = reads(("rep", "Does Thursday suit you?", {"question_closed"}),
                 ("them", "Sure, Thursday at nine works for us, but not before.", set()))
    assert objections_by_meaning(call, CUES) == {}
