"""The call anonymiser of drills (sparring.coaching.anonymise, docs/drills.md "Anonymisation and its limits") on a
call of the dev split of the call corpus (corpus/calls/README.md; the frozen test split is never read) and on
hand-written lines: names, places, companies, contacts and figures are replaced, consistently, by invented ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sparring.coaching.anonymise import OTHER_NAMES, PERSON_NAMES, Anonymiser
from sparring.conversation.importers import read_transcript
from sparring.conversation.model import Conversation

DEV_CALL = Path(__file__).parents[2] / "corpus" / "calls" / "dev" / "cw1-renewal-harborline.vtt"
#: the names, place, companies and product tier the call mentions
NAMES = ["Marcus", "Delaney", "Ingrid", "Solberg", "Bergen", "Harborline", "Zendora"]


@pytest.fixture(scope="module")
def call() -> Conversation:
    conv = read_transcript(DEV_CALL, rep="Marcus Delaney", source="call")
    assert conv.speakers() == ["Marcus Delaney", "Ingrid Solberg"]
    return conv


def test_no_name_or_figure_of_the_dev_call_survives_cleaning(call: Conversation) -> None:
    anon = Anonymiser.for_call(call, salt="7")
    cleaned = [anon.clean(t.text) for t in call.turns]
    text = "\n".join(cleaned)
    assert [n for n in NAMES if re.search(rf"\b{n}\b", text)] == []
    assert [i for i, c in enumerate(cleaned) if anon.leaks(c)] == []
    assert "X%" in text  # "thirty percent", "25%"
    digits = {n for t in call.turns for n in re.findall(r"(?<![\w.,])\d[\d,.]*\d|(?<![\w.,])\d", t.text)}
    kept = set(re.findall(r"(?<![\w.,])\d[\d,.]*\d|(?<![\w.,])\d", text))
    assert not digits & kept


def test_the_same_original_gets_the_same_invented_name_and_none_is_from_the_call(call: Conversation) -> None:
    anon = Anonymiser.for_call(call, salt="7")
    assert anon.names["Ingrid Solberg"].split()[0] == anon.names["Ingrid"]
    assert anon.names["Marcus Delaney"] != anon.names["Ingrid Solberg"]
    invented = {w for n in anon.names.values() for w in n.split()}
    assert invented <= {w for n in (*PERSON_NAMES, *OTHER_NAMES) for w in n.split()}
    said = {w.lower() for t in call.turns for w in re.findall(r"[A-Za-z]+", t.text)}
    assert not {w.lower() for w in invented} & said
    again = Anonymiser.for_call(call, salt="7")
    assert again.names == anon.names  # deterministic: a drill made twice is the same content


def test_names_at_the_start_of_a_sentence_titles_and_possessives() -> None:
    conv = Conversation(source="call")
    conv.add("Rep", "learner", "Did you talk to Fatima about it? And what did Mr. Haddad say?")
    conv.add("Client", "counterpart", "Fatima's view is clear. Haddad wants a pilot with Brightwater Freight first.")
    anon = Anonymiser.for_call(conv)
    out = anon.clean(conv.turns[1].text) + " " + anon.clean(conv.turns[0].text)
    for gone in ("Fatima", "Haddad", "Brightwater", "Mr."):
        assert gone not in out, out
    assert "'s view is clear" in out  # the possessive stays on the invented name
    plain = "Can I ask? After March we talk. I'll send it."
    assert anon.clean(plain) == plain


@pytest.mark.parametrize(("said", "expected"), [
    ("We pay $110,000 a year.", "We pay $100,000 a year."),
    ("About 9% of the fleet.", "About X% of the fleet."),
    ("Since 2019 it has been slow.", "Since the 2010s it has been slow."),
    ("a hundred and ten thousand", "about 100,000"),
    ("one point one percent back", "X% back"),
    ("we have three depots", "we have three depots"),  # a small count in words is kept (a documented limit)
])
def test_figures(said: str, expected: str) -> None:
    conv = Conversation(source="call")
    conv.add("A", "counterpart", said)
    assert Anonymiser.for_call(conv).clean(said) == expected
