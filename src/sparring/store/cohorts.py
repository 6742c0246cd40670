"""A cohort and the scored practice reps of its learners, in order (docs/analytics.md).

A **cohort** is a set of learners (user ids) of one organisation, optionally limited to a date range and to some
scenarios: a team, a program's enrolment or one learner are all cohorts, so the analytics
(``reports.analytics``), the early coaching needs (``coaching.coaching_needs``) and the sponsor report read the
same rows the same way. It lives in ``store`` because both ``reports`` and ``coaching`` read it and they may not
import each other.

``rep_windows`` numbers each learner's finished, scored practice reps (source ``practice`` or ``drill``) by time
inside the cohort's filter (1 = their first) and returns only the first ``first`` and the latest ``latest`` of
them, each with its current (newest) scorecard's criterion results. The numbering is a window function over
``reps`` alone: the current scorecard, its overall and passed and the privacy flag are the roll-up's copies
(``store.rep_rollup``), read from the covering index ``ix_reps_cohort``; only the reps inside the windows are
joined to their criterion results, so the cost grows with the cohort's size, not with its history's length times
its criteria.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Result, SQLColumnExpression, and_, func, or_, select, text
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import Over
from sqlalchemy.sql.functions import FunctionElement

from sparring.store.models import CriterionResultRow, Rep, ScorecardRow


@dataclass(frozen=True)
class Cohort:
    """Who and what the numbers are about. ``end`` is exclusive; ``scenario_ids`` None means every scenario.
    ``include_private=False`` (someone other than the learner looking) leaves the criterion detail of private
    reps and calls out of every number; counts and outcomes still include them, as the team dashboard does."""

    org_id: int
    user_ids: tuple[int, ...]
    start: datetime | None = None
    end: datetime | None = None
    scenario_ids: tuple[str, ...] | None = None
    include_private: bool = False

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end: must be after start")
        if self.scenario_ids is not None and not self.scenario_ids:
            raise ValueError("scenario_ids: give at least one scenario, or None for every scenario")

    @classmethod
    def of(cls, org_id: int, user_ids: Sequence[int], **kwargs: object) -> Cohort:
        return cls(org_id, tuple(sorted(set(user_ids))), **kwargs)  # type: ignore[arg-type]

    def rep_filter(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses on ``reps`` for this cohort's finished reps (not the scorecard or privacy ones)."""
        clauses: list[ColumnElement[bool]] = [Rep.org_id == self.org_id, Rep.user_id.in_(self.user_ids),
                                              Rep.outcome != "in_progress"]
        if self.start is not None:
            clauses.append(Rep.created_at >= self.start)
        if self.end is not None:
            clauses.append(Rep.created_at < self.end)
        if self.scenario_ids is not None:
            clauses.append(Rep.scenario_id.in_(self.scenario_ids))
        return clauses


class CriterionValue(NamedTuple):
    """One criterion of one scorecard, as a share of its maximum (0-100). A named tuple, not a dataclass: a program's
    windows hold tens of thousands of them, and a tuple is made several times faster."""

    criterion_id: str
    skill: str  # the criterion's skill, or its id when the rubric names none
    value: float
    verdict: str


@dataclass(slots=True)
class RepScores:
    """A scored rep in a learner's sequence: ``position`` 1 is their first rep in the cohort, ``total`` how many
    they have there. ``values`` leave out blockers and n/a criteria."""

    rep_id: int
    conversation_id: int
    user_id: int
    scenario_id: str
    created_at: datetime
    position: int
    total: int
    scorecard_id: int
    overall: float
    passed: bool
    values: list[CriterionValue] = field(default_factory=list)

    def by_key(self, key: str) -> dict[str, float]:
        """``key`` "criterion" → criterion id → value; "skill" → skill → the mean of its criteria in this rep."""
        if key == "criterion":
            return {v.criterion_id: v.value for v in self.values}
        groups: dict[str, list[float]] = {}
        for v in self.values:
            found = groups.get(v.skill)
            if found is None:
                groups[v.skill] = [v.value]
            else:
                found.append(v.value)
        return {k: vs[0] if len(vs) == 1 else sum(vs) / len(vs) for k, vs in groups.items()}


#: user id → that learner's reps in the windows asked for, oldest first (what ``rep_windows`` returns)
Windows = dict[int, list[RepScores]]


def current_scorecard_of(conversation_id: SQLColumnExpression[int]) -> ColumnElement[int]:
    """The id of the newest scorecard of a conversation (a correlated subquery on its index)."""
    card = aliased(ScorecardRow)
    return (select(func.max(card.id)).where(card.conversation_id == conversation_id).correlate_except(card)
            .scalar_subquery())


def without_jit(s: Session) -> None:
    """On PostgreSQL, no JIT compilation for the rest of this transaction. For a cohort of a few hundred learners
    the planner's cost of the window query crosses ``jit_above_cost`` (100,000 by default) and PostgreSQL then spends
    ~60 ms compiling a query whose execution takes about as long (bench/analytics.py, 250 learners: JIT 60 ms of
    197 ms); the results are the same either way. A no-op elsewhere."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SET LOCAL jit = off"))


#: rows fetched at a time by ``chunked``
ROWS_PER_FETCH = 2000


def chunked(result: Result[Any]) -> Iterator[Any]:
    """The rows of ``result``, fetched ``ROWS_PER_FETCH`` at a time: not all at once (``.all()``), so a program's
    12,500 rows are not all alive together (fewer objects for the garbage collector to walk), and not one by one
    (the driver's per-row fetch costs more than the row)."""
    for part in result.partitions(ROWS_PER_FETCH):
        yield from part


def rep_windows(s: Session, cohort: Cohort, first: int, latest: int = 0) -> Windows:
    """Each learner's first ``first`` and latest ``latest`` scored reps in the cohort (a rep in both windows once),
    oldest first: user id → reps. Learners without a scored rep are absent."""
    if not cohort.user_ids or (first <= 0 and latest <= 0):
        return {}
    # the roll-up's copies (store.rep_rollup): the current scorecard, its overall and passed, the privacy flag
    base_q = select(Rep.id.label("rep_id"), Rep.conversation_id, Rep.user_id, Rep.scenario_id, Rep.created_at,
                    Rep.scorecard_id.label("card_id"), Rep.overall, Rep.passed
                    ).where(*cohort.rep_filter(), Rep.scorecard_id.is_not(None))
    if not cohort.include_private:
        base_q = base_q.where(Rep.private.is_(False))
    base = base_q.subquery()
    # both numbers over one window — the learner's reps in order, the frame their whole sequence — so the database
    # numbers and counts them in one pass (PostgreSQL: one WindowAgg instead of two, and a window of first reps only
    # stops each learner's numbering at ``first``: 16 → 11 ms for the reps of 250 learners)
    def whole(fn: FunctionElement[int]) -> Over[int]:
        return fn.over(partition_by=base.c.user_id, order_by=(base.c.created_at, base.c.rep_id), rows=(None, None))

    ranked = select(base, whole(func.row_number()).label("pos"), whole(func.count()).label("total")).subquery()
    wanted = [ranked.c.pos <= first] if first > 0 else []
    if latest > 0:  # (without latest reps the condition is on the numbering alone: PostgreSQL stops it at ``first``)
        wanted.append(ranked.c.pos > ranked.c.total - latest)
    windowed = select(ranked).where(or_(*wanted)).subquery()
    without_jit(s)
    # through the session's connection (Core): the same rows as ``s.execute`` without the ORM's per-row work
    rows = s.connection().execute(
        select(windowed.c.rep_id, windowed.c.conversation_id, windowed.c.user_id, windowed.c.scenario_id,
               windowed.c.created_at, windowed.c.pos, windowed.c.total, windowed.c.card_id, windowed.c.overall,
               windowed.c.passed, CriterionResultRow.criterion_id, CriterionResultRow.skill,
               CriterionResultRow.score, CriterionResultRow.max, CriterionResultRow.verdict)
        .select_from(windowed)
        .outerjoin(CriterionResultRow, and_(CriterionResultRow.scorecard_id == windowed.c.card_id,
                                            CriterionResultRow.kind != "blocker",
                                            CriterionResultRow.verdict != "n/a", CriterionResultRow.max > 0))
        .order_by(windowed.c.user_id, windowed.c.pos, CriterionResultRow.criterion_id)
    )
    out: dict[int, list[RepScores]] = {}
    reps: list[RepScores] = []
    values: list[CriterionValue] = []
    last_rep = None
    for (rep_id, conv_id, user_id, scenario, created, pos, total, card_id, overall, passed, cid, skill, score,
         maximum, verdict) in chunked(rows):
        if rep_id != last_rep:  # the rows come by learner, then rep: a new rep starts here
            last_rep = rep_id
            reps = out.setdefault(user_id, [])
            reps.append(RepScores(rep_id, conv_id, user_id, scenario, created, int(pos), int(total), card_id,
                                  float(overall), bool(passed)))
            values = reps[-1].values
        if cid is not None:
            values.append(CriterionValue(cid, skill or cid, max(0.0, min(100.0, 100.0 * score / maximum)), verdict))
    return out
