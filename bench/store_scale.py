"""Benchmark the dashboard queries the schema's indexes are for, over a large synthetic organisation.

Seeds one organisation (``--teams`` teams of ``--per-team`` learners) with ``--reps`` scored reps spread over a
year, each with a scorecard and ``--criteria`` criterion results (default 200,000 reps = 1,000,000 criterion
rows; ``bench/_seed.py``, shared with ``bench/analytics.py``: COPY on PostgreSQL), then times, after one warm-up
run each:

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
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select

from sparring.services.practice import PracticeService
from sparring.store.db import Database
from sparring.store.models import CriterionResultRow, Rep

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # bench/_seed.py: the seeding shared with bench/analytics.py

CRITERIA = _seed.CRITERIA


def seed(db: Database, reps: int, teams: int, per_team: int, criteria: int, seed_value: int) -> dict[str, int]:
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    org = _seed.organisation(db, teams * per_team, per_team, now)
    org_id, users = org.org_id, org.users
    chunk = 5000
    rep_id = 0
    rows = _seed.Rows.empty()
    for start in range(0, reps, chunk):
        for _ in range(min(chunk, reps - start)):
            rep_id += 1
            user_id, team_id = users[rng.randrange(len(users))]
            created = now - timedelta(seconds=rng.randrange(365 * 86400))
            overall = round(rng.uniform(20, 95), 1)
            # every rep is a practice conversation (the same id, as migration 0009 makes them), started and ended
            # at once
            rows.practice(rep_id, user_id, org_id, team_id, created, 0, f"scenario-{rng.randrange(13)}", "success",
                          overall, overall >= 70)
            for cid, skill in CRITERIA[:criteria]:
                score = float(rng.randrange(2))
                rows.criterion(rep_id, user_id, org_id, team_id, cid, "check", skill, score, 1.0,
                               "met" if score else "missed", created)
        rows.flush(db)
    _seed.finish(db)
    return {"org_id": org_id, "team_id": org.teams[len(org.teams) // 2], "user_id": users[len(users) // 2][0]}


def plan(db: Database, query: Select[Any]) -> str:
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if db.dialect == "sqlite" else "EXPLAIN "
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + str(compiled)).fetchall()
    lines = [str(r[-1]) for r in rows]
    if db.dialect == "postgresql":  # keep the scan nodes: they name the index used (or say Seq Scan)
        lines = [ln.strip().lstrip("-> ").split("  (cost")[0] for ln in lines if "Scan" in ln or "Index" in ln]
    return "; ".join(lines)


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
        med, worst = _seed.timed(fn, args.repeat)
        shown = plan(db, q) if q is not None else "reps by (user_id, created_at); scorecards by conversation"
        print(f"{name:<16} {med:>10.1f} {worst:>8.1f}  {shown[:160]}")
    db.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
