"""An organisation's own retention (docs/data-ownership.md, "Retention"; table ``org_retention``): how long it keeps
imported calls, practice reps and audio, and whether recordings of spoken turns are kept at all.

The installation's settings are the operator's ceiling and default (``services.retention``): the period applied is
the shorter of the organisation's own and the installation's, so an organisation may keep less, never more — and a
value above the ceiling is refused here, naming it. A recording is kept only when the installation keeps audio
(``SPARRING_VOICE_KEEP_AUDIO``) **and** the organisation has not turned keeping off (the default: it follows the
installation); ``keeps_audio`` is what the voice service asks before writing one.

``update`` is an admin's change (the Data page): every field checked first (an error names the field and nothing is
saved), then the row written and ``org.retention_changed`` audited with the values before and after, in one
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from sparring.services import audit
from sparring.services.access import Viewer
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.retention import RetentionPolicy, policy_of
from sparring.store.retention_models import DAY_COLUMNS, MAX_DAYS, OrgRetentionRow

#: each period: what it deletes (in the admin's words) and the installation setting that is its ceiling
PERIODS: dict[str, tuple[str, str]] = {
    "call_days": ("imported calls", "SPARRING_RETENTION_CALL_DAYS"),
    "practice_days": ("practice reps and drills", "SPARRING_RETENTION_PRACTICE_DAYS"),
    "audio_days": ("recordings and call uploads", "SPARRING_RETENTION_AUDIO_DAYS"),
}


class RetentionError(InvalidInput):
    """A value the form refuses (names the field)."""


@dataclass(frozen=True)
class OrgRetention:
    """An organisation's retention as its admin sees it: its own periods (``own``; None: none of its own), its
    recordings switch, the installation's ceiling, and what applies."""

    org_id: int
    own: RetentionPolicy
    keep_audio: bool
    ceiling: RetentionPolicy
    installation_keeps_audio: bool

    @property
    def effective(self) -> RetentionPolicy:
        """The periods the nightly sweep applies to the organisation's data."""
        return replace(self.own, drop_recordings=not self.keep_audio).within(self.ceiling)

    @property
    def audio_kept(self) -> bool:
        """Whether a spoken turn's recording is written now."""
        return self.installation_keeps_audio and self.keep_audio

    def values(self) -> dict[str, Any]:
        """The organisation's own choices as the audit log records them."""
        return {"call_days": self.own.call_days, "practice_days": self.own.practice_days,
                "audio_days": self.own.audio_days, "keep_audio": self.keep_audio}


def read(s: Session, org_id: int, settings: Any) -> OrgRetention:
    """Organisation ``org_id``'s retention with the installation's ``settings`` (no row: nothing of its own)."""
    row = s.get(OrgRetentionRow, org_id)
    own = RetentionPolicy() if row is None else RetentionPolicy(
        call_days=row.call_days, practice_days=row.practice_days, audio_days=row.audio_days)
    return OrgRetention(org_id=org_id, own=own, keep_audio=True if row is None else bool(row.keep_audio),
                        ceiling=policy_of(settings), installation_keeps_audio=bool(settings.voice_keep_audio))


def keeps_audio(s: Session, org_id: int) -> bool:
    """The organisation's own switch for spoken-turn recordings (no row: on, i.e. as the installation says)."""
    row = s.get(OrgRetentionRow, org_id)
    return True if row is None else bool(row.keep_audio)


def parse_days(form: dict[str, str], name: str, ceiling: int | None) -> int | None:
    """The period ``name`` of the form: empty is none of the organisation's own; otherwise a whole number of days
    from 1 to the installation's ceiling (``RetentionError`` names the field and the ceiling)."""
    raw = str(form.get(name, "")).strip()
    if not raw:
        return None
    try:
        days = int(raw)
    except ValueError:
        raise RetentionError(f"{name}: give a whole number of days, or leave it empty to follow the installation "
                             f"(got {raw[:20]!r})") from None
    if not 1 <= days <= MAX_DAYS:
        raise RetentionError(f"{name}: give a number of days from 1 to {MAX_DAYS} (got {days})")
    what, setting = PERIODS[name]
    if ceiling is not None and days > ceiling:
        raise RetentionError(f"{name}: at most {ceiling} days — this installation keeps {what} for {ceiling} days at "
                             f"most ({setting}); an organisation may keep less, not more")
    return days


def update(s: Session, viewer: Viewer, form: dict[str, str], settings: Any, via: str = "web") -> OrgRetention:
    """Set the admin's organisation's own retention from ``form`` (``call_days``, ``practice_days``,
    ``audio_days``: days or empty; ``keep_audio``: ``on`` when ticked). Refuses a bad value before writing
    anything; audits the change (nothing is written when nothing changed)."""
    if not viewer.is_admin:
        raise NotFound("no such page")
    before = read(s, viewer.org_id, settings)
    ceiling = before.ceiling
    days = {name: parse_days(form, name, getattr(ceiling, name)) for name in DAY_COLUMNS}
    keep = str(form.get("keep_audio", "")).strip().lower() in ("on", "true", "1", "yes")
    own = RetentionPolicy(call_days=days["call_days"], practice_days=days["practice_days"],
                          audio_days=days["audio_days"])
    after = replace(before, own=own, keep_audio=keep)
    if after.values() == before.values():
        return after
    row = s.get(OrgRetentionRow, viewer.org_id)
    if row is None:
        row = OrgRetentionRow(org_id=viewer.org_id)
        s.add(row)
    for name, value in days.items():
        setattr(row, name, value)
    row.keep_audio = keep
    row.updated_at = datetime.now(UTC)
    s.flush()
    audit.record(s, viewer, "org.retention_changed", "organisation", viewer.org_id,
                 {"before": before.values(), "after": after.values()}, via)
    return after


__all__ = ["PERIODS", "OrgRetention", "RetentionError", "keeps_audio", "parse_days", "read", "update"]
