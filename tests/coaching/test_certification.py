"""The pure rules of certification (sparring.coaching.certification): bars, whether an attempt passes, attempts
left and the learner's status."""

from __future__ import annotations

import pytest

from sparring.coaching.certification import (
    BarError,
    CriterionResult,
    attempt_passes,
    attempts_left,
    check_attempt,
    check_bars,
    parse_bar,
    status,
)

RESULTS = [CriterionResult("asks", 0.7, 1.0, "partly"), CriterionResult("close", 4.0, 5.0, "met")]


def test_parse_bar_reads_a_share_or_met() -> None:
    assert parse_bar("asks=0.7") == ("asks", 0.7)
    assert parse_bar(" close = MET ") == ("close", "met")


@pytest.mark.parametrize("text, named", [("asks", "CRITERION=SHARE"), ("=0.5", "CRITERION=SHARE"),
                                         ("asks=1.5", "outside 0..1"), ("asks=high", "neither")])
def test_parse_bar_names_the_problem(text: str, named: str) -> None:
    with pytest.raises(BarError, match=named):
        parse_bar(text)


def test_check_bars_refuses_none_and_bad_values() -> None:
    with pytest.raises(BarError, match="at least one"):
        check_bars({})
    with pytest.raises(BarError, match="asks"):
        check_bars({"asks": True})
    assert check_bars({"asks": 1, "close": "met"}) == {"asks": 1.0, "close": "met"}


def test_an_attempt_passes_when_every_criterion_reaches_its_bar() -> None:
    assert attempt_passes({"asks": 0.7, "close": "met"}, RESULTS)  # 0.7 reaches 0.7 exactly
    assert not attempt_passes({"asks": 0.71, "close": "met"}, RESULTS)
    assert not attempt_passes({"asks": "met"}, RESULTS)  # partly is not met
    assert attempt_passes({"close": 0.8}, RESULTS)  # 4 of 5
    assert not attempt_passes({"missing": 0.1}, RESULTS)  # a criterion the scorecard lacks fails
    assert not attempt_passes({}, RESULTS)
    checks = check_attempt({"asks": "met", "missing": 0.1}, RESULTS)
    assert [(c.criterion_id, c.reached, c.shown) for c in checks] == [("asks", False, "partly"),
                                                                      ("missing", False, "-")]


def test_attempts_left_and_status() -> None:
    assert attempts_left(3, 1) == 2 and attempts_left(2, 5) == 0
    assert status(2, [], False) == "not_started"
    assert status(2, [None], False) == "in_progress"
    assert status(2, [False], False) == "retry"
    assert status(2, [False, False], False) == "out_of_attempts"
    assert status(2, [False, True], False) == "awaiting_sign_off"
    assert status(2, [False, True], True) == "certified"


def test_status_after_a_revocation_counts_only_the_attempts_since() -> None:
    # the results passed in are the attempts since the revocation; ``used`` counts every attempt
    assert status(2, [], False, revoked=True, used=1) == "revoked"
    assert status(2, [], False, revoked=True, used=2) == "revoked"  # no attempt since, whatever is left
    assert status(2, [None], False, revoked=True, used=2) == "in_progress"
    assert status(3, [False], False, revoked=True, used=2) == "retry"
    assert status(2, [False], False, revoked=True, used=2) == "out_of_attempts"  # a revocation gives none back
    assert status(3, [True], False, revoked=True, used=2) == "awaiting_sign_off"
    assert status(3, [True], True, revoked=True, used=2) == "certified"
