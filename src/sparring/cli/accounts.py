"""``sparring users create|list|set-password|sign-out|disable-2fa|erase``."""

from __future__ import annotations

import json
import sys

import typer
from rich.console import Console
from rich.table import Table

from sparring.cli import sso
from sparring.cli.context import root
from sparring.cli.errors import UserError
from sparring.cli.service_errors import service_errors

ROLES = ("learner", "manager", "admin")  # sparring.store.models.ROLES, without loading SQLAlchemy here


def _create(
    org: str = typer.Option(..., "--org", help="organisation (created if missing)"),
    email: str = typer.Option(..., "--email", help="e-mail address (unique across the installation)"),
    password: str = typer.Option(..., "--password", help="at least 12 characters, not a common or easily guessed one"),
    role: str = typer.Option("learner", "--role", help="learner | manager | admin"),
    team: str | None = typer.Option(None, "--team", help="team (created if missing)"),
    name: str = typer.Option("", "--name", help="display name"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Create a user, and the organisation and team if they do not exist."""

    if role not in ROLES:
        raise UserError(f"unknown role '{role}' (use one of: {', '.join(ROLES)})")
    with service_errors():
        user = root().accounts().create_user(org, email, password, role=role, team=team, name=name)
    if json_out:
        print(json.dumps(user.model_dump(mode="json")))
    else:
        where = f"{user.org_slug}" + (f", team {team}" if team else "")
        print(f"created {user.role} {user.email} (id {user.id}) in {where}")


def _list(
    org: str | None = typer.Option(None, "--org", help="only this organisation (slug or name)"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List users."""
    from sparring.services.accounts import slugify

    with service_errors():
        users = root().accounts().list_users()
    if org is not None:
        users = [u for u in users if u.org_slug == slugify(org)]
    if json_out:
        print(json.dumps([u.model_dump(mode="json") for u in users], indent=2))
        return
    table = Table(title="Users")
    for col in ("id", "email", "name", "role", "organisation", "active"):
        table.add_column(col)
    for u in users:
        table.add_row(str(u.id), u.email, u.name, u.role, u.org_slug, "yes" if u.is_active else "no")
    Console().print(table)


def _set_password(
    email: str = typer.Option(..., "--email", help="the user's e-mail"),
    password: str = typer.Option(
        ..., "--password", help="the new password (at least 12 characters, not a common or easily guessed one)"
    ),
) -> None:
    """Set a user's password (admin-driven reset)."""

    with service_errors():
        accounts = root().accounts()
        accounts.set_password(accounts.find_user(email).id, password)
    print(f"password set for {email.strip().lower()}")


def _sign_out(email: str = typer.Option(..., "--email", help="the user's e-mail")) -> None:
    """End every web session of a user at once (a lost device, a shared computer); they can sign in again."""
    from sparring.services.login_sessions import LoginSessions

    with service_errors():
        accounts = root().accounts()
        ended = LoginSessions().end_all(accounts.db, accounts.find_user(email).id, via="cli")
    print(f"ended {ended} session{'' if ended == 1 else 's'} of {email.strip().lower()}")


def _disable_2fa(email: str = typer.Option(..., "--email", help="the user's e-mail")) -> None:
    """Switch off a user's two-factor sign-in (a lost device without recovery codes); they can enrol again."""
    from sparring.services.second_factor import SecondFactor

    with service_errors():
        accounts = root().accounts()
        user = accounts.find_user(email)
        SecondFactor(accounts.db).disable(user.id)
    print(f"two-factor sign-in is off for {user.email}")


def _erase(
    email: str = typer.Option(..., "--email", help="the person's e-mail"),
    yes: bool = typer.Option(False, "--yes", help="erase; without it, only say what would be erased"),
    json_out: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Erase a person and everything of theirs, on request (docs/data-ownership.md): reps, calls, scorecards,
    recordings, lines, assignments, enrolments, certificates. Without --yes it only says what would go."""
    from sparring.services import erasure

    with service_errors():
        app = root()
        accounts = app.accounts()
        user = accounts.find_user(email)
        if yes:
            # the command line is the operator, not an admin of the organisation: no one to keep from erasing
            # themselves (0), but the organisation's last admin is still kept
            done = erasure.erase(accounts.db, user.org_id, user.id, 0, app.settings.data_dir, via="cli")
        else:
            with accounts.db.read() as s:
                done = erasure.plan(s, user.org_id, user.id, 0, app.settings.data_dir)
    if json_out:
        print(json.dumps({"erased": yes, "user_id": done.user_id, "email": done.email, "deleted": done.deleted,
                          "detached": done.detached, "files": done.files, "jobs": done.jobs,
                          "problems": done.problems}, indent=2))
        return
    rows = ", ".join(f"{n} {table}" for table, n in sorted(done.deleted.items()))
    print(f"{'erased' if yes else 'would erase'} {done.email}: {rows}; {len(done.files)} file(s), {done.jobs} job(s)")
    if done.detached:
        kept = ", ".join(f"{n} {table}" for table, n in sorted(done.detached.items()))
        print(f"kept without the reference to them (others' rows): {kept}")
    for problem in done.problems:
        print(f"could not delete a file, remove it by hand: {problem}", file=sys.stderr)
    if done.problems:
        raise typer.Exit(1)
    if not yes:
        print("nothing was changed: run again with --yes to erase")


def register(app: typer.Typer) -> None:
    users = typer.Typer(help="Manage users, teams and organisations.", no_args_is_help=True)
    users.command("create")(_create)
    users.command("list")(_list)
    users.command("set-password")(_set_password)
    users.command("sign-out")(_sign_out)
    users.command("disable-2fa")(_disable_2fa)
    users.command("erase")(_erase)
    app.add_typer(users, name="users")
    sso.register(app)  # the identity providers' commands sit with the accounts' (no entry point of their own)
