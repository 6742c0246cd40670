"""Tables of certification, a program's readiness check (issue 14 item 3; docs/programs.md "Certification"): the
certification of a program (a fixed scenario and difficulty, a pass bar per criterion, a number of attempts), the
attempts (practice reps marked as one) and the certificates a manager signed off (and may revoke).

Kept beside ``store/models.py`` (same ``Base``); ``store/models.py`` imports this module at its end, so Alembic and
``create_all`` see the tables. Migrations: ``0018_certification``; ``0020_certificate_revocation`` (revocation).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import DIFFICULTIES, Base, JsonDoc, _in, utcnow


class CertificationRow(Base):
    """A program's certification: reps of ``scenario_id`` at ``difficulty``, at most ``max_attempts`` per learner;
    ``bars`` maps each criterion id to its bar (a score share 0..1 as a number, or the string ``"met"``)."""

    __tablename__ = "certifications"
    __table_args__ = (
        CheckConstraint(_in("difficulty", DIFFICULTIES), name="difficulty"),
        CheckConstraint("max_attempts >= 1", name="max_attempts"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), unique=True)
    scenario_id: Mapped[str] = mapped_column(String(80))
    difficulty: Mapped[str] = mapped_column(String(8))
    max_attempts: Mapped[int] = mapped_column(Integer)
    bars: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CertificationAttemptRow(Base):
    """One attempt: a practice rep the learner started as their certification rep. ``passed`` is NULL until the rep
    is scored and its result recorded."""

    __tablename__ = "certification_attempts"
    __table_args__ = (Index("ix_certification_attempts_program_user", "program_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"), unique=True)
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CertificateRow(Base):
    """A certificate: ``user_id`` is certified on ``program_id``, resting on the passing rep ``rep_id``, signed off
    by ``signed_off_by`` (NULL: an account deleted since, or the operator).

    A revoked certificate (``revoked_at`` set, by ``revoked_by`` — NULL as for ``signed_off_by`` — with
    ``revoked_reason``) stays on record; a learner holds at most one certificate that is *not* revoked per program
    (a partial unique index), so a learner certified again after a revocation has both rows."""

    __tablename__ = "certificates"
    __table_args__ = (Index("uq_certificates_program_user_active", "program_id", "user_id", unique=True,
                            sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
                      Index("ix_certificates_user", "user_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"), nullable=True)
    signed_off_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
