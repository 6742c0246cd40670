"""``sparring content import PATH...``: validate, then store new content versions in the database."""

from __future__ import annotations

from pathlib import Path

import typer

from sparring.cli.service_errors import service_errors


def content_import(
    paths: list[Path] = typer.Argument(..., help="YAML files or directories"),
    draft: bool = typer.Option(False, "--draft", help="store unpublished (not used for new reps until published)"),
    org: str | None = typer.Option(None, "--org", help="only for this organisation (default: installation-wide)"),
) -> None:
    """Import scenarios and rubrics. Everything is validated first; invalid content is never half-loaded."""
    from sparring.cli.context import root

    with service_errors():
        app = root()
        svc = app.content  # `--org`: that organisation's own rows instead
        if org is not None:
            svc = svc.for_org(app.accounts().org_id(org))
        items = svc.import_paths(list(paths), publish=not draft)
    for it in items:
        status = "imported" if it.new else "unchanged"
        print(f"{status}: {it.kind} {it.id} version {it.version} ({it.file})")
    new = sum(it.new for it in items)
    print(f"{new} new version(s), {len(items) - new} unchanged")
