"""The CSV export use case (docs/exports.md): who may export what, and the filters as people type them.

- ``viewer_scope``: a manager exports the conversations of the learners in their teams (and their own), an admin
  their whole organisation; a learner exports nothing here (NotFound, like every page they may not see).
- ``operator_scope``: the command line (the local operator) exports one organisation, ``--org`` or the only one.
- ``parse_filter``: team name, user e-mail, dates, source, scenario and program id as typed, checked against the
  scope, into an ``ExportFilter``; InvalidInput names the bad field. A program keeps exactly the conversations that
  count towards it in its progress (``program_progress.counting_conversation_ids``: its learners' ended reps of its
  scenarios within its dates); one the exporter may not see is unknown, like one that does not exist.
- ``export_directory``: the three files into a folder, each written to a temporary name and renamed at the end,
  so a failed export leaves no half-written file behind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from sparring.inputs import InputError, clean_text, is_db_id
from sparring.reports.exports import KINDS, SOURCES, ExportFilter, ExportKind, ExportScope, write_csv
from sparring.services.access import Viewer, managed_team_ids, visible_user_ids_query
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.form_values import parse_day
from sparring.services.program_progress import counting_conversation_ids
from sparring.store.models import Organisation, Team, User
from sparring.store.program_models import ProgramRow


@dataclass(frozen=True)
class ExportRequest:
    """The filters as typed (CLI options, a web form's query string); empty means no condition."""

    team: str = ""
    user: str = ""
    date_from: str = ""
    date_to: str = ""
    source: str = ""
    scenario: str = ""
    program: str = ""


def viewer_scope(db: Session, viewer: Viewer) -> ExportScope:
    if not viewer.is_manager:
        raise NotFound("only managers and admins export")
    if viewer.is_admin:
        return ExportScope(org_id=viewer.org_id, viewer_id=viewer.id)
    return ExportScope(org_id=viewer.org_id, user_ids=visible_user_ids_query(viewer), viewer_id=viewer.id)


def operator_scope(db: Session, org: str | None) -> ExportScope:
    """The organisation ``org`` (its slug), or the only one there is."""
    if org:
        org_id = db.scalar(select(Organisation.id).where(Organisation.slug == org.strip().lower()))
        if org_id is None:
            raise NotFound(f"org: no organisation '{org.strip()[:80]}'")
        return ExportScope(org_id=org_id)
    slugs = list(db.scalars(select(Organisation.slug).order_by(Organisation.slug).limit(3)))
    if len(slugs) != 1:
        raise InvalidInput("org: no organisation yet" if not slugs else
                           f"org: there are several organisations ({', '.join(slugs[:2])}, ...); name one with --org")
    return operator_scope(db, slugs[0])


def _text(value: str, field: str, max_chars: int) -> str:
    try:
        return clean_text(value, field, max_chars=max_chars).strip()
    except InputError as exc:
        raise InvalidInput(str(exc)) from None


def parse_filter(db: Session, scope: ExportScope, request: ExportRequest, viewer: Viewer | None = None
                 ) -> ExportFilter:
    """The request as an ``ExportFilter`` for ``scope``. A team or user the exporter may not see is reported as
    unknown, exactly like one that does not exist."""
    team_name = _text(request.team, "team", 200)
    email = _text(request.user, "user", 320).lower()
    source = _text(request.source, "source", 20).lower()
    scenario = _text(request.scenario, "scenario", 80)
    date_from = parse_day(request.date_from, "from", optional=True)
    date_to = parse_day(request.date_to, "to", optional=True)
    if date_from and date_to and date_from > date_to:
        raise InvalidInput(f"from: {date_from.isoformat()} is after to: {date_to.isoformat()}")
    if source and source not in SOURCES:
        raise InvalidInput(f"source: use one of {', '.join(SOURCES)} (got {source[:20]!r})")
    team_id = user_id = None
    if team_name:
        team_id = db.scalar(select(Team.id).where(Team.org_id == scope.org_id, Team.name == team_name))
        if team_id is not None and viewer is not None and team_id not in managed_team_ids(db, viewer):
            team_id = None
        if team_id is None:
            raise NotFound(f"team: no team '{team_name[:80]}'")
    if email:
        user_id = db.scalar(select(User.id).where(User.org_id == scope.org_id, User.email == email))
        if user_id is not None and scope.user_ids is not None:
            visible = scope.user_ids.subquery()
            if not db.scalar(select(exists().where(visible.c.id == user_id))):
                user_id = None
        if user_id is None:
            raise NotFound(f"user: no user '{email[:80]}'")
    return ExportFilter(team_id=team_id, user_id=user_id, date_from=date_from, date_to=date_to,
                        source=source or None, scenario_id=scenario or None,
                        conversation_ids=_program(db, scope, request.program, viewer))


def _program(db: Session, scope: ExportScope, text: str, viewer: Viewer | None) -> Select[Any] | None:
    """The conversations counting towards program ``text`` (an id), or None when no program is asked for."""
    text = _text(text, "program", 20)
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not is_db_id(int(text)):
        raise InvalidInput(f"program: give a program's id, a number (got {text[:20]!r})")
    program_id = int(text)
    row = db.get(ProgramRow, program_id)
    if row is None or row.org_id != scope.org_id:
        raise NotFound(f"program: no program {program_id}")
    try:
        return counting_conversation_ids(db, viewer, program_id)
    except NotFound:
        raise NotFound(f"program: no program {program_id}") from None


def export_directory(db: Session, scope: ExportScope, flt: ExportFilter, out: Path) -> dict[ExportKind, int]:
    """Write ``reps.csv``, ``scorecards.csv``, ``criterion_results.csv`` and ``certificates.csv`` into ``out``
    (created if missing); the number of rows of each. Each file goes to a temporary name first and is renamed once
    all are done."""
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"out: {out} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"out: cannot create {out}: {exc.strerror}") from None
    counts: dict[ExportKind, int] = {}
    written: list[Path] = []
    try:
        for kind in KINDS:
            partial = out / f".{kind}.csv.partial"
            written.append(partial)
            with partial.open("w", encoding="utf-8", newline="") as handle:
                counts[kind] = write_csv(db, kind, scope, flt, handle)
        for kind in KINDS:
            os.replace(out / f".{kind}.csv.partial", out / f"{kind}.csv")
    finally:
        for path in written:
            path.unlink(missing_ok=True)
    return counts
