"""``sparring serve`` and ``sparring demo``: run the web app (uvicorn), optionally with the demo organisation."""

from __future__ import annotations

import os
import socket

import typer

from sparring.cli.errors import UserError

#: two workers on a machine with two or more cores: on 2 cores they kept the web-load p95 lower than one worker
#: (docs/benchmarks.md, "Web load"); more is a deployment choice (--workers)
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _serve(host: str, port: int, workers: int) -> None:
    from sparring import server

    if not 1 <= port <= 65535:
        raise UserError(f"--port must be between 1 and 65535 (got {port})")
    _check_port(host, port)
    _preflight()
    typer.echo(f"Sparring is running on http://{host}:{port}  (Ctrl+C to stop)")
    server.run(host, port, workers)


def _preflight() -> None:
    """Read the settings and open (and if needed migrate) the database once, here, before any worker starts: a bad
    setting or an unreachable database then stops ``serve`` with one line naming it, instead of every worker
    failing at start and being restarted by uvicorn's supervisor for ever; and the workers never race to migrate."""
    from sparring.settings import get_settings
    from sparring.store.db import DatabaseError, get_database

    settings = get_settings()  # a bad value: pydantic's error, printed one line per setting (cli/errors.py)
    try:
        get_database(settings.resolved_database_url).ensure_migrated()
    except DatabaseError as exc:  # names the database and the driver's first line
        raise UserError(str(exc)) from None


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
        port: int = typer.Option(8000, "--port", help="port to listen on"),
        workers: int = typer.Option(DEFAULT_WORKERS, "--workers", min=1, max=64,
                                    help="worker processes (stateless; default: 2 when the machine has 2+ cores)"),
    ) -> None:
        """Run the web app."""
        _serve(host, port, workers)

    @app.command()
    def demo(
        host: str = typer.Option("127.0.0.1", "--host", help="address to listen on"),
        port: int = typer.Option(8000, "--port", help="port to listen on"),
        no_serve: bool = typer.Option(False, "--no-serve", help="seed the demo organisation and exit"),
    ) -> None:
        """Seed the demo organisation (idempotent), print its logins, and serve the web app."""
        from sparring.cli.context import root
        from sparring.services.demo import DEMO_ORG, seed_demo

        database = root().database
        typer.echo(f"Preparing the demo organisation '{DEMO_ORG}' ({database.describe()}) ...")
        result = seed_demo(database)
        calls = f"{result.calls} real calls and {result.loops} coaching loops" if result.calls else ""
        sprint = (f"a practice sprint (/programs/{result.program_id}) with {result.program_reps} reps so far"
                  if result.program_id else "")
        added = ", ".join(x for x in (calls, sprint) if x)
        if result.created:
            typer.echo(f"Created it with {result.reps} scored reps" + (f", {added}." if added else "."))
        else:
            typer.echo("It already exists" + (f"; added {added}." if added else "."))
        typer.echo(f"\nDemo logins (password for all: {result.logins[0][2]}):")
        for role, email, _password in result.logins:
            typer.echo(f"  {role:<8} {email}")
        typer.echo("")
        if not no_serve:
            _serve(host, port, 1)
