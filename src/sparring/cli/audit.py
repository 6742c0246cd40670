"""``sparring audit list [--org ORG] [--since DATE] [--until DATE] [--action A] [--actor TEXT] [--limit N] [--json]``:
an organisation's audit log, newest first (docs/data-ownership.md, "Audit log"). Registered by
``sparring.cli.exports.register`` (the data-ownership commands sit together; no entry point of its own)."""

from __future__ import annotations

import json
from typing import Any

import typer

from sparring.cli.service_errors import service_errors


def _list(
    org: str | None = typer.Option(None, "--org", help="the organisation's slug (default: the only one)"),
    since: str = typer.Option("", "--since", help="from this day, YYYY-MM-DD (UTC, inclusive)"),
    until: str = typer.Option("", "--until", help="up to this day, YYYY-MM-DD (UTC, inclusive)"),
    action: str = typer.Option("", "--action", help="only this action, e.g. user.erased"),
    actor: str = typer.Option("", "--actor", help="only rows whose actor's e-mail contains this"),
    limit: int = typer.Option(100, "--limit", min=1, max=10_000, help="at most this many rows"),
    json_out: bool = typer.Option(False, "--json", help='print [{"at", "actor", "action", "target_type", '
                                                       '"target_id", "via", "detail"}]'),
) -> None:
    """List the organisation's audit log, newest first."""
    from sparring.cli.context import root
    from sparring.services import audit, exports

    database = root().database
    with service_errors():
        with database.read() as s:
            scope = exports.operator_scope(s, org)
            filters = audit.Filters.parse(action, actor, since, until)
            rows: list[dict[str, Any]] = [{
                "at": audit.when(r).isoformat(), "actor": r.actor_label, "action": r.action,
                "target_type": r.target_type, "target_id": r.target_id, "via": r.via, "detail": r.detail or {}}
                for r in audit.page(s, scope.org_id, filters, 1, size=limit).rows]
        audit.record_reading(database, None, scope.org_id, "list", filters, via="cli")  # after: not in its own list
    if json_out:
        print(json.dumps(rows))
        return
    for r in rows:
        detail = audit.detail_text(r["detail"])
        print(f"{r['at']}  {r['actor']}  {r['action']}  {r['target_type']} {r['target_id']}  ({r['via']})"
              + (f"  {detail}" if detail else ""))
    if not rows:
        print("nothing logged")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="The audit log: who viewed or changed what.", no_args_is_help=True)
    group.command("list")(_list)
    app.add_typer(group, name="audit")
