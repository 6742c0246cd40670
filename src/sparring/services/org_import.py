"""Importing an organisation export into an instance that does not have it (docs/org-export.md, "Importing").

All in one transaction: the file is checked before anything is written (the envelope, the schema revision, the
slug, the e-mail addresses), then every table is inserted parents first with new keys — each foreign key (and each
``org_data.SOFT_REFS`` column) rewritten to the new key of the row it named — and any bad row (named by table, row
index and field) rolls everything back. A reference to a row that is not in the file (e.g. a program made by a
person of another organisation) becomes null where the column allows it, and is refused where it does not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from sparring.services import audit, org_data
from sparring.services.errors import Conflict, InvalidInput
from sparring.store import migrate
from sparring.store.db import Database
from sparring.store.models import Organisation, User

#: rows inserted at a time
BATCH = 500


@dataclass
class ImportSummary:
    org_id: int
    slug: str
    rows: dict[str, int] = field(default_factory=dict)
    #: references to rows not in the file, set to null: table.column → count
    unlinked: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


@dataclass
class _Deferred:
    """A reference filled in once every table is in (to a later table, or to the same table)."""

    table: Table
    column: str
    target: str
    rows: list[tuple[dict[str, Any], Any]] = field(default_factory=list)  # (the row's new key, old reference)


def read_file(path: Path) -> dict[str, Any]:
    """The export document in ``path`` (``InvalidInput`` naming the file when it is not one)."""
    try:
        with path.open(encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(doc, dict):
        raise InvalidInput(f"{path}: not an organisation export (the document is not an object)")
    return doc


def check_envelope(doc: dict[str, Any]) -> None:
    """The envelope is an export of this format, version and schema revision (or ``InvalidInput`` says which
    field is wrong and what to do)."""
    if doc.get("format") != org_data.FORMAT:
        raise InvalidInput(f"format: not an organisation export (expected {org_data.FORMAT!r}, "
                           f"got {str(doc.get('format'))[:60]!r})")
    if doc.get("version") != org_data.VERSION:
        raise InvalidInput(f"version: this Sparring reads version {org_data.VERSION} of the export format, "
                           f"the file is version {str(doc.get('version'))[:20]}")
    if doc.get("schema_head") != migrate.SCHEMA_HEAD:
        raise InvalidInput(
            f"schema_head: the file was exported at database revision {str(doc.get('schema_head'))[:80]!r}, this "
            f"instance is at {migrate.SCHEMA_HEAD!r}; run the same Sparring version on both sides (upgrade the "
            "older one, `sparring db upgrade`, and export again)")
    if not isinstance(doc.get("organisation"), dict):
        raise InvalidInput("organisation: missing (an object with the organisation's slug and name)")
    tables = doc.get("tables")
    if not isinstance(tables, dict):
        raise InvalidInput("tables: missing (an object of table name → array of rows)")
    known = {t.name for t in org_data.exported_tables()}
    for name, rows in tables.items():
        if name not in known:
            raise InvalidInput(f"tables.{str(name)[:60]}: not a table this Sparring imports")
        if not isinstance(rows, list):
            raise InvalidInput(f"tables.{name}: must be an array of rows")


def _values(table: Table, index: int, row: Any) -> dict[str, Any]:
    name = table.name
    if not isinstance(row, dict):
        raise org_data.RowError(f"{name}[{index}]: must be an object of column → value")
    unknown = sorted(set(row) - set(table.columns.keys()))
    if unknown:
        raise org_data.RowError(f"{name}[{index}].{str(unknown[0])[:60]}: not a column of {name}")
    missing = [c.name for c in table.columns if c.name not in row]
    if missing:
        raise org_data.RowError(f"{name}[{index}].{missing[0]}: missing")
    return {c.name: org_data.sealed(name, index, c.name, org_data.from_json(name, index, c, row[c.name]))
            for c in table.columns}


class _Importer:
    def __init__(self, s: Session, summary: ImportSummary) -> None:
        self.s = s
        self.summary = summary
        self.keys: dict[str, dict[Any, Any]] = {"organisations": {}}
        self.deferred: list[_Deferred] = []

    def table(self, table: Table, rows: list[Any]) -> None:
        key = org_data.surrogate_key(table)
        later: dict[str, _Deferred] = {}
        for (name, column), target in org_data.SOFT_REFS.items():
            if name == table.name:
                later[column] = _Deferred(table, column, target)
        for fk in table.foreign_keys:
            if fk.column.table is table:
                later[fk.parent.name] = _Deferred(table, fk.parent.name, table.name)
        olds: list[Any] = []
        batch: list[dict[str, Any]] = []
        pending: list[tuple[dict[str, Any], list[tuple[str, Any]]]] = []  # (the row's key, references to fill in)
        for index, row in enumerate(rows):
            values = self._linked(table, index, _values(table, index, row), later)
            refs = [(col, values[col]) for col in later if values[col] is not None]
            for col in later:
                values[col] = None
            if key is not None:
                olds.append(values.pop(key.name))
            ident = {} if key is not None else {c.name: values[c.name] for c in table.primary_key.columns}
            pending.append((ident, refs))
            batch.append(values)
        new_keys = self._insert(table, key, batch)
        if key is not None:
            self.keys[table.name] = dict(zip(olds, new_keys, strict=True))
            for (ident, _refs), new in zip(pending, new_keys, strict=True):
                ident[key.name] = new
        for ident, refs in pending:
            for col, old in refs:
                later[col].rows.append((ident, old))
        self.deferred.extend(d for d in later.values() if d.rows)
        self.summary.rows[table.name] = len(rows)

    def _linked(self, table: Table, index: int, values: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
        """``values`` with every foreign key rewritten to the new key of the row it names."""
        for fk in table.foreign_keys:
            col = fk.parent.name
            old = values[col]
            if old is None or col in later:
                continue
            target = fk.column.table.name
            new = self.keys.get(target, {}).get(old)
            if new is not None:
                values[col] = new
            elif fk.parent.nullable and not fk.parent.primary_key:
                values[col] = None
                label = f"{table.name}.{col}"
                self.summary.unlinked[label] = self.summary.unlinked.get(label, 0) + 1
            else:
                raise org_data.RowError(f"{table.name}[{index}].{col}: names {target} {old!r}, not in the file")
        return values

    def _insert(self, table: Table, key: Any, batch: list[dict[str, Any]]) -> list[Any]:
        new: list[Any] = []
        try:
            for start in range(0, len(batch), BATCH):
                part = batch[start:start + BATCH]
                if key is None:
                    self.s.execute(insert(table), part)
                    continue
                result = self.s.execute(insert(table).returning(key, sort_by_parameter_order=True), part)
                new.extend(result.scalars().all())
        except (IntegrityError, DataError) as exc:  # a unique key taken, a number out of the column's range
            reason = str(exc.orig).splitlines()[0][:200] if exc.orig else "a constraint"
            raise org_data.RowError(f"{table.name}: a row conflicts with the database ({reason})") from None
        return new

    def finish(self) -> None:
        """Fill in the references that had to wait (to later tables, or within a table)."""
        for d in self.deferred:
            targets = self.keys.get(d.target, {})
            label = f"{d.table.name}.{d.column}"
            params: list[dict[str, Any]] = []
            for ident, old in d.rows:
                ref = targets.get(old)
                if ref is None:
                    self.summary.unlinked[label] = self.summary.unlinked.get(label, 0) + 1
                    continue
                params.append({**{f"k_{c}": v for c, v in ident.items()}, "v_ref": ref})
            if not params:
                continue
            where = [d.table.c[c] == bindparam(f"k_{c}") for c in d.rows[0][0]]
            keep = {c.name: c for c in d.table.columns if c.onupdate is not None}  # e.g. updated_at: as in the file
            stmt = update(d.table).where(*where).values({**keep, d.column: bindparam("v_ref")})
            for start in range(0, len(params), BATCH):
                self.s.connection().execute(stmt, params[start:start + BATCH])


def import_org(db: Database, doc: dict[str, Any], *, actor_id: int | None = None, via: str = "cli") -> ImportSummary:
    """Import the export ``doc`` as a new organisation (one transaction: all of it or nothing). Refuses an export
    of another format, version or schema revision, an organisation whose slug is taken, e-mail addresses that
    already have an account here, and any malformed row (``InvalidInput``/``Conflict`` naming the field)."""
    check_envelope(doc)
    tables: dict[str, list[Any]] = doc["tables"]
    org_table = Organisation.__table__
    assert isinstance(org_table, Table)
    try:
        org_values = _values(org_table, 0, doc["organisation"])
    except org_data.RowError as exc:
        raise InvalidInput(str(exc).replace("organisations[0]", "organisation")) from None
    with db.session() as s:
        slug = org_values["slug"]
        if s.scalar(select(Organisation.id).where(Organisation.slug == slug)) is not None:
            raise Conflict(f"organisation.slug: an organisation '{slug}' already exists here; import into an "
                           "instance without it (or erase that one first)")
        emails = [r.get("email") for r in tables.get("users", []) if isinstance(r, dict)]
        taken = s.scalar(select(User.email).where(User.email.in_([e for e in emails if isinstance(e, str)])).limit(1))
        if taken is not None:
            index = emails.index(taken)
            raise Conflict(f"users[{index}].email: {taken} already has an account on this instance "
                           "(e-mail addresses are unique across an installation)")
        old_id = org_values.pop("id")
        new_id = s.execute(insert(Organisation).returning(Organisation.id), [org_values]).scalar_one()
        summary = ImportSummary(org_id=new_id, slug=slug)
        importer = _Importer(s, summary)
        importer.keys["organisations"] = {old_id: new_id}
        try:
            for table in org_data.exported_tables():
                importer.table(table, tables.get(table.name, []))
            importer.finish()
        except org_data.RowError as exc:
            raise InvalidInput(str(exc)) from None
        audit.record(s, audit.actor_of(s, actor_id), "org.imported", "organisation", slug,
                     {"rows": summary.total, "source_id": old_id}, via, org_id=new_id)
    return summary
