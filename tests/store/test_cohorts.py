"""``rep_windows``, ``reports.analytics.practice`` and ``reports.analytics.transfer`` read the roll-ups
(``store.rep_rollup``) and give exactly what the per-rep and per-call lookups they replaced gave (the queries before
migrations 0021 and 0031, kept below as the reference), on the same seeded cohort: reps scored once and re-scored
with another score, private and public, unscored, in progress, of several learners; calls before and after their
first rep, re-scored, private, unscored; every window size, with and without private reps, limited to dates and
scenarios."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import sparring_test_support as support
from sqlalchemy import ColumnElement, Float, and_, case, cast, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from sparring.conversation.model import Conversation
from sparring.reports.analytics import (
    MAX_REP_SECONDS,
    WINDOW,
    Outcomes,
    Practice,
    Transfer,
    compare,
    practice,
    transfer,
)
from sparring.services.accounts import Accounts
from sparring.services.conversation_store import store_call, store_scorecard
from sparring.services.practice import PracticeService
from sparring.store import rep_rollup
from sparring.store.cohorts import Cohort, CriterionValue, RepScores, Windows, current_scorecard_of, rep_windows
from sparring.store.db import Database
from sparring.store.models import ConversationRow, CriterionResultRow, Rep, ScorecardRow
from sparring.testing.fakes import FakePersona, FakeScorer

database_url = support.database_url
db = support.db


def windows_by_lookups(s: Session, cohort: Cohort, first: int, latest: int = 0) -> Windows:
    """``rep_windows`` as it was before the roll-up: the current scorecard and privacy looked up per rep."""
    if not cohort.user_ids or (first <= 0 and latest <= 0):
        return {}
    base_q = select(Rep.id.label("rep_id"), Rep.conversation_id, Rep.user_id, Rep.scenario_id, Rep.created_at,
                    current_scorecard_of(Rep.conversation_id).label("card_id")).where(*cohort.rep_filter())
    if not cohort.include_private:
        private = (select(ConversationRow.private).where(ConversationRow.id == Rep.conversation_id)
                   .scalar_subquery())
        base_q = base_q.where(private.is_(False))
    base = base_q.offset(0).subquery()
    ranked = (
        select(base, func.row_number().over(partition_by=base.c.user_id,
                                            order_by=(base.c.created_at, base.c.rep_id)).label("pos"),
               func.count().over(partition_by=base.c.user_id).label("total"))
        .where(base.c.card_id.is_not(None))
        .subquery()
    )
    windowed = select(ranked).where(or_(ranked.c.pos <= first, ranked.c.pos > ranked.c.total - latest)).subquery()
    rows = s.execute(
        select(windowed.c.rep_id, windowed.c.conversation_id, windowed.c.user_id, windowed.c.scenario_id,
               windowed.c.created_at, windowed.c.pos, windowed.c.total, ScorecardRow.id, ScorecardRow.overall,
               ScorecardRow.passed, CriterionResultRow.criterion_id, CriterionResultRow.skill,
               CriterionResultRow.kind, CriterionResultRow.score, CriterionResultRow.max, CriterionResultRow.verdict)
        .select_from(windowed)
        .join(ScorecardRow, ScorecardRow.id == windowed.c.card_id)
        .outerjoin(CriterionResultRow, and_(CriterionResultRow.scorecard_id == ScorecardRow.id,
                                            CriterionResultRow.kind != "blocker",
                                            CriterionResultRow.verdict != "n/a", CriterionResultRow.max > 0))
        .order_by(windowed.c.user_id, windowed.c.pos, CriterionResultRow.criterion_id)
    ).all()
    out: dict[int, list[RepScores]] = {}
    for (rep_id, conv_id, user_id, scenario, created, pos, total, card_id, overall, passed, cid, skill, _kind,
         score, maximum, verdict) in rows:
        reps = out.setdefault(user_id, [])
        if not reps or reps[-1].rep_id != rep_id:
            reps.append(RepScores(rep_id, conv_id, user_id, scenario, created, int(pos), int(total), card_id,
                                  float(overall), bool(passed)))
        if cid is not None:
            reps[-1].values.append(CriterionValue(cid, skill or cid, max(0.0, min(100.0, 100.0 * score / maximum)),
                                                  verdict))
    return out


def practice_by_lookups(s: Session, cohort: Cohort) -> Practice:
    """``practice`` as it was before the roll-up: each rep's time and verdict looked up per rep."""
    start, end = ConversationRow.started_at, ConversationRow.ended_at
    duration: ColumnElement[float] = cast(func.extract("epoch", end - start), Float) \
        if s.get_bind().dialect.name == "postgresql" else (func.julianday(end) - func.julianday(start)) * 86400.0
    capped = case((duration > MAX_REP_SECONDS, float(MAX_REP_SECONDS)), (duration < 0, 0.0), else_=duration)
    seconds = select(cast(capped, Float)).where(ConversationRow.id == Rep.conversation_id).scalar_subquery()
    card = aliased(ScorecardRow)
    passed = select(card.passed).where(card.id == current_scorecard_of(Rep.conversation_id)).scalar_subquery()
    reps = (select(Rep.user_id, Rep.outcome, seconds.label("seconds"), passed.label("passed"))
            .where(*cohort.rep_filter()).offset(0).subquery())
    out = Practice()
    for uid, outcome, verdict, n, secs, untimed in s.execute(
            select(reps.c.user_id, reps.c.outcome, reps.c.passed, func.count(), func.sum(reps.c.seconds),
                   func.sum(case((reps.c.seconds.is_(None), 1), else_=0)))
            .group_by(reps.c.user_id, reps.c.outcome, reps.c.passed)).all():
        mine = out.per_learner.setdefault(uid, Outcomes())
        for target in (mine, out.outcomes):
            setattr(target, outcome, getattr(target, outcome) + n)
            name = "unscored" if verdict is None else "passed" if verdict else "not_passed"
            setattr(target, name, getattr(target, name) + n)
        out.seconds += float(secs or 0)
        out.seconds_per_learner[uid] = out.seconds_per_learner.get(uid, 0.0) + float(secs or 0)
        out.untimed += int(untimed or 0)
    return out


def transfer_by_lookups(s: Session, cohort: Cohort) -> Transfer:
    """``transfer`` as it was before the calls' roll-up: each call's current scorecard looked up (``max(id)``)."""
    out = Transfer()
    firsts = rep_windows(s, cohort, first=WINDOW)
    if not firsts:
        return out
    practised = {v.criterion_id for mine in firsts.values() for r in mine if r.position <= WINDOW for v in r.values}
    started = {uid: reps[0].created_at for uid, reps in firsts.items()}
    calls_q = (
        select(ConversationRow.id, ConversationRow.user_id,
               func.coalesce(ConversationRow.started_at, ConversationRow.created_at).label("at"),
               current_scorecard_of(ConversationRow.id).label("card_id"))
        .where(ConversationRow.org_id == cohort.org_id, ConversationRow.user_id.in_(list(started)),
               ConversationRow.source == "call")
    )
    if not cohort.include_private:
        calls_q = calls_q.where(ConversationRow.private.is_(False))
    calls = calls_q.subquery()
    q = (select(calls.c.id, calls.c.user_id, calls.c.at, CriterionResultRow.criterion_id, CriterionResultRow.score,
                CriterionResultRow.max)
         .select_from(calls).join(CriterionResultRow, CriterionResultRow.scorecard_id == calls.c.card_id)
         .where(CriterionResultRow.kind != "blocker", CriterionResultRow.verdict != "n/a", CriterionResultRow.max > 0))
    pairs: dict[str, dict[int, tuple[list[float], list[float]]]] = defaultdict(dict)
    seen: tuple[set[int], set[int]] = (set(), set())
    for conv_id, uid, at, cid, score, maximum in s.execute(q).all():
        if cid not in practised:
            continue
        side = 0 if _aware(at) < _aware(started[uid]) else 1
        seen[side].add(conv_id)
        pair = pairs[cid].setdefault(uid, ([], []))
        pair[side].append(max(0.0, min(100.0, 100.0 * score / maximum)))
    out.calls_before, out.calls_after = len(seen[0]), len(seen[1])
    out.learners_with_calls = len({uid for per in pairs.values() for uid in per})
    for cid in sorted(pairs):
        found = compare(cid, pairs[cid], len(cohort.user_ids) == 1, single_unit="calls")
        if found is not None:
            out.by_criterion[cid] = found
    return out


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _transfer_json(t: Transfer) -> dict[str, object]:
    """What a page or the report shows of a transfer (means, intervals and counts, rounded as ``as_json`` does)."""
    return {"calls": (t.calls_before, t.calls_after, t.learners_with_calls),
            "by_criterion": {k: c.as_json() for k, c in t.by_criterion.items()}}


@pytest.fixture
def seeded(db: Database) -> Cohort:
    line = support.line_practice(db)
    plain = PracticeService(db, persona=FakePersona(), scorer=FakeScorer(), content=line.content)
    accounts = Accounts(db)
    users = [accounts.create_user("Acme", f"u{i}@acme.test", None, role="learner", team="East") for i in range(3)]
    for i, user in enumerate(users):
        for k in range(7 + i):
            rep_id = support.rep_with_scores(line, user, (k % 5) / 4, ((k + i) % 3) / 2, private=(k + i) % 4 == 0)
            if k % 3 == 1:
                plain.score_rep(rep_id)  # re-scored: the newer card is current
            if k == 5:
                line.set_private(rep_id, True)
        ended = line.start_rep(user, support.TEST_SCENARIO)  # ended, never scored
        line.end_rep(ended.id)
        line.start_rep(user, support.TEST_SCENARIO)  # in progress
    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with db.session() as s:  # lengths over the cap, negative and unknown, written directly (then the roll-up)
        convs = list(s.scalars(select(Rep.conversation_id).where(Rep.user_id == users[0].id).order_by(Rep.id)))
        for conv, seconds in zip(convs, [MAX_REP_SECONDS + 600, -30, None, 125.5], strict=False):
            s.execute(update(ConversationRow).where(ConversationRow.id == conv).values(
                started_at=base, ended_at=None if seconds is None else base + timedelta(seconds=seconds)))
        rep_rollup.refresh(s, convs)
    rubric = line.content_for(users[0].org_id).get_rubric("test-discovery")

    def call(text: str) -> Conversation:
        found = Conversation(source="call", title="Renewal call")
        found.add("Rep", "learner", text, 0.0, 3.0)
        found.add("Buyer", "counterpart", "Fine.", 3.0, 5.0)
        return found

    scorer = support.LineScorer()
    long_ago, later = datetime(2020, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=30)
    for i, user in enumerate(users):
        for k, (when, private) in enumerate([(long_ago, False), (long_ago, i == 1), (later, False), (later, True),
                                             (None, False)]):
            text = f"asks-questions={((i + k) % 5) / 4} next-step={((2 * i + k) % 3) / 2}"
            conv_id = store_call(db, user.id, call(text), scored=(rubric, scorer.score(call(text), rubric)),
                                 started_at=when, private=private)
            if k == 2:  # re-scored: the newer card is current
                with db.session() as s:
                    found = s.get(ConversationRow, conv_id)
                    assert found is not None
                    store_scorecard(s, found, rubric, scorer.score(call("asks-questions=1 next-step=1"), rubric))
        store_call(db, user.id, call("asks-questions=1"), started_at=later)  # never scored
    return Cohort.of(users[0].org_id, [u.id for u in users])


def test_windows_and_practice_equal_the_per_rep_lookups(db: Database, seeded: Cohort) -> None:
    now = datetime.now(UTC)
    variants = [seeded, Cohort.of(seeded.org_id, seeded.user_ids, include_private=True),
                Cohort.of(seeded.org_id, seeded.user_ids[:1]),
                Cohort.of(seeded.org_id, seeded.user_ids, scenario_ids=(support.TEST_SCENARIO,)),
                Cohort.of(seeded.org_id, seeded.user_ids, scenario_ids=("no-such-scenario",)),
                Cohort.of(seeded.org_id, seeded.user_ids, start=now - timedelta(days=1), end=now + timedelta(days=1)),
                Cohort.of(seeded.org_id, seeded.user_ids, start=now + timedelta(days=1))]
    with db.read() as s:
        for cohort in variants:
            for first, latest in ((3, 3), (5, 0), (10, 3), (1, 1), (0, 2), (0, 0)):
                assert rep_windows(s, cohort, first, latest) == windows_by_lookups(s, cohort, first, latest), \
                    (cohort, first, latest)
            assert _transfer_json(transfer(s, cohort)) == _transfer_json(transfer_by_lookups(s, cohort)), cohort
            found, old = practice(s, cohort), practice_by_lookups(s, cohort)
            assert (found.outcomes, found.per_learner, found.untimed) == (old.outcomes, old.per_learner, old.untimed)
            assert found.seconds == pytest.approx(old.seconds, abs=1e-6)
            assert found.seconds_per_learner == pytest.approx(old.seconds_per_learner, abs=1e-6)
        full = rep_windows(s, seeded, 20, 0)
    # the seeded data exercise what the roll-up replaced: re-scored reps, private ones left out, unscored ones
    assert sum(len(v) for v in full.values()) == sum(7 + i for i in range(3)) - sum(
        1 for i in range(3) for k in range(7 + i) if (k + i) % 4 == 0 or k == 5)
    with db.read() as s:  # and the calls what the transfer replaced: before and after, private ones left out
        everyone = transfer(s, seeded)
        assert (everyone.calls_before, everyone.calls_after) == (5, 6) and everyone.by_criterion
        mine = transfer(s, Cohort.of(seeded.org_id, seeded.user_ids, include_private=True))
        assert (mine.calls_before, mine.calls_after) == (6, 9)
