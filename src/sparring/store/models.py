"""The database schema for the whole product (docs/architecture.md, "Data model"), as SQLAlchemy 2 typed models.

Conventions (docs/decisions.md, "Storage"):
- integer surrogate keys everywhere; timestamps are timezone-aware UTC;
- enumerations are short strings guarded by CHECK constraints (portable across SQLite and PostgreSQL);
- user e-mail addresses are unique across the whole installation (stored lower-cased), so logging in needs
  only an e-mail and a password;
- turns, scorecards and criterion results hang from a conversation (``conversations``: a practice rep, a real call
  or a drill); a practice rep is the conversation's extension in ``reps``;
- the rows dashboards aggregate (reps, criterion results) carry their organisation, team and user ids
  (denormalised at write time), so a team trend over a million reps is one index range scan.

Every change to these models needs an Alembic migration in ``store/migrations/versions``; a test compares
the models with the migrated database and fails on any difference.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from sparring.conversation.model import Source

ROLES = ("learner", "manager", "admin")
TURN_ROLES = ("learner", "counterpart", "other")
CONTENT_KINDS = ("scenario", "rubric")
DIFFICULTIES = ("easy", "medium", "hard")
OUTCOMES = ("in_progress", "success", "failure", "incomplete")
JOB_STATUSES = ("queued", "running", "done", "failed")
JOB_BACKENDS = ("inprocess", "procrastinate")
#: where a conversation came from: a practice rep, a real call, or a drill (a rep on a scenario made from a moment)
SOURCES: tuple[str, ...] = get_args(Source)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON documents: JSONB on PostgreSQL (indexable, compact), JSON text elsewhere
JsonDoc = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    teams: Mapped[list[Team]] = relationship(back_populates="organisation")


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("org_id", "name", name="uq_teams_org_id_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="teams")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    #: lower-cased; unique across the installation
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="learner")
    #: argon2 hash (pwdlib); NULL for accounts that cannot log in (the local CLI learner)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: TOTP second factor (``services.second_factor``): the base32 secret, set when enrolment starts; the factor
    #: is on only once ``totp_enabled_at`` is set (a code was confirmed). ``totp_last_step`` is the RFC 6238 time
    #: step of the last accepted code, so a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(Text, nullable=True)  # sealed (store.sealing)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)


class TeamMember(Base):
    """Membership of a user in a team. A manager manages the teams they are a member of."""

    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ContentVersion(Base):
    """One version of an imported or edited scenario or rubric. ``version`` is the content hash of the
    validated model (the same hash a built-in file gets), so a rep pins exactly what it ran against.
    ``org_id`` NULL means installation-wide (``sparring content import``); otherwise only that organisation
    sees the row (``services.content.ContentService(db, org_id)``)."""

    __tablename__ = "content_versions"
    __table_args__ = (
        # one row per version per organisation (org_id NULL = installation-wide, imported with the CLI)
        UniqueConstraint("org_id", "kind", "content_id", "version", name="uq_content_versions_org_kind_id_version"),
        CheckConstraint(_in("kind", CONTENT_KINDS), name="kind"),
        Index("ix_content_versions_lookup", "kind", "content_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    content_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300), default="")
    yaml_text: Mapped[str] = mapped_column(Text)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


#: the columns of ``ix_conversations_user_source``: the owner and source first (a cohort's calls), then every column
#: the practice-to-call transfer reads
CALL_INDEX_COLUMNS = ("user_id", "source", "org_id", "private", "started_at", "created_at", "scorecard_id", "id")


class ConversationRow(Base):
    """One conversation — a practice rep, an imported real call or a drill (ARCHITECTURE §1.1): the turns,
    scorecards and criterion results hang from it. ``user_id`` is its owner (the learner who practised, the rep
    on the call); ``team_id`` the owner's team when it was stored; ``private`` hides the transcript and detail
    from everyone but the owner (``services.conversations.conversation_access``). Practice reps add their own
    columns in ``reps`` (one rep per practice or drill conversation). ``scorecard_id`` is a roll-up: the id of the
    current (newest) scorecard, so the analytics read a call's scorecard without a ``max(id)`` per call."""

    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint(_in("source", SOURCES), name="source"),
        Index("ix_conversations_user_created", "user_id", "created_at"),
        Index("ix_conversations_org_created", "org_id", "created_at"),
        Index("ix_conversations_team_created", "team_id", "created_at"),
        # a cohort's scored calls (reports.analytics.transfer): every column it reads, so the scan never visits the
        # table (migration 0031_call_rollup)
        Index("ix_conversations_user_source", *CALL_INDEX_COLUMNS),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    #: what it was about: the scenario's title for practice, the call's subject or file name for a call
    title: Mapped[str] = mapped_column(String(300), default="")
    #: the rubric it is scored with (a practice rep's pinned version; NULL for a call nobody scored yet)
    rubric_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    rubric_version: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    #: when the conversation started and ended, if known (a call's recording time; a rep's start and end)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: the roll-up of its current (newest: highest id) scorecard's id, NULL while unscored (migration
    #: 0031_call_rollup; ``store.rep_rollup.refresh`` keeps it equal to the truth wherever a scorecard is stored)
    scorecard_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ParticipantRow(Base):
    """Who spoke in a conversation, with their role (docs/decisions.md, "Conversations"). ``user_id`` links a
    participant who is a Sparring user (the learner of a rep, the rep on a call); NULL for personas and
    customers. ``first_turn`` is the index of their first turn (NULL when they never spoke), so participants
    list in the order they joined."""

    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("conversation_id", "name", "role", name="uq_participants_conversation_name_role"),
        CheckConstraint(_in("role", TURN_ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True,
                                                index=True)
    first_turn: Mapped[int | None] = mapped_column(Integer, nullable=True)


#: the columns of ``ix_reps_cohort``: the learner and time first (the window's partition and order), then every
#: column the analytics read, so their scans never visit the table
COHORT_INDEX_COLUMNS = ("user_id", "created_at", "id", "org_id", "outcome", "scenario_id", "private", "scorecard_id",
                        "overall", "passed", "seconds", "conversation_id")


class Rep(Base):
    """The practice extension of a conversation (source ``practice`` or ``drill``): the scenario and rubric
    versions it pinned, difficulty, the persona engine's PersonaState (JSON) after the last reply, outcome, and
    the branch it was retried from. ``user_id``/``org_id``/``team_id``/``created_at`` are copies of its
    conversation's, written once at the start, so the practice dashboards and histories stay one index range
    scan; privacy and the end time live on the conversation. The analytics roll-up (``scorecard_id`` … ``seconds``,
    migration 0019) copies the current scorecard's id, overall and passed and the conversation's privacy and length;
    ``store.rep_rollup.refresh`` keeps them equal to the truth wherever it changes."""

    __tablename__ = "reps"
    __table_args__ = (
        CheckConstraint(_in("difficulty", DIFFICULTIES), name="difficulty"),
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),
        Index("ix_reps_user_created", "user_id", "created_at"),
        Index("ix_reps_org_created", "org_id", "created_at"),
        Index("ix_reps_team_created", "team_id", "created_at"),
        Index("ix_reps_scenario_created", "scenario_id", "created_at"),
        # the cohort window of the analytics (store.cohorts), the practice counts and a program's progress read
        # every column they need from this index alone (migration 0021_analytics_rollup)
        Index("ix_reps_cohort", *COHORT_INDEX_COLUMNS),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    #: the learner's team when the rep started (for team dashboards); NULL when in no team
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    scenario_id: Mapped[str] = mapped_column(String(80))
    scenario_version: Mapped[str] = mapped_column(String(64))
    rubric_id: Mapped[str] = mapped_column(String(80))
    rubric_version: Mapped[str] = mapped_column(String(64))
    difficulty: Mapped[str] = mapped_column(String(8))
    engine: Mapped[str] = mapped_column(String(120))
    state: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    outcome: Mapped[str] = mapped_column(String(16), default="in_progress")
    ended_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    parent_rep_id: Mapped[int | None] = mapped_column(
        ForeignKey("reps.id", ondelete="SET NULL"), nullable=True, index=True
    )
    branched_from_turn: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # -- the analytics roll-up (migration 0021_analytics_rollup; ``store.rep_rollup`` keeps it equal to the truth):
    #: the current (newest) scorecard of the conversation, its overall and passed (NULL: not scored)
    scorecard_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    overall: Mapped[float | None] = mapped_column(Float, nullable=True)
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    #: the conversation's privacy
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: the conversation's length (ended_at − started_at, seconds; NULL while either is unknown)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)

    conversation: Mapped[ConversationRow] = relationship()


class TurnRow(Base):
    __tablename__ = "turns"
    __table_args__ = (
        UniqueConstraint("conversation_id", "turn_index", name="uq_turns_conversation_id_turn_index"),
        CheckConstraint(_in("role", TURN_ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    turn_index: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    start_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    end_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: persona (counterpart) turns: the PersonaState right after this line was said (written with the line),
    #: so "retry from turn k" restores it without asking the engine again. NULL on learner turns and on turns
    #: stored before migration 0004.
    persona_state: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScorecardRow(Base):
    """A scorecard for a conversation. A conversation may be scored more than once (e.g. embedded, then the LLM
    judge); the newest one is current. ``document`` is the full scorecard JSON (docs/scoring.md)."""

    __tablename__ = "scorecards"
    __table_args__ = (Index("ix_scorecards_conversation_created", "conversation_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    rubric_id: Mapped[str] = mapped_column(String(80))
    rubric_version: Mapped[str] = mapped_column(String(64))
    engine: Mapped[str] = mapped_column(String(120))
    overall: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    #: estimated cost; NULL when the model's price is unknown (never a made-up 0)
    cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CriterionResultRow(Base):
    """One criterion of one scorecard, flattened for dashboards (scores per criterion/skill over time)."""

    __tablename__ = "criterion_results"
    __table_args__ = (
        # trends read a time range of one team / one organisation (all criteria, grouped in the query)
        Index("ix_criterion_results_team_created", "team_id", "created_at"),
        Index("ix_criterion_results_org_created", "org_id", "created_at"),
        Index("ix_criterion_results_user_created", "user_id", "created_at"),
        Index("ix_criterion_results_scorecard", "scorecard_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    criterion_id: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    skill: Mapped[str | None] = mapped_column(String(80), nullable=True)
    score: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)
    verdict: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WinningLine(Base):
    __tablename__ = "winning_lines"
    __table_args__ = (Index("ix_winning_lines_user_created", "user_id", "created_at"),
                      Index("ix_winning_lines_user_due", "user_id", "due_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    situation: Mapped[str] = mapped_column(String(120), default="")
    source_conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True
    )
    source_turn_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: spaced repetition (``coaching.line_schedule``, migration 0017): the step reached, when the line is due again,
    #: how many reviews and how many lapses (marked not remembered)
    review_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviews: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lapses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class UsageRow(Base):
    """LLM usage of a conversation: one row per engine call that cost tokens (persona replies, scoring)."""

    __tablename__ = "usage"
    __table_args__ = (Index("ix_usage_org_created", "org_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), nullable=True, index=True
    )
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), nullable=True)
    purpose: Mapped[str] = mapped_column(String(32))
    engine: Mapped[str] = mapped_column(String(120))
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    #: estimated cost; NULL when the model's price is unknown (never a made-up 0)
    cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginFailure(Base):
    """One failed login, shared by every web worker (the login guard, ``sparring.services.login_guard``).
    ``key`` is a SHA-256 of a scope and what it counts — the account (lower-cased e-mail as typed), the client
    address, the pair of both, or the whole installation — so one failure writes one row per scope (bounded
    length, no stored addresses); ``at`` is Unix time in seconds. Rows older than the guard's longest window are
    deleted as new failures come in."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"), Index("ix_login_failures_at", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Float)


class LoginSession(Base):
    """One signed-in browser or API client (``sparring.services.login_sessions``). ``token_hash`` is a SHA-256
    of the random session token the client holds (the token itself is never stored); ending a session deletes
    its row. Times are Unix seconds: ``expires_at`` is the absolute timeout set at sign-in, ``last_seen_at`` the
    last request (written at most once a minute), checked against the idle timeout. ``user_agent`` is a short
    summary ("Firefox on Linux") for the user's list of sessions, never the raw header."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    last_seen_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    user_agent: Mapped[str] = mapped_column(String(120), default="")


class LoginKnownClient(Base):
    """A client address that logged in to an account successfully (``key``: SHA-256 of the pair), with the time
    of the last such login. Known pairs skip the per-account and installation-wide limits of the login guard, so
    a stranger's failed guesses cannot keep the owner out from where they usually log in. Rows older than the
    guard's memory (30 days) are deleted as new logins come in."""

    __tablename__ = "login_known_clients"
    __table_args__ = (Index("ix_login_known_clients_at", "at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[float] = mapped_column(Float)


class LoginChallenge(Base):
    """A login whose password was right and that waits for its second factor (the login form's code step).
    ``token_hash`` is a SHA-256 of the random token the form carries; only the client that passed the password
    step (``client_key``) may answer, within a few minutes and a few tries (``services.login_guard``)."""

    __tablename__ = "login_challenges"
    __table_args__ = (Index("ix_login_challenges_created_at", "created_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class RecoveryCode(Base):
    """A one-time recovery code of a user's second factor, stored as a SHA-256 of the code (each code carries
    80 random bits, so a plain digest resists guessing as well as a slow hash would, and a login checks it with
    one indexed lookup). ``used_at`` is set when it is spent."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobRow(Base):
    """One background job (``sparring.jobs``): the ledger both backends write. The in-process runner claims rows
    from here; with Procrastinate the row is the job's visible record (idempotency key, attempts, last error) and
    ``external_id`` the Procrastinate job that runs it. Times are Unix seconds, like the login tables: the runner
    does arithmetic on them (backoff, leases) and both databases compare them the same way.

    ``status``: queued (waiting for ``run_at``; a failed attempt that will be retried is queued again with its
    ``last_error``), running (claimed by ``locked_by`` until ``lease_until``), done, failed (attempts used up or a
    permanent error: shown to admins, who may retry it)."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        CheckConstraint(_in("backend", JOB_BACKENDS), name="backend"),
        # the claim: the next due job of a backend, highest priority first
        Index("ix_jobs_claim", "backend", "status", "run_at"),
        Index("ix_jobs_status_finished", "status", "finished_at"),
        Index("ix_jobs_org_status", "org_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    backend: Mapped[str] = mapped_column(String(16), default="inprocess")
    priority: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_at: Mapped[float] = mapped_column(Float)
    #: a second enqueue with the same key returns this job instead of adding one
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    #: the organisation whose data the job touches (admins see their organisation's jobs); NULL: installation-wide
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_until: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: the Procrastinate job id (Procrastinate backend only)
    external_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: how far the running job is (0 to 1) and what it is doing, as its task reports it (``TaskContext.progress``);
    #: NULL for tasks that do not report
    progress: Mapped[float | None] = mapped_column(Float, nullable=True)
    progress_note: Mapped[str | None] = mapped_column(String(200), nullable=True)


# certification (a program's readiness check: certification, attempts, certificates): migration 0018_certification
# API tokens (Authorization: Bearer for the JSON API; docs/api.md): same Base, migration 0023_api_tokens
from sparring.store import api_token_models as api_token_models  # noqa: E402

# the audit log (who viewed or changed what; docs/data-ownership.md "Audit log"): same Base, migration 0025_audit_log
from sparring.store import audit_models as audit_models  # noqa: E402
from sparring.store import certification_models as certification_models  # noqa: E402

# the coaching loop's tables (assignments, comments, notifications) live in their own module on the same Base;
# importing it here means whoever loads the models (Alembic, create_all, the services) sees them too
from sparring.store import coaching_models as coaching_models  # noqa: E402

# the integrations' event outbox, webhook endpoints and their delivery log: same Base, 0022_webhooks_endpoints
from sparring.store import integration_models as integration_models  # noqa: E402

# the team library of winning lines managers curate: same Base, migration 0017_lines
from sparring.store import line_models as line_models  # noqa: E402

# the LTI 1.3 tool (platform registrations, keys, login states, links, launches, score outbox): 0027_lti_tool
from sparring.store import lti_models as lti_models  # noqa: E402

# programs (practice sprints: the program, its scenarios, enrolment): same Base, migration 0015_programs
from sparring.store import program_models as program_models  # noqa: E402

# an organisation's own retention periods and whether it keeps recordings: same Base, 0030_org_retention
from sparring.store import retention_models as retention_models  # noqa: E402

# the cached scored summaries of stored calls (key moments, pivotal one): same Base, migration 0014_call_summaries
from sparring.store import review_models as review_models  # noqa: E402

# SCIM provisioning (tokens, the provider's externalIds, removed accounts): same Base, 0026_scim_provisioning
from sparring.store import scim_models as scim_models  # noqa: E402

# single sign-on: identity providers, linked identities, the password switch, pending sign-ins: 0028_sso_providers
from sparring.store import sso_models as sso_models  # noqa: E402

# spoken turns of practice reps (what was heard, the delivery, the turn it became): same Base, 0019_speech_takes
from sparring.store import voice_models as voice_models  # noqa: E402

# the xAPI outbox (which scorecards went to the learning record store, in which batch): same Base, 0024_xapi_outbox
from sparring.store import xapi_models as xapi_models  # noqa: E402
