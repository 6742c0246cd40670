"""Tables of programs, the practice sprints of a cohort (issue 14 item 1; docs/programs.md): the program (dates,
rep target per learner, pass bar), its scenarios in order (optionally a week each: the weekly plan) and who is
enrolled (teams, whose members at any time are enrolled, and individual users).

Kept beside ``store/models.py`` (same ``Base``); ``store/models.py`` imports this module at its end, so Alembic and
``create_all`` see the tables. Migration: ``0015_programs``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import DIFFICULTIES, Base, _in, utcnow

#: a program is ``active`` (its reps count, reminders go out) or ``archived`` (kept, no reminders)
PROGRAM_STATUSES = ("active", "archived")


class ProgramRow(Base):
    """A practice sprint: between ``start_on`` and ``end_on`` (UTC days, both included) each enrolled learner does
    at least ``target_min`` reps of the program's scenarios (``target_max``: an optional ceiling shown as the
    stretch goal); a rep *passes* when its overall score reaches ``pass_bar`` (NULL: every ended rep passes).
    ``created_by`` NULL: the operator (``sparring program create``) or an account deleted since."""

    __tablename__ = "programs"
    __table_args__ = (
        CheckConstraint(_in("status", PROGRAM_STATUSES), name="status"),
        CheckConstraint("end_on >= start_on", name="dates"),
        CheckConstraint("target_min >= 1", name="target_min"),
        CheckConstraint("target_max IS NULL OR target_max >= target_min", name="target_max"),
        CheckConstraint("pass_bar IS NULL OR (pass_bar >= 0 AND pass_bar <= 100)", name="pass_bar"),
        Index("ix_programs_org_start", "org_id", "start_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    target_min: Mapped[int] = mapped_column(Integer)
    target_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pass_bar: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True,
                                                   index=True)
    status: Mapped[str] = mapped_column(String(12), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProgramScenarioRow(Base):
    """One scenario of a program, at ``position`` (0, 1, ...: the order learners do them in). ``week`` (1 = the
    program's first seven days) makes the order a weekly plan; ``difficulty`` is the suggested one (reps at any
    difficulty count)."""

    __tablename__ = "program_scenarios"
    __table_args__ = (
        UniqueConstraint("program_id", "position", name="uq_program_scenarios_program_position"),
        UniqueConstraint("program_id", "scenario_id", name="uq_program_scenarios_program_scenario"),
        CheckConstraint("difficulty IS NULL OR " + _in("difficulty", DIFFICULTIES), name="difficulty"),
        CheckConstraint("week IS NULL OR week >= 1", name="week"),
        CheckConstraint("position >= 0", name="position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    scenario_id: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300), default="")
    week: Mapped[int | None] = mapped_column(Integer, nullable=True)
    difficulty: Mapped[str | None] = mapped_column(String(8), nullable=True)


class ProgramEnrolmentRow(Base):
    """Who a program is for: a team (its members at any time, learners only) or one user; exactly one is set."""

    __tablename__ = "program_enrolments"
    __table_args__ = (
        CheckConstraint("(team_id IS NULL) <> (user_id IS NULL)", name="one_target"),
        UniqueConstraint("program_id", "team_id", name="uq_program_enrolments_program_team"),
        UniqueConstraint("program_id", "user_id", name="uq_program_enrolments_program_user"),
        Index("ix_program_enrolments_user", "user_id"),
        Index("ix_program_enrolments_team", "team_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
