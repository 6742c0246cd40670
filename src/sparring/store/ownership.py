"""Which rows belong to a row, read from the schema: the rows that deleting it would delete through ``ON DELETE
CASCADE`` foreign keys, followed as far as they go, and the rows that would lose a reference (``SET NULL``).

Erasing a person (``services.erasure``: rooted at ``users``) and exporting an organisation
(``services.org_export``: rooted at ``organisations``) both ask this question, so a table added later is covered
by both without a change in either.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table, and_, not_, or_, select

from sparring.store.models import Base


def tables() -> list[Table]:
    """Every table of the schema, parents before children."""
    return list(Base.metadata.sorted_tables)


def cascade_conditions(root: str, root_id: int) -> dict[str, ColumnElement[bool]]:
    """Table name → the condition of its rows that deleting row ``root_id`` of table ``root`` deletes: cascading
    foreign keys, followed from the root as far as they go (the root's own condition included). Each pass reaches
    one link further and rebuilds every condition from the last pass's, so after as many passes as there are
    tables every path is in (building the expressions is cheap; the SQL is only as deep as the longest chain)."""
    all_tables = tables()
    root_table = next(t for t in all_tables if t.name == root)
    (pk,) = root_table.primary_key.columns
    start: dict[str, ColumnElement[bool]] = {root: pk == root_id}
    reached_before = dict(start)
    for _ in range(len(all_tables)):
        reached = dict(start)
        for table in all_tables:
            parts = [fk.parent.in_(select(fk.column).where(reached_before[fk.column.table.name]))
                     for fk in table.foreign_keys
                     if fk.ondelete == "CASCADE" and fk.column.table is not table
                     and fk.column.table.name in reached_before]
            if parts and table.name != root:
                reached[table.name] = or_(*parts)
        reached_before = reached
    return reached_before


def detached_conditions(doomed: dict[str, ColumnElement[bool]]) -> dict[str, ColumnElement[bool]]:
    """Table name → its rows that stay but lose a reference (``SET NULL``) to a row of ``doomed``."""
    out: dict[str, ColumnElement[bool]] = {}
    for table in tables():
        parts = [fk.parent.in_(select(fk.column).where(doomed[fk.column.table.name]))
                 for fk in table.foreign_keys
                 if fk.ondelete == "SET NULL" and fk.column.table.name in doomed]
        if parts:
            mine = doomed.get(table.name)
            out[table.name] = and_(or_(*parts), not_(mine)) if mine is not None else or_(*parts)
    return out
