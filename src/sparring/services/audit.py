"""The audit log: who viewed or changed what (issue 16 item 6; docs/data-ownership.md, "Audit log").

``record`` writes one row in the caller's transaction (the change and its audit entry commit together). Views
(actions ending in ``.viewed``) are written with one ``INSERT … SELECT … WHERE NOT EXISTS`` that skips the row when
the same person viewed the same target within ``VIEW_DEDUPE`` — one statement, no read first, so a page that logs a
view costs one insert. ``page`` and ``rows`` read an organisation's log (never another's) newest first with the
admin page's filters; ``csv_lines`` streams the same rows as CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import DateTime, Select, and_, exists, func, insert, literal, select
from sqlalchemy.orm import Session

from sparring.services.access import Viewer
from sparring.services.errors import InvalidInput
from sparring.services.form_values import parse_day
from sparring.store.audit_models import AUDIT_VIA, AuditRow
from sparring.store.db import Database
from sparring.store.models import JsonDoc, User

#: the same person viewing the same target again within this is not logged again
VIEW_DEDUPE = timedelta(minutes=10)

#: the actions Sparring records (the admin page's filter offers these)
ACTIONS = (
    "rep.viewed", "call.viewed", "scorecard.viewed", "content.published", "user.created", "user.role_changed",
    "user.deactivated", "user.reactivated", "user.erased", "token.created", "token.revoked", "webhook.changed",
    "export.downloaded", "user.signed_in", "user.sign_in_failed", "user.password_changed", "team.membership_changed",
    "assignment.created", "program.changed", "user.updated", "user.removed", "team.created", "team.changed",
    "team.removed", "scim_token.created", "scim_token.revoked", "org.exported", "org.imported",
    "lti.changed", "lti.launched", "lti.refused", "lti.roster_synced",
    "sso.signed_in", "sso.break_glass", "sso.provider_changed", "sso.password_login", "sso.role_withheld",
    "user.signed_out", "assignment.reviewed", "comment.added", "audit.viewed", "org.retention_changed",
)

PAGE_SIZE = 50
CSV_COLUMNS = ("at", "actor", "action", "target_type", "target_id", "via", "detail")


class AuditError(InvalidInput):
    """A bad filter or row (names the field)."""


def actor_of(s: Session, user_id: int | None) -> Viewer | None:
    """The account ``user_id`` as an actor (None when there is none, e.g. the command line's ``0``)."""
    user = s.get(User, user_id) if user_id else None
    return Viewer.of(user) if user is not None else None


def record(s: Session, viewer: Viewer | None, action: str, target_type: str, target_id: object,
           detail: dict[str, Any] | None = None, via: str = "web", *, org_id: int | None = None,
           now: datetime | None = None, actor_label: str | None = None) -> None:
    """Log one event in the caller's transaction. ``viewer`` is who acted (None: the command line or the system;
    then ``org_id`` says whose log it goes in, and ``actor_label`` may name what acted, e.g. a SCIM token). A
    ``*.viewed`` action already logged for the same viewer and target within ``VIEW_DEDUPE`` is skipped inside the
    same statement."""
    if via not in AUDIT_VIA:
        raise AuditError(f"via: must be one of {', '.join(AUDIT_VIA)}")
    org = viewer.org_id if viewer is not None else org_id
    if org is None:
        raise AuditError("org_id: needed when no account acted")
    at = now or datetime.now(UTC)
    values: dict[str, Any] = {
        "org_id": org, "actor_id": viewer.id if viewer else None,
        "actor_label": (viewer.email if viewer
                        else actor_label or f"({via if via == 'cli' else 'system'})")[:320],
        "action": action[:40], "target_type": target_type[:40], "target_id": str(target_id)[:120],
        "detail": detail, "at": at, "via": via,
    }
    if viewer is None or not action.endswith(".viewed"):
        s.execute(insert(AuditRow).values(**values))
        return
    seen = exists().where(AuditRow.org_id == org, AuditRow.actor_id == viewer.id, AuditRow.action == values["action"],
                          AuditRow.target_type == values["target_type"], AuditRow.target_id == values["target_id"],
                          AuditRow.at > at - VIEW_DEDUPE)
    columns = list(values)
    chosen = select(*[
        literal(values[c], JsonDoc) if c == "detail" else literal(at, DateTime(timezone=True)) if c == "at"
        else literal(values[c]) for c in columns
    ]).where(~seen)
    s.execute(insert(AuditRow).from_select(columns, chosen))


def record_view(database: Database, viewer: Viewer, action: str, target_type: str, target_id: object,
                owner_id: int | None, via: str = "web", detail: dict[str, Any] | None = None) -> bool:
    """Log that ``viewer`` looked at someone else's rep, scorecard or call (its own short transaction: a page that
    only reads has none to join). A person looking at their own is not logged (it is theirs; docs/data-ownership.md
    "Audit log"). Returns whether a row was asked for (the 10-minute dedupe may still skip it)."""
    if owner_id == viewer.id:
        return False
    with database.session() as s:
        record(s, viewer, action, target_type, target_id, detail, via)
    return True


#: how the log was read: the admin page, its CSV download, ``sparring audit list`` (the target id of audit.viewed)
READ_FORMATS = ("page", "csv", "list")


def record_reading(database: Database, viewer: Viewer | None, org_id: int, how: str, filters: Filters,
                   via: str = "web") -> None:
    """Log that the organisation's audit log was read (``audit.viewed``, target ``audit_log`` ``how``, the filters
    as detail), in its own short transaction. An admin's reads of the same kind are logged once per
    ``VIEW_DEDUPE`` like other views; the command line's (no account) every time."""
    if how not in READ_FORMATS:
        raise AuditError(f"how: one of {', '.join(READ_FORMATS)}")
    with database.session() as s:
        record(s, viewer, "audit.viewed", "audit_log", how, filters.detail() or None, via, org_id=org_id)


@dataclass(frozen=True)
class Filters:
    """The admin page's filters: an action, an actor (part of the e-mail), a date range (inclusive, UTC days)."""

    action: str = ""
    actor: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def parse(cls, action: str = "", actor: str = "", since: str = "", until: str = "") -> Filters:
        def day(text: str, field: str) -> date | None:
            try:
                return parse_day(text, field, optional=True)
            except InvalidInput as exc:
                raise AuditError(str(exc)) from None
        action = action.strip()
        if action and action not in ACTIONS:
            raise AuditError(f"action: unknown action {action!r}")
        found = cls(action=action, actor=actor.strip().lower()[:320], since=day(since, "since"),
                    until=day(until, "until"))
        if found.since and found.until and found.until < found.since:
            raise AuditError("until: before since")
        return found

    def detail(self) -> dict[str, str]:
        """The filters in use, for the audit entry of reading the log."""
        found = {"action": self.action, "actor": self.actor, "since": self.since.isoformat() if self.since else "",
                 "until": self.until.isoformat() if self.until else ""}
        return {k: v for k, v in found.items() if v}

    def query(self, org_id: int) -> Select[AuditRow]:
        conds = [AuditRow.org_id == org_id]
        if self.action:
            conds.append(AuditRow.action == self.action)
        if self.actor:
            conds.append(func.lower(AuditRow.actor_label).contains(self.actor, autoescape=True))
        if self.since:
            conds.append(AuditRow.at >= datetime.combine(self.since, time.min, UTC))
        if self.until:
            conds.append(AuditRow.at < datetime.combine(self.until + timedelta(days=1), time.min, UTC))
        return select(AuditRow).where(and_(*conds)).order_by(AuditRow.at.desc(), AuditRow.id.desc())


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    page: int
    has_next: bool


def page(s: Session, org_id: int, filters: Filters, number: int = 1, size: int = PAGE_SIZE) -> AuditPage:
    """One page of the organisation's log, newest first (one row more is read to know whether a next page exists)."""
    number = max(1, number)
    rows = list(s.scalars(filters.query(org_id).offset((number - 1) * size).limit(size + 1)))
    return AuditPage(rows=rows[:size], page=number, has_next=len(rows) > size)


def csv_lines(s: Session, org_id: int, filters: Filters, batch: int = 500) -> Iterator[str]:
    """The organisation's filtered log as CSV text, header first, read in batches (keyset on the newest-first
    order) so a long log streams without being held in memory."""
    out = io.StringIO()
    writer = csv.writer(out)

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    base = filters.query(org_id)
    last: tuple[datetime, int] | None = None
    while True:
        q = base
        if last is not None:
            q = q.where((AuditRow.at < last[0]) | and_(AuditRow.at == last[0], AuditRow.id < last[1]))
        rows = list(s.scalars(q.limit(batch)))
        for r in rows:
            writer.writerow((_utc(r.at).isoformat(), r.actor_label, r.action, r.target_type, r.target_id, r.via,
                             _detail_text(r.detail)))
        if rows:
            yield flush()
        if len(rows) < batch:
            return
        last = (rows[-1].at, rows[-1].id)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _detail_text(detail: dict[str, Any] | None) -> str:
    if not detail:
        return ""
    return "; ".join(f"{k}={v}" for k, v in sorted(detail.items()))


def detail_text(detail: dict[str, Any] | None) -> str:
    """``detail`` as one line for the page and the CSV."""
    return _detail_text(detail)


def when(row: AuditRow) -> datetime:
    """The row's time in UTC (SQLite hands it back without a zone)."""
    return _utc(row.at)
