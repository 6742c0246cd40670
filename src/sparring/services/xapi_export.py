"""Scored attempts as xAPI statements (docs/integrations.md, "xAPI"): read from the store, shaped by
``sparring.integrations.xapi``, written to a file (``sparring export xapi``) or sent to an LRS
(``services.xapi_delivery``).

- A **scored attempt** is a rep (practice or drill) with a current scorecard (``reps.scorecard_id``, the
  roll-up's copy of the newest one). Real calls are not attempts at an activity and are not sent.
- **Programs** of an attempt: those it counts towards exactly as their progress counts it
  (``program_progress.counting_reps``: an enrolled learner's ended rep of one of the program's scenarios, started
  on one of its days). **Assignments**: the one the rep was submitted to, and those it counts towards
  (``coaching.assignments``: the assignee's rep of the assigned scenario, started after the assignment was made,
  at its difficulty or a harder one).
- A **private** rep sends its attempt statement (the score, as its managers see it) but not its criterion
  results, as the CSV export keeps them from everyone but the owner.

Everything streams: attempts are read ``BATCH`` at a time and written as they are shaped.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.coaching.programs import Plan
from sparring.integrations.xapi import Attempt, CriterionOutcome, StatementBuilder, write_json_array
from sparring.reports.exports import ExportScope
from sparring.services.errors import InvalidInput
from sparring.services.program_progress import counting_reps
from sparring.services.programs import enrolled_ids_query, program_view
from sparring.store.coaching_models import AssigneeRow, AssignmentRow
from sparring.store.models import DIFFICULTIES, ConversationRow, Rep, ScorecardRow
from sparring.store.program_models import ProgramRow

#: attempts read from the database at a time
BATCH = 500


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _criteria(document: dict[str, Any]) -> tuple[CriterionOutcome, ...]:
    out = []
    for c in document.get("criteria") or []:
        turns = sorted({int(e["turn"]) for e in c.get("evidence") or [] if isinstance(e.get("turn"), int)})
        out.append(CriterionOutcome(id=str(c["id"]), kind=str(c.get("kind", "")), score=float(c["score"]),
                                    max=float(c["max"]), verdict=str(c.get("verdict", "n/a")),
                                    evidence_turns=tuple(turns)))
    return tuple(out)


@dataclass(frozen=True)
class _RepKey:
    rep_id: int
    user_id: int
    scenario_id: str
    difficulty: str
    created_at: datetime


def _plans(db: Session, org_id: int) -> list[tuple[int, str, Plan]]:
    """The organisation's programs with a scenario, each with its plan (read once per export or delivery)."""
    out = []
    for row in db.scalars(select(ProgramRow).where(ProgramRow.org_id == org_id).order_by(ProgramRow.id)):
        plan = program_view(db, row).plan
        if plan.scenarios:
            out.append((row.id, row.name, plan))
    return out


def _programs_of(db: Session, plans: Sequence[tuple[int, str, Plan]], reps: Sequence[_RepKey]
                 ) -> dict[int, list[tuple[int, str]]]:
    """The programs each rep counts towards (their progress's own query, restricted to these reps)."""
    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    rep_ids = [r.rep_id for r in reps]
    for program_id, name, plan in plans:
        query = counting_reps(plan, enrolled_ids_query(program_id)).where(Rep.id.in_(rep_ids))
        for hit in db.execute(query):
            out[hit.id].append((program_id, name))
    return out


def _assignments_of(db: Session, reps: Sequence[_RepKey]) -> dict[int, list[tuple[int, str]]]:
    """The assignments each rep was submitted to or counts towards (``coaching.assignments``)."""
    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    users = sorted({r.user_id for r in reps})
    rows = db.execute(
        select(AssignmentRow.id, AssignmentRow.title, AssignmentRow.scenario_id, AssignmentRow.difficulty,
               AssignmentRow.created_at, AssigneeRow.user_id, AssigneeRow.submitted_rep_id)
        .join(AssigneeRow, AssigneeRow.assignment_id == AssignmentRow.id)
        .where(AssigneeRow.user_id.in_(users)).order_by(AssignmentRow.id)).all()
    for rep in reps:
        for a in rows:
            harder = DIFFICULTIES[DIFFICULTIES.index(a.difficulty):] if a.difficulty in DIFFICULTIES else ()
            counts = (a.user_id == rep.user_id and a.scenario_id == rep.scenario_id
                      and _utc(rep.created_at) >= _utc(a.created_at) and rep.difficulty in harder)
            if a.submitted_rep_id == rep.rep_id or counts:
                out[rep.rep_id].append((a.id, a.title))
    return out


def attempts(db: Session, scope: ExportScope, scorecard_ids: Iterable[int] | None = None) -> Iterator[Attempt]:
    """The scored attempts of ``scope``'s organisation (its users only, when it names them), oldest scorecard
    first; with ``scorecard_ids`` only those (still current) scorecards."""
    c, s = ConversationRow, ScorecardRow
    query = (select(Rep.id, Rep.user_id, Rep.scenario_id, Rep.scenario_version, Rep.difficulty, Rep.created_at,
                    c.source, c.title, c.private, c.started_at, c.ended_at, s.id.label("scorecard_id"),
                    s.rubric_id, s.rubric_version, s.overall, s.passed, s.document, s.created_at.label("scored"))
             .join(s, s.id == Rep.scorecard_id)
             .join(c, c.id == Rep.conversation_id)
             .where(Rep.org_id == scope.org_id)
             .order_by(s.id))
    if scope.user_ids is not None:
        query = query.where(Rep.user_id.in_(scope.user_ids))
    if scorecard_ids is not None:
        query = query.where(s.id.in_(sorted(set(scorecard_ids))))
    plans = _plans(db, scope.org_id)
    for chunk in db.execute(query.execution_options(yield_per=BATCH)).partitions():
        keys = [_RepKey(r.id, r.user_id, r.scenario_id, r.difficulty, r.created_at) for r in chunk]
        programs = _programs_of(db, plans, keys)
        assignments = _assignments_of(db, keys)
        for r in chunk:
            yield Attempt(
                rep_id=r.id, scorecard_id=r.scorecard_id, user_id=r.user_id, scenario_id=r.scenario_id,
                scenario_version=r.scenario_version, title=r.title or "", rubric_id=r.rubric_id,
                rubric_version=r.rubric_version, source=r.source, difficulty=r.difficulty, overall=float(r.overall),
                passed=bool(r.passed), scored_at=_utc(r.scored), started_at=r.started_at, ended_at=r.ended_at,
                criteria=() if r.private else _criteria(r.document or {}),
                programs=tuple(programs.get(r.id, ())), assignments=tuple(assignments.get(r.id, ())))


def export_file(db: Session, scope: ExportScope, home: str | None, out: Path) -> tuple[int, int]:
    """Write every statement of ``scope`` as a JSON array to ``out`` (through a temporary file renamed at the
    end, so a failed export leaves nothing half-written); the number of attempts and of statements."""
    if out.is_dir():
        raise InvalidInput(f"out: {out} is a folder; give a file name such as statements.json")
    if not out.parent.is_dir():
        raise InvalidInput(f"out: the folder {out.parent} does not exist")
    builder = StatementBuilder(home)
    partial = out.with_name(f".{out.name}.partial")
    counted = [0]

    def counting(items: Iterator[Attempt]) -> Iterator[Attempt]:
        for item in items:
            counted[0] += 1
            yield item

    try:
        with partial.open("w", encoding="utf-8") as handle:
            statements = write_json_array(builder.all_statements(counting(attempts(db, scope))), handle)
        os.replace(partial, out)
    except OSError as exc:
        raise InvalidInput(f"out: cannot write {out}: {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return counted[0], statements
