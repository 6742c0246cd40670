"""What the persona remembers of the learner's terms, and how success lines restate them."""

from __future__ import annotations

from typing import Any

from sparring.persona.listen import Turn
from sparring.persona.memory import memory, neutral_success, remember, restate, terms


def test_terms_finds_days_dates_durations_percentages_and_amounts() -> None:
    found = terms("Could we meet Thursday, or the 28th? On a two-year term I can do 5% and $80k.")
    assert found["day"] == ["thursday"]
    assert found["date"] == ["the 28th"]
    assert found["duration"] == ["two-year term"]
    assert found["percent"] == ["5%"]
    assert found["money"] == ["$80k"]


def _remembered(*lines: tuple[str, frozenset[str]]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for text, acts in lines:
        remember(extra, Turn(text=text, acts=acts, subject="we"))
    return extra


def test_success_lines_restate_the_learners_terms_not_invented_ones() -> None:
    extra = _remembered(("Let's check in on the 28th with Priya.", frozenset({"next_step_proposal"})))
    assert restate("Fine. Check in with me on the 30th.", extra) == "Fine. Check in with me on the 28th."
    # a day the learner never named would be invented: the line is not usable
    assert restate("Fine, Thursday it is.", extra) is None
    assert restate("Fine. Send it over.", extra) == "Fine. Send it over."
    assert "the 28th" in neutral_success(extra)
    assert memory(extra)["proposed"][0]["terms"]["date"] == ["the 28th"]
    assert memory(extra)["committed"]  # "we" proposed it


def test_the_latest_mention_of_a_kind_wins() -> None:
    extra = _remembered(("How about Tuesday?", frozenset({"next_step_proposal"})),
                        ("Actually, Thursday works better.", frozenset({"next_step_proposal"})))
    assert restate("See you Monday then.", extra) == "See you Thursday then."
    assert neutral_success({}) == "Okay. Let's do what you proposed. Send me the details."


def test_a_restated_term_is_capitalised_only_where_english_wants_it() -> None:
    extra = _remembered(("Could we talk next week?", frozenset({"next_step_proposal"})))
    line = "Okay. I'll put fifteen minutes in for Thursday after his staffing call."
    assert restate(line, extra) == "Okay. I'll put fifteen minutes in for next week after his staffing call."
    assert restate("Thursday works.", extra) == "Next week works."
    extra = _remembered(("Let's aim for the 3rd of march.", frozenset({"next_step_proposal"})))
    assert restate("Fine, the 30th it is.", extra) == "Fine, the 3rd of March it is."
