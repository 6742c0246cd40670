"""What an organisation export holds (docs/org-export.md): the tables, the columns left out, and how a row is
written as JSON and read back. Shared by ``services.org_export`` and ``services.org_import``.

The tables are found from the schema (``store.ownership``): every table whose rows deleting the organisation would
delete (``ON DELETE CASCADE`` chains from ``organisations``: ``turns`` → ``conversations`` → ``organisations``), less
``EXCLUDED``. tests/services/test_org_data.py fails when a table of the schema is in neither list, so a table added
later gets a decision (exported, or excluded with a reason) instead of silently riding along or being lost.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, DateTime, Float, Integer, String, Table, Text

from sparring.kernel.sealing import is_sealed
from sparring.store import ownership, sealing

FORMAT = "sparring-org-export"
VERSION = 1

#: tables left out of the export, and why (the organisation's own tables and the installation's)
EXCLUDED: dict[str, str] = {
    # credentials and sign-in state: a file holding them would let its reader sign in as the people in it; on the
    # new instance people sign in afresh (sessions), new codes are sent (challenges), recovery codes and API
    # tokens are made again
    "sessions": "sign-in sessions (secrets): everyone signs in again on the new instance",
    "login_challenges": "pending sign-in codes (secrets, minutes-long)",
    "recovery_codes": "second-factor recovery codes (hashes of secrets): made again with the second factor",
    "api_tokens": "API token hashes (secrets): an admin makes new tokens on the new instance",
    "login_failures": "sign-in throttling of the installation (by address), not an organisation's",
    "login_known_clients": "sign-in throttling of the installation (known browsers), not an organisation's",
    # machinery: transient rows of the instance that made them, meaningless (or harmful, if re-run) elsewhere
    "jobs": "background job queue of the source instance (payloads name its ids)",
    "integration_events": "the webhooks' outbox (kept 30 days): delivered or not by the source instance",
    "webhook_endpoints": "holds the signing secret and points the new instance's events at a receiver: "
                         "set webhooks up again",
    "webhook_deliveries": "delivery attempts of the source instance's outbox",
    "xapi_batches": "xAPI sends of the source instance to its LRS",
    "xapi_outbox": "what the source instance still had to send to its LRS",
    "notifications": "in-app inbox: links and once-only keys name the source instance's ids",
    # integrations whose other side is tied to this instance's addresses or holds its secrets
    "scim_tokens": "SCIM token hashes (secrets): an admin makes a new token and gives it to the identity provider",
    "lti_keys": "the tool's private signing keys (secrets): the new instance makes its own, and the platform "
                "reads them from its /lti/jwks",
    "lti_login_states": "single-use LTI login state and nonces (minutes-long)",
    "lti_launches": "course launches into the source instance (its reps, its addresses); the next launch from the "
                    "course makes a new one",
    "lti_scores": "grade deliveries of the source instance to the platform (machinery, like webhook deliveries)",
    "sso_pending": "single sign-ons in progress (state, nonce, PKCE verifier; minutes-long)",
}

#: columns written as null unless the export is made with credentials (``--include-credentials``): password hashes
#: (argon2) and the TOTP second factor. Without them people set a new password on the new instance (an admin:
#: ``sparring users set-password``) and enrol their second factor again.
CREDENTIALS: dict[str, tuple[str, ...]] = {
    "users": ("password_hash", "totp_secret", "totp_enabled_at", "totp_last_step"),
    # the OIDC client secret signs the organisation's sign-ins in at its identity provider
    "sso_providers": ("oidc_client_secret",),
}

#: columns sealed in the database (``store.sealing``): the file carries their plain value (unsealed on export; the
#: file is as sensitive as the database), and the import seals it with the target installation's key
SEALED: dict[tuple[str, str], str] = {(t, c): name for name in sealing.COLUMNS for t, c in [name.split(".", 1)]}

#: columns always written as null, and why
LEFT_OUT: dict[tuple[str, str], str] = {
    ("speech_takes", "audio_path"): "the kept recording is a file under the source's data folder, not in the export",
}

#: integer columns that hold another table's id without a foreign key (remapped on import like one)
SOFT_REFS: dict[tuple[str, str], str] = {
    ("reps", "scorecard_id"): "scorecards",  # the rep's newest scorecard (analytics roll-up)
    ("conversations", "scorecard_id"): "scorecards",  # the conversation's newest scorecard (analytics roll-up)
    ("call_summaries", "scorecard_id"): "scorecards",  # the scorecard the summary was made with
}


class RowError(ValueError):
    """A row of the file that cannot be imported (names the table, the row's index and the field)."""


@cache
def _owned(names: frozenset[str]) -> frozenset[str]:
    return frozenset(ownership.cascade_conditions("organisations", 0))


def owned_tables() -> list[Table]:
    """The tables an organisation's rows are in (parents before children), ``organisations`` first."""
    tables = ownership.tables()
    owned = _owned(frozenset(t.name for t in tables))  # the schema's tables: a plugin's added later count too
    return [t for t in tables if t.name in owned]


def exported_tables() -> list[Table]:
    """The tables of the export's ``tables`` (parents before children; ``organisations`` is the envelope's
    ``organisation``)."""
    return [t for t in owned_tables() if t.name not in EXCLUDED and t.name != "organisations"]


def surrogate_key(table: Table) -> Column[Any] | None:
    """The table's own integer key (new on import), or None when its key is made of references (e.g.
    ``team_members``) or text."""
    cols = list(table.primary_key.columns)
    if len(cols) == 1 and isinstance(cols[0].type, Integer) and not cols[0].foreign_keys:
        return cols[0]
    return None


def blanked(table: str, credentials: bool) -> set[str]:
    """The columns of ``table`` written as null."""
    out = {col for (t, col) in LEFT_OUT if t == table}
    if not credentials:
        out |= set(CREDENTIALS.get(table, ()))
    return out


def to_json(value: Any) -> Any:
    """A column's value as JSON (timestamps as ISO 8601 in UTC, days as YYYY-MM-DD)."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def from_json(table: str, index: int, col: Column[Any], value: Any) -> Any:
    """The value of ``col`` read from a row of the file, checked against the column's type; ``RowError`` names
    ``table[index].column`` and what is wrong."""
    where = f"{table}[{index}].{col.name}"
    if value is None:
        if not col.nullable:
            raise RowError(f"{where}: must not be null")
        return None
    kind = col.type
    try:
        if isinstance(kind, JSON):
            return value
        if isinstance(kind, Boolean):
            if not isinstance(value, bool):
                raise RowError(f"{where}: must be true or false (got {value!r:.40})")
            return value
        if isinstance(kind, Integer | BigInteger):
            if not isinstance(value, int) or isinstance(value, bool):
                raise RowError(f"{where}: must be a whole number (got {value!r:.40})")
            return value
        if isinstance(kind, Float):
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise RowError(f"{where}: must be a number (got {value!r:.40})")
            return float(value)
        if isinstance(kind, DateTime):
            if not isinstance(value, str):
                raise RowError(f"{where}: must be an ISO 8601 timestamp (got {value!r:.40})")
            when = datetime.fromisoformat(value)
            return when if when.tzinfo else when.replace(tzinfo=UTC)
        if isinstance(kind, Date):
            if not isinstance(value, str):
                raise RowError(f"{where}: must be a day, YYYY-MM-DD (got {value!r:.40})")
            return date.fromisoformat(value)
        if isinstance(kind, String | Text):
            if not isinstance(value, str):
                raise RowError(f"{where}: must be text (got {value!r:.40})")
            if kind.length is not None and len(value) > kind.length:
                raise RowError(f"{where}: longer than {kind.length} characters")
            return value
    except ValueError as exc:
        if isinstance(exc, RowError):
            raise
        raise RowError(f"{where}: {exc}") from None
    raise RowError(f"{where}: column type {kind} is not supported by the import")


def _column_schema(col: Column[Any]) -> dict[str, Any]:
    kind = col.type
    out: dict[str, Any]
    if isinstance(kind, JSON):
        out = {}
    elif isinstance(kind, Boolean):
        out = {"type": "boolean"}
    elif isinstance(kind, Integer | BigInteger):
        out = {"type": "integer"}
    elif isinstance(kind, Float):
        out = {"type": "number"}
    elif isinstance(kind, DateTime):
        out = {"type": "string", "format": "date-time"}
    elif isinstance(kind, Date):
        out = {"type": "string", "format": "date"}
    else:
        length = getattr(kind, "length", None)
        out = {"type": "string"} | ({"maxLength": length} if length else {})
    if col.nullable and "type" in out:
        out["type"] = [out["type"], "null"]
    refs = [f"{fk.column.table.name}.{fk.column.name}" for fk in col.foreign_keys]
    if refs:
        out["description"] = f"references {refs[0]}"
    return out


def _row_schema(table: Table) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": [c.name for c in table.columns],
            "properties": {c.name: _column_schema(c) for c in table.columns}}


def json_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of the export, generated from the schema (docs/org-export.schema.json)."""
    from sparring.store import migrate
    from sparring.store.models import Organisation

    org_table = Organisation.__table__
    assert isinstance(org_table, Table)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://sparring.example/schemas/org-export-v1.json",
        "title": "Sparring organisation export, version 1",
        "description": f"Generated from the database schema at revision {migrate.SCHEMA_HEAD} "
                       "(services.org_data.json_schema); docs/org-export.md describes every table.",
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "version", "schema_head", "exported_at", "credentials", "organisation", "tables"],
        "properties": {
            "format": {"const": FORMAT},
            "version": {"const": VERSION},
            "schema_head": {"type": "string", "description": "the database revision the export was made at"},
            "exported_at": {"type": "string", "format": "date-time"},
            "credentials": {"type": "boolean", "description": "whether password hashes and TOTP secrets are in"},
            "organisation": _row_schema(org_table),
            "tables": {
                "type": "object", "additionalProperties": False,
                "properties": {t.name: {"type": "array", "items": _row_schema(t)} for t in exported_tables()},
            },
        },
    }


def unsealed(table: str, row: Any, column: str) -> Any:
    """The value of ``column`` of a database row for the file: a sealed column's value unsealed (``UnsealError``
    naming the column and row when this installation's keys cannot open it)."""
    value = row[column]
    name = SEALED.get((table, column))
    if name is None or value is None:
        return value
    return sealing.unseal(value, name, row.get("id"))


def sealed(table: str, index: int, column: str, value: Any) -> Any:
    """The value of ``column`` read from the file for the database: a sealed column's plain value sealed with this
    installation's key. A value that is already sealed is refused (it would only open with the source's key)."""
    name = SEALED.get((table, column))
    if name is None or value is None:
        return value
    if is_sealed(value):
        raise RowError(f"{table}[{index}].{column}: holds a sealed value, which only the source installation's key "
                       "opens; export again with --include-credentials (it writes the plain value)")
    return sealing.seal(value, name)
