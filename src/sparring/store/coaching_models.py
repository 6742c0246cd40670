"""Tables of the coaching loop after a scorecard (issue 13 items 5 and 6; docs/assignments.md, docs/loops.md):
assignments and their assignees, comments on a turn of a conversation, in-app notifications, and coaching loops
(a moment of a call → drill → the next call's verdict).

Kept beside ``store/models.py`` (same ``Base``, same conventions: integer keys, timezone-aware UTC times, short
strings guarded by CHECK constraints); ``store/models.py`` imports this module at its end, so Alembic and
``create_all`` see these tables wherever the models are loaded. Migrations: ``0011_assignments``, ``0012_loops``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sparring.store.models import DIFFICULTIES, Base, JsonDoc, _in, utcnow

#: an assignee's status (``sparring.coaching.assignments.status_of`` decides it from the learner's reps)
ASSIGNEE_STATUSES = ("not_started", "in_progress", "submitted", "overdue")
#: what a notification is about
NOTIFICATION_KINDS = ("assigned", "submitted", "reviewed", "comment", "due_soon", "overdue", "loop_closed",
                      "enrolled", "behind", "sign_off", "certified", "revoked")
#: a coaching loop is open until the rep's next real call closes it with a verdict (docs/loops.md)
LOOP_STATUSES = ("open", "closed")
LOOP_VERDICTS = ("improved", "not_improved", "not_enough_evidence")


class AssignmentRow(Base):
    """A manager's request to practise one scenario: how many reps, at which difficulty, by which day, and whether
    the learner submits their best rep. ``team_id`` is set when it was assigned to a team (its members at that
    moment became the assignees); ``assigned_by`` NULL means the installation's operator (``sparring assign``
    without ``--by``) or a manager who was deleted since. ``scenario_version`` is the version current when it was
    assigned (reps on later versions of the scenario count too)."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint(_in("difficulty", DIFFICULTIES), name="difficulty"),
        CheckConstraint("reps_required >= 1", name="reps_required"),
        Index("ix_assignments_org_created", "org_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True,
                                                    index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    scenario_id: Mapped[str] = mapped_column(String(80))
    scenario_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    difficulty: Mapped[str] = mapped_column(String(8), default="medium")
    reps_required: Mapped[int] = mapped_column(Integer, default=1)
    #: the last day (UTC) the reps are due on; overdue from the next midnight UTC
    due_on: Mapped[date] = mapped_column(Date)
    submit_best: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AssigneeRow(Base):
    """One learner of an assignment. ``status`` is the last status the job layer stored (the pages compute it live
    from the reps); ``submitted_rep_id`` the rep the learner submitted as their best; ``reviewed_at`` when a
    manager marked the submission reviewed."""

    __tablename__ = "assignees"
    __table_args__ = (
        UniqueConstraint("assignment_id", "user_id", name="uq_assignees_assignment_user"),
        CheckConstraint(_in("status", ASSIGNEE_STATUSES), name="status"),
        Index("ix_assignees_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    submitted_rep_id: Mapped[int | None] = mapped_column(ForeignKey("reps.id", ondelete="SET NULL"), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TurnCommentRow(Base):
    """A comment on one turn of a conversation (a manager reviewing a rep or a call). ``author_id`` NULL: the
    author's account was deleted (the comment stays)."""

    __tablename__ = "turn_comments"
    __table_args__ = (Index("ix_turn_comments_conversation_turn", "conversation_id", "turn_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    turn_index: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class NotificationRow(Base):
    """An in-app notification for one user. ``key`` (unique when set) makes a notification happen once: the
    reminders use ``due_soon:<assignee id>`` and ``overdue:<assignee id>``, so a repeated job never sends one
    twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(_in("kind", NOTIFICATION_KINDS), name="kind"),
        Index("ix_notifications_user_created", "user_id", "created_at"),
        Index("ix_notifications_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(500))
    #: a path inside the app ("/assignments", "/reps/12/scorecard#turn-3")
    link: Mapped[str] = mapped_column(String(300), default="")
    key: Mapped[str | None] = mapped_column(String(120), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CoachingLoopRow(Base):
    """One coaching loop (docs/loops.md): a moment of a rep's real call (``call_conversation_id``, turns
    ``start_turn``..``end_turn``, its ``moment_kind`` when the moment finder named it) with the rubric criterion it
    targets, the drill scenario and assignment made for it (both optional), and — once the rep's next real call
    closed it — the verdict, that call and the numbers behind the verdict (``numbers``, the JSON of
    ``sparring.coaching.loop_verdict.LoopVerdict``). ``created_by`` NULL: the operator (``sparring call loop open``
    without ``--by``) or an account deleted since."""

    __tablename__ = "coaching_loops"
    __table_args__ = (
        CheckConstraint(_in("status", LOOP_STATUSES), name="status"),
        CheckConstraint("verdict IS NULL OR " + _in("verdict", LOOP_VERDICTS), name="verdict"),
        CheckConstraint("end_turn >= start_turn", name="turns"),
        Index("ix_coaching_loops_user_status", "user_id", "status"),
        Index("ix_coaching_loops_org_created", "org_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    #: the rep whose behaviour the loop is about (the owner of the call)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True,
                                                   index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    call_conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                      index=True)
    start_turn: Mapped[int] = mapped_column(Integer)
    end_turn: Mapped[int] = mapped_column(Integer)
    moment_kind: Mapped[str | None] = mapped_column(String(40), nullable=True)
    criterion_id: Mapped[str] = mapped_column(String(80))
    rubric_id: Mapped[str] = mapped_column(String(80))
    rubric_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    drill_scenario_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id", ondelete="SET NULL"),
                                                      nullable=True)
    status: Mapped[str] = mapped_column(String(8), default="open")
    verdict: Mapped[str | None] = mapped_column(String(24), nullable=True)
    next_call_conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    numbers: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
