"""The cue file of the moment finder (review/data/cues.yaml, sparring.review.cues): how cues match, and that a
malformed file is refused with the field named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sparring.review.cues import CUES_PATH, OBJECTION_TOPICS, CueError, Phrases, load_cues, normalise, parse_cues


def test_contractions_are_spelled_out_so_one_spelling_of_a_cue_covers_both() -> None:
    assert normalise("We won\u2019t, I can't, we'll see, I'd rather not") == \
        "we will not, i can not, we will see, i would rather not"
    cues = Phrases(["we'll see", "can't afford"])
    assert cues.search("Yes. I understand. We will see what is possible.")
    assert cues.search("Honestly we cannot afford it")


def test_cues_match_whole_words_and_a_star_matches_a_word_ending() -> None:
    cues = Phrases(["frustrat*", "price"])
    assert cues.search("The team is frustrated")
    assert cues.search("it's frustrating")
    assert not cues.search("the prices")
    assert not cues.search("unfrustrated")


def test_whole_sentence_cues_match_only_a_sentence_made_of_them() -> None:
    cues = Phrases(["not interested"], whole=["no"])
    assert cues.search("No.")
    assert cues.search("no!")
    assert not cues.search("No problem at all.")
    assert cues.find("No.", whole=False) is None


@pytest.mark.parametrize(("sentence", "topic"), [
    ("That is way over our budget for next year.", "price"),
    ("The per-user fee is very high compared to what we pay today.", "price"),
    ("We already use Trackly and the team knows it.", "competitor"),
    ("From now until end of March nobody will touch it, we close the fiscal year.", "timing"),
    ("Any new vendor must be approved by our CEO.", "authority"),
    ("I am not the one who signs.", "authority"),
    ("Whatever I think, it is not me who decides.", "authority"),
    ("Honestly we don't really need another dashboard.", "need"),
    ("Hiring froze in March, so nothing new starts.", "timing"),
    ("With the move next month it's not a great time for us.", "timing"),
    ("I can't buy it without the owner approving it.", "authority"),
])
def test_each_objection_topic_is_recognised(sentence: str, topic: str) -> None:
    hit = load_cues().objection_topic(sentence)
    assert hit is not None and hit[0] == topic


@pytest.mark.parametrize("sentence", [
    "What's the price per seat?",
    "Price is not a problem for us.",
    "The board meets on Tuesday.",
    "We opened two new offices this year.",
])
def test_a_topic_word_without_resistance_is_no_objection(sentence: str) -> None:
    assert load_cues().objection_topic(sentence) is None


def test_the_shipped_file_has_every_topic_and_known_acts() -> None:
    cues = load_cues()
    assert {o.name for o in cues.objections} == set(OBJECTION_TOPICS)
    assert {"objection", "monologue", "disengaging", "commitment_lost"} <= set(cues.bears_on)
    assert "pressure" in cues.rep_words


def _shipped() -> dict:  # type: ignore[type-arg]
    data = yaml.safe_load(CUES_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_a_missing_topic_is_refused_with_the_field_named() -> None:
    data = _shipped()
    del data["objections"]["timing"]
    with pytest.raises(CueError, match=r"cues.yaml: objections: missing topic\(s\) timing"):
        parse_cues(data)


def test_an_unknown_act_is_refused_with_the_field_named() -> None:
    data = _shipped()
    data["handling"]["explored"]["acts"] = ["question_open", "ask_nicely"]
    with pytest.raises(CueError, match=r"handling.explored.acts: unknown act\(s\) ask_nicely"):
        parse_cues(data)


def test_a_word_yaml_reads_as_a_boolean_is_refused_with_its_position() -> None:
    data = _shipped()
    data["resistance"] = ["too", False]
    with pytest.raises(CueError, match=r"resistance\[1\]: False is not a non-empty string"):
        parse_cues(data)


def test_a_file_that_is_not_yaml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "cues.yaml"
    bad.write_text("objections: [unclosed", encoding="utf-8")
    with pytest.raises(CueError, match="not valid YAML"):
        load_cues(bad)
    with pytest.raises(CueError, match="cannot read"):
        load_cues(tmp_path / "missing.yaml")
