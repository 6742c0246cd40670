"""What ``bench/analytics.py`` and ``bench/store_scale.py`` share: one synthetic organisation of learners in teams,
the rows of scored practice reps and calls (conversation, rep with its analytics roll-up, scorecard, criterion
results) built as tuples, written by COPY on PostgreSQL and by the driver's executemany on SQLite, the sequences
and statistics brought up to date afterwards, and the timer.

The rows are written as the application would leave them: each rep's roll-up (``store.rep_rollup``: its current
scorecard's id, overall and passed, its conversation's privacy and length) and each conversation's current
scorecard id are filled in as the rep or call is made, as migrations 0021 and 0031 and the scoring code would fill
them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, text

from sparring.store.db import Database
from sparring.store.models import Organisation, Team, TeamMember, User

CRITERIA = [
    ("explore", "discovery"),
    ("value", "hold-value"),
    ("trade", "trade-offs"),
    ("next-step", "next-steps"),
    ("balance", "listening"),
    ("ack", "empathy"),
    ("close", "next-steps"),
]
COLUMNS = {
    "conversations": ("id", "source", "title", "rubric_id", "rubric_version", "user_id", "org_id", "team_id",
                      "private", "started_at", "ended_at", "created_at", "scorecard_id"),
    "reps": ("id", "conversation_id", "user_id", "org_id", "team_id", "scenario_id", "scenario_version", "rubric_id",
             "rubric_version", "difficulty", "engine", "state", "outcome", "created_at", "updated_at",
             "scorecard_id", "overall", "passed", "private", "seconds"),
    "scorecards": ("id", "conversation_id", "rubric_id", "rubric_version", "engine", "overall", "passed", "document",
                   "input_tokens", "output_tokens", "created_at"),
    "criterion_results": ("scorecard_id", "conversation_id", "org_id", "team_id", "user_id", "criterion_id", "kind",
                          "skill", "score", "max", "verdict", "created_at"),
}
#: the tables the seeds write in bulk (sequences reset and statistics refreshed after seeding)
BULK_TABLES = ("conversations", "reps", "scorecards", "criterion_results")


@dataclass
class Rows:
    """Rows waiting for ``flush``, in ``COLUMNS`` order per table."""

    conversations: list[tuple[Any, ...]]
    reps: list[tuple[Any, ...]]
    scorecards: list[tuple[Any, ...]]
    criterion_results: list[tuple[Any, ...]]

    @classmethod
    def empty(cls) -> Rows:
        return cls([], [], [], [])

    def practice(self, rep_id: int, user_id: int, org_id: int, team_id: int | None, when: datetime, seconds: float,
                 scenario: str, outcome: str, overall: float, passed: bool) -> None:
        """A scored practice rep: its conversation, rep (with the roll-up) and scorecard, all with id ``rep_id``."""
        self.conversations.append((rep_id, "practice", "bench", "bench-rubric", "v1", user_id, org_id, team_id, False,
                                   when, when + timedelta(seconds=seconds), when, rep_id))
        self.reps.append((rep_id, rep_id, user_id, org_id, team_id, scenario, "v1", "bench-rubric", "v1", "medium",
                          "embedded", "{}", outcome, when, when, rep_id, overall, passed, False, float(seconds)))
        self.card(rep_id, rep_id, overall, passed, when)

    def call(self, conv_id: int, user_id: int, org_id: int, team_id: int | None, when: datetime, overall: float,
             passed: bool) -> None:
        """A scored real call (a conversation and its scorecard, id ``conv_id``; no rep), 30 minutes long."""
        self.conversations.append((conv_id, "call", "bench call", "bench-rubric", "v1", user_id, org_id, team_id,
                                   False, when, when + timedelta(minutes=30), when, conv_id))
        self.card(conv_id, conv_id, overall, passed, when)

    def card(self, card_id: int, conv_id: int, overall: float, passed: bool, when: datetime) -> None:
        self.scorecards.append((card_id, conv_id, "bench-rubric", "v1", "embedded", overall, passed, "{}", 0, 0, when))

    def criterion(self, card_id: int, user_id: int, org_id: int, team_id: int | None, criterion_id: str, kind: str,
                  skill: str, score: float, maximum: float, verdict: str, when: datetime) -> None:
        """A criterion result of scorecard ``card_id`` (of conversation ``card_id``: the seeds number them alike)."""
        self.criterion_results.append((card_id, card_id, org_id, team_id, user_id, criterion_id, kind, skill, score,
                                       maximum, verdict, when))

    def flush(self, db: Database) -> None:
        """Write every waiting row (conversations first: the others reference them) and forget them."""
        for table in BULK_TABLES:
            rows = getattr(self, table)
            bulk(db, table, rows)
            rows.clear()


def bulk(db: Database, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert rows (tuples in ``COLUMNS[table]`` order): COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    cols = COLUMNS[table]
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if db.dialect == "postgresql":
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        else:
            cur.execute("PRAGMA synchronous=OFF")  # a benchmark database: a crash loses nothing that matters
            marks = ", ".join("?" for _ in cols)
            cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",
                            [tuple(_sqlite(v) for v in row) for row in rows])
        raw.commit()
    finally:
        raw.close()


def _sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


@dataclass
class Org:
    """The seeded organisation: its id, its manager, its team ids and its learners as (user id, team id)."""

    org_id: int
    manager_id: int
    teams: list[int]
    users: list[tuple[int, int]]


def organisation(db: Database, learners: int, team_size: int, now: datetime) -> Org:
    """Organisation "bench" with a manager (in the first team) and ``learners`` learners in teams of
    ``team_size``, in team order."""
    with db.session() as s:
        org = Organisation(slug="bench", name="Bench Inc")
        s.add(org)
        s.flush()
        org_id = org.id
        manager = User(org_id=org_id, email="manager@bench.test", name="Manager", role="manager")
        s.add(manager)
        s.flush()
        manager_id = manager.id
        teams: list[int] = []
        for n in range((learners + team_size - 1) // team_size):
            team = Team(org_id=org_id, name=f"Team {n:04d}")
            s.add(team)
            s.flush()
            teams.append(team.id)
        s.execute(insert(User), [{"org_id": org_id, "email": f"u{u}@bench.test", "name": f"Learner {u}",
                                  "role": "learner", "is_active": True, "created_at": now} for u in range(learners)])
        ids = list(s.scalars(select(User.id).where(User.org_id == org_id, User.role == "learner").order_by(User.id)))
        users = [(uid, teams[i // team_size]) for i, uid in enumerate(ids)]
        s.add_all(TeamMember(team_id=tid, user_id=uid) for uid, tid in users)
        s.add(TeamMember(team_id=teams[0], user_id=manager_id))
    return Org(org_id, manager_id, teams, users)


def finish(db: Database) -> None:
    """After bulk seeding: the id sequences past the ids written (PostgreSQL), then fresh statistics of the seeded
    tables — on PostgreSQL ``VACUUM ANALYZE``, which also marks the pages all-visible as autovacuum would after a
    while, so index-only scans are possible; on SQLite ``ANALYZE``."""
    tables = (*BULK_TABLES, "users", "teams", "team_members")
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            for table in BULK_TABLES:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT coalesce(max(id), 1) FROM {table}))"))
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM ANALYZE {', '.join(tables)}")
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and worst of ``repeat`` runs of ``fn`` in ms, after one warm-up run."""
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)
