"""CSV exports of conversations (practice reps, calls, drills), scorecards and criterion results (docs/exports.md).

Three files whose ids join: ``reps.csv`` (one row per conversation), ``scorecards.csv`` (one row per scorecard,
``conversation_id`` joins it to its rep) and ``criterion_results.csv`` (one row per criterion of a scorecard,
``scorecard_id`` and ``conversation_id`` join it); and ``certificates.csv`` (one row per certificate issued,
``rep_id`` joins it; a revoked certificate stays, with its revocation's date, who and why in the last columns).
Dates are ISO 8601 in UTC.

Everything is **streamed**: each file is one query read in batches of ``BATCH`` rows (``yield_per``: a
server-side cursor on PostgreSQL, ``fetchmany`` on SQLite) into the csv writer, so a million rows never sit in
memory; a test measures the peak.

Access rules are the caller's (``sparring.services.exports`` builds the ``ExportScope`` from a viewer); this module
only applies them: the users whose conversations are exported, and whose private conversations keep their
criterion detail to themselves. Cells that a spreadsheet would run as a formula are escaped (``safe_cell``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, TextIO, TypeAlias

from sqlalchemy import Boolean, ColumnElement, CompoundSelect, Select, and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from sparring.store.certification_models import CertificateRow
from sparring.store.models import ConversationRow, CriterionResultRow, Rep, ScorecardRow, Team, TeamMember, User
from sparring.store.program_models import ProgramRow

#: rows fetched from the database at a time
BATCH = 1000

#: a query of any columns (the export queries select 16 to 21)
Rows: TypeAlias = "Select[*tuple[Any, ...]]"

ExportKind = Literal["reps", "scorecards", "criterion_results", "certificates"]
KINDS: tuple[ExportKind, ...] = ("reps", "scorecards", "criterion_results", "certificates")
SOURCES = ("practice", "call", "drill")

#: the first characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"); tab and carriage
#: return too, since some programs strip them before looking
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

REPS_COLUMNS = (
    "conversation_id", "rep_id", "source", "user_id", "user_email", "team_id", "team", "scenario_id",
    "scenario_version", "difficulty", "outcome", "title", "rubric_id", "rubric_version", "private",
    "started_at", "ended_at", "created_at", "scorecard_id", "overall", "passed",
)
SCORECARDS_COLUMNS = (
    "scorecard_id", "conversation_id", "rep_id", "source", "user_id", "user_email", "team_id", "team",
    "scenario_id", "rubric_id", "rubric_version", "engine", "overall", "passed", "current", "created_at",
)
CRITERION_COLUMNS = (
    "criterion_result_id", "scorecard_id", "conversation_id", "rep_id", "source", "user_id", "user_email",
    "team_id", "team", "scenario_id", "rubric_id", "rubric_version", "criterion_id", "kind", "skill", "score",
    "max", "verdict", "current", "created_at",
)
CERTIFICATE_COLUMNS = (
    "certificate_id", "program_id", "program", "user_id", "user_email", "rep_id", "conversation_id", "scenario_id",
    "difficulty", "signed_off_by", "signed_off_by_email", "issued_at", "revoked_at", "revoked_by", "revoked_by_email",
    "revoked_reason",
)
COLUMNS: dict[ExportKind, tuple[str, ...]] = {
    "reps": REPS_COLUMNS, "scorecards": SCORECARDS_COLUMNS, "criterion_results": CRITERION_COLUMNS,
    "certificates": CERTIFICATE_COLUMNS,
}


@dataclass(frozen=True)
class ExportScope:
    """Whose data an export may contain. ``user_ids``: a query of the user ids whose conversations are exported
    (None: everyone in the organisation); ``viewer_id``: the person exporting — the criterion detail of a private
    conversation goes only to its owner (None: to nobody, e.g. the operator's command line)."""

    org_id: int
    user_ids: Select[Any] | CompoundSelect[Any] | None = None
    viewer_id: int | None = None


@dataclass(frozen=True)
class ExportFilter:
    """Which conversations an export contains, all conditions together. Dates are inclusive UTC days on the
    conversation's ``created_at``. ``conversation_ids``: an extra restriction as a query of conversation ids — the
    place for a program's filter (the conversations that count towards program P) and any later one."""

    team_id: int | None = None
    user_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    source: str | None = None
    scenario_id: str | None = None
    conversation_ids: Select[Any] | None = None


def safe_cell(value: object) -> object:
    """A value as a CSV cell: text that starts like a formula gets a leading apostrophe, so a spreadsheet shows it
    as text instead of running it (``=HYPERLINK(...)`` in a call title, ``-2+3`` in a line someone said);
    numbers, booleans and None are written as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def iso(value: datetime | None) -> str:
    """A timestamp in ISO 8601 UTC (SQLite returns naive datetimes that were stored as UTC)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _conditions(scope: ExportScope, flt: ExportFilter) -> list[ColumnElement[bool]]:
    c = ConversationRow
    conds: list[ColumnElement[bool]] = [c.org_id == scope.org_id]
    if scope.user_ids is not None:
        conds.append(c.user_id.in_(scope.user_ids))
    if flt.team_id is not None:
        conds.append(c.team_id == flt.team_id)
    if flt.user_id is not None:
        conds.append(c.user_id == flt.user_id)
    if flt.date_from is not None:
        conds.append(c.created_at >= _day_start(flt.date_from))
    if flt.date_to is not None:
        conds.append(c.created_at < _day_start(flt.date_to + timedelta(days=1)))
    if flt.source is not None:
        conds.append(c.source == flt.source)
    if flt.scenario_id is not None:
        conds.append(Rep.scenario_id == flt.scenario_id)
    if flt.conversation_ids is not None:
        conds.append(c.id.in_(flt.conversation_ids))
    return conds


def _newest_scorecard_id() -> Any:
    """The id of a conversation's current (newest) scorecard, as a correlated subquery on ``conversations``."""
    inner = aliased(ScorecardRow)
    return (select(func.max(inner.id)).where(inner.conversation_id == ConversationRow.id)
            .correlate(ConversationRow).scalar_subquery())


def _is_current(scorecard_id: Any) -> Any:
    """Whether a scorecard is its conversation's current one, as a boolean on both databases."""
    return type_coerce(scorecard_id == _newest_scorecard_id(), Boolean)


def _reps_query(scope: ExportScope, flt: ExportFilter) -> Rows:
    c = ConversationRow
    current = aliased(ScorecardRow)
    return (
        select(c.id, Rep.id, c.source, c.user_id, User.email, c.team_id, Team.name, Rep.scenario_id,
               Rep.scenario_version, Rep.difficulty, Rep.outcome, c.title, c.rubric_id, c.rubric_version,
               c.private, c.started_at, c.ended_at, c.created_at, current.id, current.overall, current.passed)
        .join(User, User.id == c.user_id)
        .outerjoin(Team, Team.id == c.team_id)
        .outerjoin(Rep, Rep.conversation_id == c.id)
        .outerjoin(current, current.id == _newest_scorecard_id())
        .where(*_conditions(scope, flt))
        .order_by(c.id)
    )


def _scorecards_query(scope: ExportScope, flt: ExportFilter) -> Rows:
    c, s = ConversationRow, ScorecardRow
    return (
        select(s.id, c.id, Rep.id, c.source, c.user_id, User.email, c.team_id, Team.name, Rep.scenario_id,
               s.rubric_id, s.rubric_version, s.engine, s.overall, s.passed, _is_current(s.id),
               s.created_at)
        .join(c, c.id == s.conversation_id)
        .join(User, User.id == c.user_id)
        .outerjoin(Team, Team.id == c.team_id)
        .outerjoin(Rep, Rep.conversation_id == c.id)
        .where(*_conditions(scope, flt))
        .order_by(s.id)
    )


def _criterion_query(scope: ExportScope, flt: ExportFilter) -> Rows:
    c, s, r = ConversationRow, ScorecardRow, CriterionResultRow
    # a private conversation keeps its criterion detail to its owner (services.access: others see the score only)
    detail = c.private.is_(False) if scope.viewer_id is None else or_(c.private.is_(False),
                                                                      c.user_id == scope.viewer_id)
    return (
        select(r.id, s.id, c.id, Rep.id, c.source, c.user_id, User.email, c.team_id, Team.name, Rep.scenario_id,
               s.rubric_id, s.rubric_version, r.criterion_id, r.kind, r.skill, r.score, r.max, r.verdict,
               _is_current(s.id), r.created_at)
        .join(s, s.id == r.scorecard_id)
        .join(c, c.id == r.conversation_id)
        .join(User, User.id == c.user_id)
        .outerjoin(Team, Team.id == c.team_id)
        .outerjoin(Rep, Rep.conversation_id == c.id)
        .where(and_(*_conditions(scope, flt)), detail)
        .order_by(r.id)
    )


def _certificates_query(scope: ExportScope, flt: ExportFilter) -> Rows:
    """Certificates (docs/programs.md "Certification"): the learner's filters apply to the certified learner, the
    dates to ``issued_at``, the source, scenario and conversation filters to the rep the certificate rests on."""
    cert, signer, revoker = CertificateRow, aliased(User), aliased(User)
    conds: list[ColumnElement[bool]] = [ProgramRow.org_id == scope.org_id]
    if scope.user_ids is not None:
        conds.append(cert.user_id.in_(scope.user_ids))
    if flt.team_id is not None:
        conds.append(cert.user_id.in_(select(TeamMember.user_id).where(TeamMember.team_id == flt.team_id)))
    if flt.user_id is not None:
        conds.append(cert.user_id == flt.user_id)
    if flt.date_from is not None:
        conds.append(cert.issued_at >= _day_start(flt.date_from))
    if flt.date_to is not None:
        conds.append(cert.issued_at < _day_start(flt.date_to + timedelta(days=1)))
    if flt.source is not None and flt.source != "practice":
        conds.append(cert.id.is_(None))  # a certificate rests on a practice rep
    if flt.scenario_id is not None:
        conds.append(Rep.scenario_id == flt.scenario_id)
    if flt.conversation_ids is not None:
        conds.append(Rep.conversation_id.in_(flt.conversation_ids))
    return (
        select(cert.id, ProgramRow.id, ProgramRow.name, cert.user_id, User.email, cert.rep_id, Rep.conversation_id,
               Rep.scenario_id, Rep.difficulty, cert.signed_off_by, signer.email, cert.issued_at, cert.revoked_at,
               cert.revoked_by, revoker.email, cert.revoked_reason)
        .join(ProgramRow, ProgramRow.id == cert.program_id)
        .join(User, User.id == cert.user_id)
        .outerjoin(signer, signer.id == cert.signed_off_by)
        .outerjoin(revoker, revoker.id == cert.revoked_by)
        .outerjoin(Rep, Rep.id == cert.rep_id)
        .where(*conds)
        .order_by(cert.id)
    )


_QUERIES: dict[ExportKind, Callable[[ExportScope, ExportFilter], Rows]] = {
    "reps": _reps_query, "scorecards": _scorecards_query, "criterion_results": _criterion_query,
    "certificates": _certificates_query,
}


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return safe_cell(value)


def export_rows(db: Session, kind: ExportKind, scope: ExportScope, flt: ExportFilter) -> Iterator[list[object]]:
    """The rows of one file (without the header), formatted as cells, read from the database ``BATCH`` at a time."""
    query = _QUERIES[kind](scope, flt).execution_options(yield_per=BATCH)
    for row in db.execute(query):
        yield [_cell(v) for v in row]


def write_csv(db: Session, kind: ExportKind, scope: ExportScope, flt: ExportFilter, out: TextIO) -> int:
    """Write one file (header first) to an open text file; the number of data rows written."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS[kind])
    count = 0
    for row in export_rows(db, kind, scope, flt):
        writer.writerow(row)
        count += 1
    return count


class _Line:
    """A file-like sink for ``csv.writer`` that keeps the last line written (for streaming over HTTP)."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text = text
        return len(text)


def csv_chunks(rows: Iterable[Iterable[object]], header: Iterable[str], lines_per_chunk: int = 500
               ) -> Iterator[str]:
    """CSV text in chunks of ``lines_per_chunk`` lines (a web response streams them as they come)."""
    line = _Line()
    writer = csv.writer(line, lineterminator="\r\n")
    writer.writerow(list(header))
    chunk = [line.text]
    for row in rows:
        writer.writerow(row)
        chunk.append(line.text)
        if len(chunk) >= lines_per_chunk:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)
