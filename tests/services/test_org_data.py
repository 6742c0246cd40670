"""What the organisation export holds (``services.org_data``): every table of the schema is either exported or
excluded with a reason — a table added later fails here until someone decides —, every exported table is in
docs/org-export.md, every integer column that names another row without a foreign key is declared, and no exported
row can be left pointing at a table that is not exported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, Table

from sparring.services import org_data
from sparring.store import ownership

DOCS = Path(__file__).resolve().parents[2] / "docs" / "org-export.md"
SCHEMA = DOCS.with_name("org-export.schema.json")

#: exported tables, reviewed: each was looked at for secrets and for ids of the source instance in its values.
#: A new table of the organisation's lands in neither this set nor ``org_data.EXCLUDED`` and fails the test below:
#: add it here (and to docs/org-export.md) or to ``EXCLUDED`` with the reason.
REVIEWED = {
    "teams", "users", "team_members", "assignments", "assignees", "audit_log", "content_versions", "conversations",
    "participants", "turns", "reps", "scorecards", "criterion_results", "call_summaries", "coaching_loops",
    "programs", "program_scenarios", "program_enrolments", "certifications", "certificates",
    "certification_attempts", "speech_takes", "team_lines", "turn_comments", "usage", "winning_lines",
    # provisioning and course links: ids and what the identity provider or platform sent, no secrets
    "scim_users", "scim_groups", "lti_registrations", "lti_user_links", "lti_contexts",
    # single sign-on: the providers (their client secret only with --include-credentials), linked identities and
    # the password switch
    "sso_providers", "sso_identities", "sso_org_settings",
    # the organisation's own retention periods and recordings switch: numbers and a flag, no secrets, no ids
    "org_retention",
}

#: integer ``*_id`` columns of exported tables that are not references to another row of the export
NOT_REFERENCES: set[tuple[str, str]] = set()


def test_every_table_is_exported_or_excluded_with_a_reason() -> None:
    exported = {t.name for t in org_data.exported_tables()}
    everything = {t.name for t in ownership.tables()} - {"organisations"}
    undecided = sorted(everything - exported - set(org_data.EXCLUDED))
    assert not undecided, (f"tables neither exported nor excluded: {undecided}; add them to "
                           "services/org_data.py EXCLUDED with the reason, or make them the organisation's")
    unreviewed = sorted(exported - REVIEWED)
    assert not unreviewed, (f"exported tables not reviewed: {unreviewed}; check them for secrets and source ids, "
                            "then add them to REVIEWED here and to docs/org-export.md (or exclude them)")
    assert not sorted(REVIEWED - exported), "REVIEWED names tables that are not exported"
    assert not sorted(set(org_data.EXCLUDED) - everything), "EXCLUDED names tables that do not exist"
    assert all(reason.strip() for reason in org_data.EXCLUDED.values())


def test_the_documentation_names_every_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    missing = [t for t in sorted(REVIEWED | set(org_data.EXCLUDED)) if f"`{t}`" not in text]
    assert not missing, f"docs/org-export.md does not describe {missing}"


def test_ids_without_a_foreign_key_are_declared() -> None:
    for table in org_data.exported_tables():
        for col in table.columns:
            if (isinstance(col.type, Integer) and col.name.endswith("_id") and not col.foreign_keys
                    and (table.name, col.name) not in NOT_REFERENCES):
                assert (table.name, col.name) in org_data.SOFT_REFS, (
                    f"{table.name}.{col.name} looks like a reference without a foreign key: declare it in "
                    "org_data.SOFT_REFS (remapped on import) or in NOT_REFERENCES here")
    for (table_name, col_name), target in org_data.SOFT_REFS.items():
        table = next(t for t in org_data.exported_tables() if t.name == table_name)
        assert table.c[col_name].nullable, f"{table_name}.{col_name}: filled in after the insert, must be nullable"
        assert target in {t.name for t in org_data.exported_tables()}


def test_no_exported_row_needs_a_row_that_is_not_exported() -> None:
    exported = {t.name for t in org_data.exported_tables()} | {"organisations"}
    for table in org_data.exported_tables():
        for fk in table.foreign_keys:
            target = fk.column.table.name
            assert target in exported or fk.parent.nullable, (
                f"{table.name}.{fk.parent.name} must name a row of {target}, which is not exported")
            if fk.column.table is table:
                assert fk.parent.nullable, f"{table.name}.{fk.parent.name}: a reference within the table is " \
                                           "filled in after the insert, must be nullable"
    for table, columns in org_data.CREDENTIALS.items():
        assert all(next(t for t in ownership.tables() if t.name == table).c[c].nullable for c in columns)


def _kind(col: Any) -> str:
    kind = col.type
    for cls, name in ((JSON, "JSON"), (Boolean, "bool"), (Integer, "int"), (Float, "number"), (DateTime, "timestamp"),
                      (Date, "day")):
        if isinstance(kind, cls):
            return name
    return "text"


def fields_line(table: Table) -> str:
    """The "Fields:" line docs/org-export.md has for ``table``."""
    parts = []
    for col in table.columns:
        text = f"`{col.name}` {_kind(col)}"
        if col.primary_key and not col.foreign_keys:
            text += " (key)"
        for fk in col.foreign_keys:
            text += f" → `{fk.column.table.name}`"
        if (table.name, col.name) in org_data.SOFT_REFS:
            text += f" → `{org_data.SOFT_REFS[(table.name, col.name)]}` (no foreign key)"
        parts.append(text + ("?" if col.nullable else ""))
    return "Fields: " + ", ".join(parts) + "."


def test_the_documentation_lists_every_field() -> None:
    text = DOCS.read_text(encoding="utf-8")
    organisations = next(t for t in ownership.tables() if t.name == "organisations")
    for table in [organisations, *org_data.exported_tables()]:
        heading = f"### `{table.name}`"
        assert heading in text, f"docs/org-export.md has no section {heading}"
        section = text.split(heading, 1)[1].split("\n### ", 1)[0]
        assert fields_line(table) in section, (f"docs/org-export.md, {heading}: the fields changed; the line is now\n"
                                               f"{fields_line(table)}")


def test_the_json_schema_file_is_current() -> None:
    on_disk = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert on_disk == org_data.json_schema(), (
        "docs/org-export.schema.json is stale: regenerate it with python -c 'import json; from sparring.services."
        "org_data import json_schema; print(json.dumps(json_schema(), indent=1))' > docs/org-export.schema.json")
