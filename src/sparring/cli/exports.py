"""``sparring export csv`` (CONTRACT.md, "Exports"; docs/exports.md).

``export csv [--org ORG] --out DIR [--team T] [--user EMAIL] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
[--source practice|call|drill] [--scenario ID] [--program ID] [--json]`` writes ``reps.csv``, ``scorecards.csv`` and
``criterion_results.csv`` into DIR, streamed from the database. Without ``--org`` the only organisation is
exported (several: name one). ``--program ID`` keeps the conversations that count towards that program in its
progress (its learners' ended reps of its scenarios within its dates; ``sparring program show ID``).

``export xapi [--org ORG] --out FILE [--json]`` writes a JSON array of xAPI 1.0.3 statements (one per scored
attempt, one per criterion result; CONTRACT.md), streamed to FILE (docs/integrations.md, "xAPI").

``export scorm --scenario ID [--difficulty medium] [--version 1.2|2004] --base-url URL --out FILE.zip [--json]``
writes a SCORM package whose launch page opens the scenario in Sparring and reports the score back to the LMS
(docs/integrations.md, "SCORM"). ``--base-url`` defaults to SPARRING_PUBLIC_URL.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from sparring.cli.service_errors import service_errors


def _csv(
    out: Path = typer.Option(..., "--out", help="the folder to write reps.csv, scorecards.csv and "
                                                "criterion_results.csv into (created if missing)"),
    org: str | None = typer.Option(None, "--org", help="the organisation's slug (default: the only one)"),
    team: str = typer.Option("", "--team", help="only conversations stored for this team (its name)"),
    user: str = typer.Option("", "--user", help="only this user's conversations (their e-mail)"),
    date_from: str = typer.Option("", "--from", help="from this day, YYYY-MM-DD (UTC, inclusive)"),
    date_to: str = typer.Option("", "--to", help="up to this day, YYYY-MM-DD (UTC, inclusive)"),
    source: str = typer.Option("", "--source", help="practice | call | drill"),
    scenario: str = typer.Option("", "--scenario", help="only reps of this scenario (its id)"),
    program: str = typer.Option("", "--program", help="only the reps that count towards this program (its id)"),
    json_out: bool = typer.Option(False, "--json", help='print {"out", "files": {"reps.csv": rows, ...}}'),
) -> None:
    """Write reps, scorecards and criterion results as CSV files whose ids join."""
    from sparring.cli.context import root
    from sparring.services import exports

    request = exports.ExportRequest(team=team, user=user, date_from=date_from, date_to=date_to, source=source,
                                    scenario=scenario, program=program)
    with service_errors(), root().database.read() as s:
        scope = exports.operator_scope(s, org)
        flt = exports.parse_filter(s, scope, request)
        counts = exports.export_directory(s, scope, flt, out)
    files = {f"{kind}.csv": n for kind, n in counts.items()}
    if json_out:
        print(json.dumps({"out": str(out), "files": files}))
        return
    for name, n in files.items():
        print(f"{out / name}: {n} row{'' if n == 1 else 's'}")


def _xapi(
    out: Path = typer.Option(..., "--out", help="the file to write the JSON array of statements to"),
    org: str | None = typer.Option(None, "--org", help="the organisation's slug (default: the only one)"),
    json_out: bool = typer.Option(False, "--json", help='print {"out", "attempts", "statements"}'),
) -> None:
    """Write xAPI 1.0.3 statements as a JSON array: one per scored attempt, one per criterion result
    (docs/integrations.md, "xAPI")."""
    from sparring.cli.context import root
    from sparring.services import exports, xapi_export

    app = root()
    with service_errors(), app.database.read() as s:
        scope = exports.operator_scope(s, org)
        attempts, statements = xapi_export.export_file(s, scope, app.settings.public_url, out)
    if json_out:
        print(json.dumps({"out": str(out), "attempts": attempts, "statements": statements}))
        return
    print(f"{out}: {statements} statement{'' if statements == 1 else 's'} "
          f"({attempts} scored attempt{'' if attempts == 1 else 's'})")


def _scorm(
    scenario: str = typer.Option(..., "--scenario", help="the scenario's id (sparring scenarios list)"),
    out: Path = typer.Option(..., "--out", help="the zip file to write"),
    difficulty: str = typer.Option("medium", "--difficulty", help="easy | medium | hard"),
    version: str = typer.Option("1.2", "--version", help="the SCORM version: 1.2 or 2004 (4th Edition)"),
    base_url: str = typer.Option("", "--base-url", help="the address learners reach Sparring at "
                                                        "(default: SPARRING_PUBLIC_URL)"),
    json_out: bool = typer.Option(False, "--json", help='print {"out", "scenario", "difficulty", "version", '
                                                        '"base_url", "files"}'),
) -> None:
    """Write a SCORM 1.2 or 2004 package (a zip) that opens the scenario in Sparring and reports completion and
    score back to the LMS (docs/integrations.md, "SCORM")."""
    from sparring.cli.content import _scenarios
    from sparring.cli.context import root
    from sparring.cli.errors import fail
    from sparring.integrations import scorm

    if version not in scorm.VERSIONS:
        fail(f"--version: must be 1.2 or 2004, not {version!r}")
    base = base_url or root().settings.public_url or ""
    if not base:
        fail("--base-url: missing (the address learners reach Sparring at; or set SPARRING_PUBLIC_URL)")
    found = next((s for s in _scenarios() if s.id == scenario), None)
    if found is None:
        fail(f"--scenario: unknown scenario {scenario!r} (sparring scenarios list shows the ids)")
        return
    if difficulty not in found.difficulties:
        fail(f"--difficulty: {scenario} offers {', '.join(found.difficulties)}, not {difficulty!r}")
    spec = scorm.PackageSpec(found.id, found.title, difficulty, version, base)  # type: ignore[arg-type]
    try:
        files = scorm.package_files(spec)
        data = scorm.build_package(spec)
    except scorm.ScormError as exc:
        fail(f"--{exc.field}: {exc.message}" if exc.field in ("base-url", "difficulty", "version", "scenario")
             else str(exc))
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        fail(f"--out: cannot write {out}: {exc.strerror or exc}")
    if json_out:
        print(json.dumps({"out": str(out), "scenario": found.id, "difficulty": difficulty, "version": version,
                          "base_url": scorm.normalise_base(base), "files": sorted(files)}))
        return
    print(f"{out}: SCORM {version} package of {found.id} ({difficulty}), launching {scorm.normalise_base(base)}")


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Exports: reps, scorecards and criterion results as CSV; xAPI statements; "
                             "SCORM packages.",
                        no_args_is_help=True)
    group.command("csv")(_csv)
    group.command("xapi")(_xapi)
    group.command("scorm")(_scorm)
    app.add_typer(group, name="export")
    from sparring.cli import audit  # ``sparring audit list``: the audit log, beside the exports (data ownership)

    audit.register(app)
    from sparring.cli import org_data  # ``sparring org export|import``: the whole organisation, to move it

    org_data.register(app)
