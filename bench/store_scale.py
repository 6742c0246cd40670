"""Benchmark the dashboard queries the schema's indexes are for, over a large synthetic organisation.

Seeds one organisation (``--teams`` teams of ``--per-team`` learners) with ``--reps`` scored reps spread over a
year, each with a scorecard and ``--criteria`` criterion results (default 200,000 reps = 1,000,000 criterion
rows), then times, after one warm-up run each:

- team trend: one team's criterion scores over the last 90 days (what a manager's per-criterion chart reads);
- skill averages: the organisation's average score per skill over the last 30 days;
- learner history: one learner's newest 50 reps with turn counts and scores (``PracticeService.list_reps``);
- team reps: the newest 50 reps of one team.

It prints the median and worst time of ``--repeat`` runs and the query plan, so a missing index shows up as a
full scan. Run: ``.venv/bin/python bench/store_scale.py [--url URL] [--reps N]``. The default URL is a fresh
SQLite file in a temporary directory; for PostgreSQL pass ``--url postgresql+psycopg://...`` of an empty
schema (``?options=-csearch_path%3Dbench``). Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, insert, select, text

from sparring.services.practice import PracticeService
from sparring.store.db import Database
from sparring.store.models import (
    ConversationRow,
    CriterionResultRow,
    Organisation,
    Rep,
    ScorecardRow,
    Team,
    TeamMember,
    User,
)

CRITERIA = [
    ("explore", "discovery"),
    ("value", "hold-value"),
    ("trade", "trade-offs"),
    ("next-step", "next-steps"),
    ("balance", "listening"),
    ("ack", "empathy"),
    ("close", "next-steps"),
]


def seed(db: Database, reps: int, teams: int, per_team: int, criteria: int, seed_value: int) -> dict[str, int]:
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    with db.session() as s:
        org = Organisation(slug="bench", name="Bench Inc")
        s.add(org)
        s.flush()
        team_ids, users = [], []
        for t in range(teams):
            team = Team(org_id=org.id, name=f"Team {t:03d}")
            s.add(team)
            s.flush()
            team_ids.append(team.id)
            for u in range(per_team):
                user = User(org_id=org.id, email=f"u{t}-{u}@bench.test", name=f"Learner {t}-{u}", role="learner")
                s.add(user)
                s.flush()
                s.add(TeamMember(team_id=team.id, user_id=user.id))
                users.append((user.id, team.id))
        org_id = org.id
    chunk = 5000
    rep_id = 0
    for start in range(0, reps, chunk):
        n = min(chunk, reps - start)
        conv_rows, rep_rows, card_rows, crit_rows = [], [], [], []
        for _ in range(n):
            rep_id += 1
            user_id, team_id = users[rng.randrange(len(users))]
            created = now - timedelta(seconds=rng.randrange(365 * 86400))
            overall = round(rng.uniform(20, 95), 1)
            # every rep is a practice conversation (the same id, as migration 0009 makes them)
            conv_rows.append(
                {
                    "id": rep_id,
                    "source": "practice",
                    "title": "bench",
                    "rubric_id": "bench-rubric",
                    "rubric_version": "v1",
                    "user_id": user_id,
                    "org_id": org_id,
                    "team_id": team_id,
                    "private": False,
                    "started_at": created,
                    "ended_at": created,
                    "created_at": created,
                }
            )
            rep_rows.append(
                {
                    "id": rep_id,
                    "conversation_id": rep_id,
                    "user_id": user_id,
                    "org_id": org_id,
                    "team_id": team_id,
                    "scenario_id": f"scenario-{rng.randrange(13)}",
                    "scenario_version": "v1",
                    "rubric_id": "bench-rubric",
                    "rubric_version": "v1",
                    "difficulty": "medium",
                    "engine": "embedded",
                    "state": {},
                    "outcome": "success",
                    "created_at": created,
                    "updated_at": created,
                }
            )
            card_rows.append(
                {
                    "id": rep_id,
                    "conversation_id": rep_id,
                    "rubric_id": "bench-rubric",
                    "rubric_version": "v1",
                    "engine": "embedded",
                    "overall": overall,
                    "passed": overall >= 70,
                    "document": {},
                    "input_tokens": 0,
                    "output_tokens": 0,
                    "created_at": created,
                }
            )
            for cid, skill in CRITERIA[:criteria]:
                score = float(rng.randrange(2))
                crit_rows.append(
                    {
                        "scorecard_id": rep_id,
                        "conversation_id": rep_id,
                        "org_id": org_id,
                        "team_id": team_id,
                        "user_id": user_id,
                        "criterion_id": cid,
                        "kind": "check",
                        "skill": skill,
                        "score": score,
                        "max": 1.0,
                        "verdict": "met" if score else "missed",
                        "created_at": created,
                    }
                )
        with db.session() as s:
            s.execute(insert(ConversationRow), conv_rows)
            s.execute(insert(Rep), rep_rows)
            s.execute(insert(ScorecardRow), card_rows)
            s.execute(insert(CriterionResultRow), crit_rows)
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('reps', 'id'), (SELECT max(id) FROM reps))"))
            conn.execute(text("SELECT setval(pg_get_serial_sequence('conversations', 'id'),"
                              " (SELECT max(id) FROM conversations))"))
            conn.execute(text("ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return {"org_id": org_id, "team_id": team_ids[len(team_ids) // 2], "user_id": users[len(users) // 2][0]}


def plan(db: Database, query: Select[Any]) -> str:
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if db.dialect == "sqlite" else "EXPLAIN "
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + str(compiled)).fetchall()
    lines = [str(r[-1]) for r in rows]
    if db.dialect == "postgresql":  # keep the scan nodes: they name the index used (or say Seq Scan)
        lines = [ln.strip().lstrip("-> ").split("  (cost")[0] for ln in lines if "Scan" in ln or "Index" in ln]
    return "; ".join(lines)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=None, help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--reps", type=int, default=200_000)
    ap.add_argument("--teams", type=int, default=40)
    ap.add_argument("--per-team", type=int, default=25)
    ap.add_argument("--criteria", type=int, default=5, choices=range(1, len(CRITERIA) + 1))
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    db = Database(url)
    db.upgrade()
    t = time.perf_counter()
    ids = seed(db, args.reps, args.teams, args.per_team, args.criteria, args.seed)
    seeded = time.perf_counter() - t
    print(
        f"database: {db.dialect}; seeded {args.reps:,} reps, {args.reps * args.criteria:,} criterion results, "
        f"{args.teams * args.per_team:,} learners in {seeded:.1f} s"
    )
    now = datetime.now(UTC)
    team_trend = (
        select(CriterionResultRow.criterion_id, CriterionResultRow.created_at, CriterionResultRow.score)
        .where(CriterionResultRow.team_id == ids["team_id"], CriterionResultRow.created_at >= now - timedelta(days=90))
        .order_by(CriterionResultRow.criterion_id, CriterionResultRow.created_at)
    )
    skills = (
        select(CriterionResultRow.skill, func.avg(CriterionResultRow.score / CriterionResultRow.max), func.count())
        .where(CriterionResultRow.org_id == ids["org_id"], CriterionResultRow.created_at >= now - timedelta(days=30))
        .group_by(CriterionResultRow.skill)
    )
    team_reps = (
        select(Rep.id, Rep.created_at, Rep.outcome)
        .where(Rep.team_id == ids["team_id"])
        .order_by(Rep.created_at.desc())
        .limit(50)
    )
    svc = PracticeService(db)

    def run(q: Select[Any]) -> Callable[[], object]:
        def go() -> object:
            with db.read() as s:
                return s.execute(q).all()

        return go

    rows = len(run(team_trend)())
    print(f"\n{'query':<16} {'median ms':>10} {'max ms':>8}  plan")
    for name, fn, q in (
        (f"team trend ({rows:,} rows)", run(team_trend), team_trend),
        ("skill averages", run(skills), skills),
        ("learner history", lambda: svc.list_reps(user_id=ids["user_id"], limit=50), None),
        ("team reps", run(team_reps), team_reps),
    ):
        med, worst = timed(fn, args.repeat)
        shown = plan(db, q) if q is not None else "reps by (user_id, created_at); scorecards by conversation"
        print(f"{name:<16} {med:>10.1f} {worst:>8.1f}  {shown[:160]}")
    db.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
