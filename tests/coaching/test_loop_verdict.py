"""The loop verdict on its own (sparring.coaching.loop_verdict): the rules of docs/loops.md at their edges."""

from __future__ import annotations

import pytest

from sparring.coaching import loop_verdict as lv
from sparring.coaching.loop_verdict import CallSample, CriterionScore, DrillSample, judge, linked_metrics
from sparring.content.library import get_library

RUBRIC = get_library().rubric("sales-objection-handling")
EXPLORE = "explore-objection"
MISSED, PARTLY, MET, NA = (CriterionScore(0, 1, "missed"), CriterionScore(0.5, 1, "partly"),
                           CriterionScore(1, 1, "met"), CriterionScore(0, 0, "n/a"))
# a rep who talks over two-thirds of the words, then a rep who talks about a third
TALKY = [(i % 2 == 0, 30 if i % 2 == 0 else 10) for i in range(20)]
QUIET = [(i % 2 == 0, 10 if i % 2 == 0 else 20) for i in range(20)]


def call(cid: int, score: CriterionScore | None, *, talk: float = 0.5, questions: int = 1,
         turns: list[tuple[bool, int]] | None = None, arose: bool = True) -> CallSample:
    return CallSample(cid, score, {"talk_share": talk, "question_count": questions, "open_question_share": 0.5},
                      turns or [], situation_arose=arose, situation_note="" if arose else "no objection came up")


def drills(*shares: float) -> list[DrillSample]:
    return [DrillSample(100 + i, CriterionScore(s, 1, "met" if s >= 1 else "missed" if s == 0 else "partly"),
                        {"question_count": 3}) for i, s in enumerate(shares)]


def test_linked_metrics_follow_the_criterion_acts_signals_skill_or_own_metric() -> None:
    assert linked_metrics(RUBRIC.criterion(EXPLORE)) == ["open_question_share", "question_count"]
    assert linked_metrics(RUBRIC.criterion("acknowledge-objection")) == ["reflection_to_question_ratio"]
    assert linked_metrics(RUBRIC.criterion("confirm-resolved")) == ["question_count", "open_question_share"]
    assert linked_metrics(RUBRIC.criterion("talk-share")) == ["talk_share", "longest_monologue_words"]
    assert linked_metrics(RUBRIC.criterion("advance")) == []  # a next step has no metric that counts it


def test_missed_then_met_is_improved_and_the_next_step_is_to_move_on() -> None:
    v = judge(RUBRIC, EXPLORE, call(1, MISSED, questions=0), drills(1, 1, 0.5), call(2, MET, questions=4))
    assert (v.verdict, v.next_step) == (lv.IMPROVED, lv.MOVE_ON)
    assert v.delta == 1.0 and v.drills.n == 3 and v.drills.best == 1.0
    assert v.drills.mean == pytest.approx(2.5 / 3)
    assert v.drills.interval is not None and v.drills.interval[0] < v.drills.mean < v.drills.interval[1] == 1.0
    q = next(m for m in v.metrics if m.name == "question_count")
    assert (q.original, q.drill_mean, q.new, q.change) == (0, 3, 4, "better")
    doc = v.as_json()
    assert doc["criterion"]["original"]["verdict"] == "missed" and doc["criterion"]["new"]["share"] == 1.0
    assert "went from missed (0/1) to met (1/1)" in v.reason and "3 drill reps" in v.reason


def test_not_improved_after_good_drills_is_a_transfer_gap_and_after_weak_drills_another_angle() -> None:
    good = judge(RUBRIC, EXPLORE, call(1, MISSED), drills(1, 1, 1), call(2, MISSED))
    assert (good.verdict, good.next_step) == (lv.NOT_IMPROVED, lv.LIVE)
    assert good.drills.sd == 0 and good.drills.interval == (1.0, 1.0)
    weak = judge(RUBRIC, EXPLORE, call(1, MISSED), drills(0, 0.5), call(2, MISSED))
    assert (weak.verdict, weak.next_step) == (lv.NOT_IMPROVED, lv.REPEAT)
    none = judge(RUBRIC, EXPLORE, call(1, PARTLY), [], call(2, MISSED))
    assert (none.verdict, none.next_step) == (lv.NOT_IMPROVED, lv.REPEAT) and "no drill reps" in none.next_step_reason
    one = judge(RUBRIC, EXPLORE, call(1, MISSED), drills(1), call(2, MISSED))  # one good rep is too few to tell
    assert one.next_step == lv.REPEAT and one.drills.interval is None and one.drills.sd is None
    assert "only one drill rep" in one.next_step_reason and "too few" in one.next_step_reason


@pytest.mark.parametrize(("new", "arose", "why"), [
    (NA, True, "did not apply"),
    (None, True, "was not scored"),
    (MET, False, "no objection came up"),
])
def test_not_enough_evidence_when_the_situation_did_not_come_up(new: CriterionScore | None, arose: bool,
                                                                  why: str) -> None:
    v = judge(RUBRIC, EXPLORE, call(1, MISSED), drills(1, 1), call(2, new, arose=arose))
    assert v.verdict == lv.NOT_ENOUGH and why in v.reason.lower() and v.next_step == lv.WATCH


def test_small_rises_are_within_the_noise_and_met_twice_has_nothing_to_show() -> None:
    scale = "value-response"  # 1..5: 2/5 → 2.5/5 stays "missed"; 2/5 → 3/5 one step to "partly"
    small = judge(RUBRIC, scale, call(1, CriterionScore(2, 5, "missed")), [], call(2, CriterionScore(2.5, 5, "missed")))
    assert small.verdict == lv.NOT_ENOUGH and "within the noise" in small.reason
    step = judge(RUBRIC, scale, call(1, CriterionScore(2, 5, "missed")), [], call(2, CriterionScore(3, 5, "partly")))
    assert step.verdict == lv.IMPROVED
    assert small.next_step == lv.WATCH and "within the noise" in small.next_step_reason
    twice = judge(RUBRIC, EXPLORE, call(1, MET), [], call(2, MET))
    assert (twice.verdict, twice.next_step) == (lv.NOT_ENOUGH, lv.MOVE_ON) and "both calls" in twice.next_step_reason
    assert judge(RUBRIC, EXPLORE, call(1, MET), [], call(2, PARTLY)).verdict == lv.NOT_IMPROVED


def test_a_metric_criterion_needs_its_metric_to_change_clearly() -> None:
    crit = "talk-share"  # band 0.3–0.6
    clear = judge(RUBRIC, crit, call(1, MISSED, talk=0.75, turns=TALKY), [],
                  call(2, MET, talk=0.33, turns=QUIET))
    assert clear.verdict == lv.IMPROVED
    talk = clear.metrics[0]
    assert talk.name == "talk_share" and talk.change == "better" and talk.target == "within 0.3–0.6"
    assert talk.interval is not None and talk.interval[0] < talk.delta < talk.interval[1] < 0  # type: ignore[operator]
    worse = lv.metric_change("talk_share", call(1, MISSED, talk=0.33, turns=QUIET), [],
                             call(2, MISSED, talk=0.75, turns=TALKY), (0.3, 0.6))
    assert worse.change == "worse"  # out of the band, clearly
    inside = lv.metric_change("talk_share", call(1, MET, talk=0.35, turns=QUIET), [],
                              call(2, MET, talk=0.55, turns=TALKY), (0.3, 0.6))
    assert inside.change == "no clear change"  # it moved, but stayed inside the band: neither better nor worse
    # the same verdicts, but the turns cannot tell the two calls apart: within the noise
    noisy = judge(RUBRIC, crit, call(1, MISSED, talk=0.62, turns=TALKY[:4]), [],
                  call(2, MET, talk=0.58, turns=TALKY[:4]))
    assert noisy.verdict == lv.NOT_ENOUGH and "talk_share" in noisy.reason


def test_the_bootstrap_is_repeatable_and_needs_turns() -> None:
    a = lv.bootstrap_talk_share_delta(TALKY, QUIET)
    assert a == lv.bootstrap_talk_share_delta(TALKY, QUIET) and a is not None and a[1] < 0
    assert lv.bootstrap_talk_share_delta([(True, 5)], QUIET) is None


def test_metric_change_reads_missing_metrics_as_not_available() -> None:
    m = lv.metric_change("longest_monologue_seconds", call(1, MISSED), [], call(2, MET), None)
    assert m.change == "n/a" and m.delta is None and m.target == "lower is better"
