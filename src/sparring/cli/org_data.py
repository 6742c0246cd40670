"""``sparring org export --org SLUG --out FILE [--include-credentials]`` and ``sparring org import FILE``: everything of
an organisation as one JSON document, and that document made an organisation of another instance
(docs/org-export.md). Registered by ``sparring.cli.exports.register`` (the data-ownership commands sit together;
no entry point of its own)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from sparring.cli.errors import UserError
from sparring.cli.service_errors import service_errors


def _export(
    org: str = typer.Option(..., "--org", help="the organisation's slug"),
    out: Path = typer.Option(..., "--out", help="the file to write (JSON)"),
    include_credentials: bool = typer.Option(
        False, "--include-credentials",
        help="also write password hashes and second-factor secrets, so people sign in on the new instance as "
             "before (keep the file as safe as the database)"),
    json_out: bool = typer.Option(False, "--json", help='print {"org", "file", "rows": {table: count}}'),
) -> None:
    """Export everything of an organisation (docs/org-export.md)."""
    from sparring.cli.context import root
    from sparring.services import org_export

    if out.suffix.lower() != ".json":
        raise UserError(f"--out: {out}: give a .json file")
    partial = out.with_name(out.name + ".partial")
    try:
        with service_errors(), partial.open("w", encoding="utf-8") as fh:
            summary = org_export.export_org(root().database, org, fh, credentials=include_credentials)
        os.replace(partial, out)  # a finished file, or none: never half of one under the name asked for
    except OSError as exc:
        raise UserError(f"--out: {out}: cannot be written ({exc.strerror or exc})") from None
    finally:
        partial.unlink(missing_ok=True)
    if json_out:
        print(json.dumps({"org": summary.slug, "file": str(out), "rows": summary.rows}))
        return
    print(f"exported organisation {summary.slug}: {summary.total} rows in {len(summary.rows)} tables to {out}")


def _import(
    file: Path = typer.Argument(..., help="an export made by `sparring org export`"),
    json_out: bool = typer.Option(False, "--json", help='print {"org", "org_id", "rows": {table: count}, '
                                                       '"unlinked": {table.column: count}}'),
) -> None:
    """Import an organisation export into this instance (all of it, or nothing)."""
    from sparring.cli.context import root
    from sparring.services import org_import

    with service_errors():
        summary = org_import.import_org(root().database, org_import.read_file(file))
    if json_out:
        print(json.dumps({"org": summary.slug, "org_id": summary.org_id, "rows": summary.rows,
                          "unlinked": summary.unlinked}))
        return
    print(f"imported organisation {summary.slug}: {summary.total} rows")
    for label, count in sorted(summary.unlinked.items()):
        print(f"  {label}: {count} reference(s) to rows not in the file left empty")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Move an organisation between instances: export everything of it, import it.",
                        no_args_is_help=True)
    group.command("export")(_export)
    group.command("import")(_import)
    app.add_typer(group, name="org")
