"""Certification from the command line (docs/programs.md "Certification"; the operator acts, ``actor=None``):

- ``program certify PROGRAM_ID --scenario ID --difficulty D --attempts N --bar CRITERION=0.7 [--bar C=met...]
  [--json]``: set (or change) the program's certification.
- ``program sign-off PROGRAM_ID --user EMAIL``: issue the certificate of a learner whose attempt passed.
- ``program revoke PROGRAM_ID --user EMAIL --reason TEXT``: revoke a learner's certificate (it stays on record,
  revoked).
- ``program certification PROGRAM_ID [--json]``: each enrolled learner's attempts and status.
- ``certificates [--user EMAIL] [--program ID] [--json]``: the certificates issued, newest first; a revoked one says
  so, with its date and reason.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import typer

from sparring.cli.errors import UserError
from sparring.cli.service_errors import service_errors

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sparring.content.scenario import Scenario


def _user_id(s: Session, email: str) -> int:
    from sqlalchemy import select

    from sparring.services.accounts import normalise_email
    from sparring.services.errors import NotFound
    from sparring.store.models import User

    found = s.scalar(select(User.id).where(User.email == normalise_email(email)))
    if found is None:
        raise NotFound(f"user: unknown user {email.strip()[:120]}")
    return found


def certify(
    program_id: int = typer.Argument(..., help="the program's id"),
    scenario: str = typer.Option(..., "--scenario", help="the scenario every attempt is at"),
    difficulty: str = typer.Option(..., "--difficulty", help="easy, medium or hard"),
    attempts: int = typer.Option(..., "--attempts", help="attempts each learner has"),
    bar: list[str] = typer.Option(..., "--bar", help="CRITERION=SHARE (0-1 of its maximum) or CRITERION=met"),
    json_out: bool = typer.Option(False, "--json", help="print the certification as JSON"),
) -> None:
    """Set a program's certification: a fixed scenario and difficulty, a bar per criterion, max attempts."""
    from sparring.cli.context import root
    from sparring.coaching.certification import BarError, parse_bar
    from sparring.services import certification
    from sparring.services.content import ContentService

    try:
        bars = dict(parse_bar(b) for b in bar)
    except BarError as exc:
        raise UserError(f"--{exc}") from None
    if len(bars) != len(bar):
        raise UserError("--bar: each criterion once")
    database = root().database

    def scenario_for(org_id: int, scenario_id: str) -> Scenario:
        return ContentService(database, org_id).get_scenario(scenario_id)

    def criteria_for(org_id: int, found: Scenario) -> list[str]:
        return [c.id for c in ContentService(database, org_id).get_rubric(found.rubric).criteria]

    with service_errors(), database.session() as s:
        view = certification.configure(s, None, scenario_for, program_id, scenario_id=scenario,
                                       difficulty=difficulty, max_attempts=attempts, bars=bars,
                                       criteria_for=criteria_for)
    if json_out:
        print(json.dumps({"program_id": view.program_id, "scenario": view.scenario_id,
                          "difficulty": view.difficulty, "attempts": view.max_attempts, "bars": view.bars}))
        return
    shown = ", ".join(f"{c} {b if b == 'met' else f'>= {b:.2f}'}" for c, b in view.bars.items())
    print(f"program {view.program_id}: certification at {view.scenario_id} ({view.difficulty}), "
          f"{view.max_attempts} attempt{'' if view.max_attempts == 1 else 's'}; bars: {shown}")


def show(
    program_id: int = typer.Argument(..., help="the program's id"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Each enrolled learner's certification: attempts used and left, status."""
    from sparring.cli.context import root
    from sparring.services import certification

    with service_errors(), root().database.session() as s:
        rows = certification.program_status(s, None, program_id)
        configured = certification.certification_of(s, program_id) is not None
    if json_out:
        print(json.dumps([{"user": r.email, "used": r.used, "left": r.left, "status": r.status,
                           "passed_rep_id": r.passed_rep_id} for r in rows]))
        return
    if not configured:
        print(f"program {program_id} has no certification (sparring program certify)")
    for r in rows:
        print(f"{r.email}: {r.status.replace('_', ' ')}, {r.used} attempt{'' if r.used == 1 else 's'} used, "
              f"{r.left} left")


def sign_off(
    program_id: int = typer.Argument(..., help="the program's id"),
    user: str = typer.Option(..., "--user", help="the learner's e-mail"),
) -> None:
    """Issue the certificate of a learner whose certification attempt passed."""
    from sparring.cli.context import root
    from sparring.services import certification
    from sparring.services.certification_notices import enqueue_notices

    with service_errors(), root().database.session() as s:
        issued = certification.sign_off(s, None, program_id, _user_id(s, user))
    enqueue_notices(lambda: root().jobs, issued.program_id, f"issued:{issued.id}")
    print(f"certificate {issued.id}: {issued.email} is certified on {issued.program} "
          f"(rep {issued.rep_id}, {issued.issued_at:%Y-%m-%d})")


def revoke(
    program_id: int = typer.Argument(..., help="the program's id"),
    user: str = typer.Option(..., "--user", help="the learner's e-mail"),
    reason: str = typer.Option(..., "--reason", help="why the certificate is revoked (shown to the learner)"),
) -> None:
    """Revoke a learner's certificate, with a reason; it stays on record as revoked."""
    from sparring.cli.context import root
    from sparring.services import certification
    from sparring.services.certification_notices import enqueue_notices

    with service_errors(), root().database.session() as s:
        revoked = certification.revoke(s, None, program_id, _user_id(s, user), reason)
    enqueue_notices(lambda: root().jobs, revoked.program_id, f"revoked:{revoked.id}")
    assert revoked.revoked_at is not None
    print(f"certificate {revoked.id}: {revoked.email}'s certificate on {revoked.program} revoked "
          f"({revoked.revoked_at:%Y-%m-%d}): {revoked.revoked_reason}")


def certificates(
    user: str | None = typer.Option(None, "--user", help="only this learner's (an e-mail)"),
    program: int | None = typer.Option(None, "--program", help="only this program's"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """The certificates issued, newest first."""
    from sparring.cli.context import root
    from sparring.services import certification

    with service_errors(), root().database.session() as s:
        user_id = _user_id(s, user) if user is not None else None
        found = certification.list_certificates(s, None, user_id=user_id, program_id=program)
    if json_out:
        print(json.dumps([{"id": c.id, "program_id": c.program_id, "program": c.program, "user": c.email,
                           "rep_id": c.rep_id, "signed_off_by": c.signed_off_by,
                           "issued_at": c.issued_at.isoformat(),
                           "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
                           "revoked_by": c.revoked_by, "revoked_reason": c.revoked_reason} for c in found]))
        return
    if not found:
        print("no certificates")
    for c in found:
        revoked = (f"  REVOKED {c.revoked_at:%Y-%m-%d} by {c.revoked_by}: {c.revoked_reason}"
                   if c.revoked_at is not None else "")
        print(f"{c.issued_at:%Y-%m-%d}  {c.email}  {c.program} (program {c.program_id})  "
              f"signed off by {c.signed_off_by}{revoked}")


def register(app: typer.Typer) -> None:
    app.command("certificates")(certificates)
