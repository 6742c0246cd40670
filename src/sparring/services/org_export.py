"""Exporting everything of an organisation as one JSON document (issue 16 item 6; docs/org-export.md).

The document is a versioned envelope — ``format``, ``version``, ``schema_head``, ``exported_at``, ``credentials``,
``organisation`` — and ``tables``: for each exported table (``services.org_data``) an array of its rows as objects,
one key per column, ids as in the source. It is written as it is read, a row at a time (rows are fetched in
batches), so an organisation of a million turns never becomes one string in memory. On PostgreSQL the rows are
read in one repeatable-read transaction: every table from the same moment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.services import audit, org_data
from sparring.services.errors import NotFound
from sparring.store import migrate, ownership
from sparring.store.db import Database
from sparring.store.models import Organisation

#: rows fetched from the database at a time
BATCH = 500


@dataclass
class ExportSummary:
    slug: str
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write(s: Session, org: Organisation, out: IO[str], *, credentials: bool = False,
          now: datetime | None = None) -> ExportSummary:
    """Write the export of ``org`` to ``out`` from session ``s``."""
    summary = ExportSummary(slug=org.slug)
    owned = ownership.cascade_conditions("organisations", org.id)
    envelope = {
        "format": org_data.FORMAT, "version": org_data.VERSION, "schema_head": migrate.SCHEMA_HEAD,
        "exported_at": org_data.to_json(now or datetime.now(UTC)), "credentials": credentials,
        "organisation": {c.name: org_data.to_json(getattr(org, c.name)) for c in Organisation.__table__.columns},
    }
    out.write("{\n" + ",\n".join(f"{_dump(k)}: {_dump(v)}" for k, v in envelope.items()) + ',\n"tables": {')
    for n, table in enumerate(org_data.exported_tables()):
        blank = org_data.blanked(table.name, credentials)
        out.write(("," if n else "") + f"\n{_dump(table.name)}: [")
        count = 0
        query = select(table).where(owned[table.name]).order_by(*table.primary_key.columns)
        for row in s.execute(query.execution_options(yield_per=BATCH)).mappings():
            doc = {c.name: None if c.name in blank else org_data.to_json(org_data.unsealed(table.name, row, c.name))
                   for c in table.columns}
            out.write(("," if count else "") + "\n" + _dump(doc))
            count += 1
        out.write("\n]" if count else "]")
        summary.rows[table.name] = count
    out.write("\n}\n}\n")
    return summary


def export_org(db: Database, slug: str, out: IO[str], *, credentials: bool = False, actor_id: int | None = None,
               via: str = "cli", now: datetime | None = None) -> ExportSummary:
    """Export the organisation ``slug`` to ``out``; the audit log gets an ``org.exported`` row (under
    ``actor_id``, None: the command line)."""
    with db.read() as s:
        if s.get_bind().dialect.name == "postgresql":  # every table read from the same snapshot
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        org = s.scalar(select(Organisation).where(Organisation.slug == slug.strip().lower()))
        if org is None:
            raise NotFound(f"org: no organisation '{slug.strip()[:80]}'")
        summary = write(s, org, out, credentials=credentials, now=now)
        org_id = org.id
    with db.session() as s:
        audit.record(s, audit.actor_of(s, actor_id), "org.exported", "organisation", summary.slug,
                     {"rows": summary.total, "credentials": credentials}, via, org_id=org_id)
    return summary
