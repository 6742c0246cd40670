"""Benchmark the analytics and early-coaching-needs queries (docs/analytics.md) over a large synthetic organisation.

Seeds one organisation of ``--learners`` learners in teams of ``--team-size`` (default 10,000 learners, 400 teams)
with ``--reps-per-learner`` scored practice reps each (default 100: 1,000,000 reps, conversations and scorecards)
spread over a year, ``--criteria`` criterion results per scorecard (default 5: 5,000,000 rows), and
``--calls-per-learner`` scored real calls (half before the learner's first rep, half after). Scores follow a
learner's ability, a per-skill improvement with practice and noise, so the trends are not flat. Rows go in by
COPY on PostgreSQL and by the driver's executemany on SQLite, in chunks.

Then times, after one warm-up run, the median and worst of ``--repeat`` runs of every analytics query for cohorts
of one learner, one team, a program of ``--program`` learners (several teams) and, with ``--org``, the whole
organisation:
trends (first vs latest per criterion and skill), the skill curve by rep number, practice (outcomes and time),
transfer (calls before/after), early coaching needs (``coaching_needs.assess``: query and permutation tests) and
the insights page's whole service call for one team. Targets: ≤ 200 ms on PostgreSQL, ≤ 500 ms on SQLite.

Run: ``.venv/bin/python bench/analytics.py [--url URL] [--learners N] [--reps-per-learner N]``. The default URL is a
fresh SQLite file in a temporary directory; for PostgreSQL pass ``--url postgresql+psycopg://...`` of an empty
schema (``?options=-csearch_path%3Dbench``). Prints numbers; asserts nothing (the targets are read by a person).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from sparring.coaching.coaching_needs import assess
from sparring.reports.analytics import practice, skill_curve, transfer, trends
from sparring.services.access import Viewer
from sparring.services.insights import team_insights
from sparring.store.cohorts import Cohort
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
                      "private", "started_at", "ended_at", "created_at"),
    "reps": ("id", "conversation_id", "user_id", "org_id", "team_id", "scenario_id", "scenario_version", "rubric_id",
             "rubric_version", "difficulty", "engine", "state", "outcome", "created_at", "updated_at"),
    "scorecards": ("id", "conversation_id", "rubric_id", "rubric_version", "engine", "overall", "passed", "document",
                   "input_tokens", "output_tokens", "created_at"),
    "criterion_results": ("scorecard_id", "conversation_id", "org_id", "team_id", "user_id", "criterion_id", "kind",
                          "skill", "score", "max", "verdict", "created_at"),
}


def bulk(db: Database, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert rows (tuples in ``COLUMNS[table]`` order): COPY on PostgreSQL, executemany on SQLite."""
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


def seed(db: Database, learners: int, team_size: int, reps_per: int, criteria: int, calls_per: int,
         seed_value: int, chunk_learners: int = 200) -> dict[str, Any]:
    rng = random.Random(seed_value)
    now = datetime.now(UTC).replace(microsecond=0)
    year_ago = now - timedelta(days=365)
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
    skills = sorted({skill for _, skill in CRITERIA[:criteria]})
    conv_id = card_id = 0
    for start in range(0, len(users), chunk_learners):
        convs: list[tuple[Any, ...]] = []
        reps: list[tuple[Any, ...]] = []
        cards: list[tuple[Any, ...]] = []
        crits: list[tuple[Any, ...]] = []
        for uid, tid in users[start:start + chunk_learners]:
            ability = rng.gauss(0.55, 0.12)
            gain = {k: rng.choice([0.0, 0.1, 0.25]) for k in skills}
            weak = rng.choice(skills) if rng.random() < 0.05 else None
            first = year_ago + timedelta(seconds=rng.randrange(30 * 86400))
            times = sorted(first + timedelta(seconds=rng.randrange(330 * 86400)) for _ in range(reps_per - 1))
            for i, when in enumerate([first, *times]):
                conv_id += 1
                card_id += 1
                length = rng.randrange(180, 1500)
                convs.append((conv_id, "practice", "bench", "bench-rubric", "v1", uid, org_id, tid, False, when,
                              when + timedelta(seconds=length), when))
                outcome = rng.choice(("success", "failure", "incomplete"))
                reps.append((conv_id, conv_id, uid, org_id, tid, f"scenario-{rng.randrange(13)}", "v1",
                             "bench-rubric", "v1", "medium", "embedded", "{}", outcome, when, when))
                progress = min(1.0, i / max(1, reps_per - 1) * 3)
                shares = []
                for cid, skill in CRITERIA[:criteria]:
                    p = ability + gain[skill] * progress - (0.3 if skill == weak else 0.0)
                    share = min(1.0, max(0.0, rng.gauss(p, 0.15)))
                    share = round(share * 4) / 4  # a 0-4 anchor scale, as the rubrics' scales are
                    shares.append(share)
                    crits.append((card_id, conv_id, org_id, tid, uid, cid, "scale", skill, share * 4, 4.0,
                                  "met" if share >= 0.75 else "partly" if share > 0 else "missed", when))
                overall = round(100 * sum(shares) / len(shares), 1)
                cards.append((card_id, conv_id, "bench-rubric", "v1", "embedded", overall, overall >= 70, "{}", 0, 0,
                              when))
            for c in range(calls_per):
                conv_id += 1
                card_id += 1
                when = first - timedelta(days=rng.randrange(1, 60)) if c % 2 == 0 else \
                    first + timedelta(days=rng.randrange(30, 300))
                convs.append((conv_id, "call", "bench call", "bench-rubric", "v1", uid, org_id, tid, False, when,
                              when + timedelta(minutes=30), when))
                shares = []
                for cid, skill in CRITERIA[:criteria]:
                    p = ability + (gain[skill] * 0.5 if c % 2 else 0.0)
                    share = round(min(1.0, max(0.0, rng.gauss(p, 0.15))) * 4) / 4
                    shares.append(share)
                    crits.append((card_id, conv_id, org_id, tid, uid, cid, "scale", skill, share * 4, 4.0,
                                  "met" if share >= 0.75 else "partly" if share > 0 else "missed", when))
                overall = round(100 * sum(shares) / len(shares), 1)
                cards.append((card_id, conv_id, "bench-rubric", "v1", "embedded", overall, overall >= 70, "{}", 0, 0,
                              when))
        bulk(db, "conversations", convs)
        bulk(db, "reps", reps)
        bulk(db, "scorecards", cards)
        bulk(db, "criterion_results", crits)
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            for table, col in (("conversations", "id"), ("reps", "id"), ("scorecards", "id"),
                               ("criterion_results", "id")):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', '{col}'), "
                                  f"(SELECT max({col}) FROM {table}))"))
        conn.exec_driver_sql("ANALYZE")
    by_team: dict[int, list[int]] = {}
    for uid, tid in users:
        by_team.setdefault(tid, []).append(uid)
    return {"org_id": org_id, "manager_id": manager_id, "teams": teams, "by_team": by_team,
            "users": [u for u, _ in users]}


def existing(db: Database) -> dict[str, Any]:
    """The ids ``seed`` returns, read from a database it seeded before (``--existing``)."""
    with db.read() as s:
        org_id = s.scalar(select(Organisation.id).where(Organisation.slug == "bench"))
        if org_id is None:
            raise SystemExit("--existing: no organisation 'bench' in this database; run without it to seed one")
        manager_id = s.scalar(select(User.id).where(User.email == "manager@bench.test"))
        teams = list(s.scalars(select(Team.id).where(Team.org_id == org_id).order_by(Team.id)))
        by_team: dict[int, list[int]] = {}
        members = (select(TeamMember.team_id, TeamMember.user_id).join(User, User.id == TeamMember.user_id)
                   .where(User.org_id == org_id, User.role == "learner").order_by(User.id))
        for tid, uid in s.execute(members):
            by_team.setdefault(tid, []).append(uid)
    return {"org_id": org_id, "manager_id": manager_id, "teams": teams, "by_team": by_team,
            "users": [u for t in teams for u in by_team.get(t, [])]}


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def cohorts(ids: dict[str, Any], program: int, org: bool) -> Iterable[tuple[str, Cohort]]:
    team_ids = ids["teams"]
    middle = ids["by_team"][team_ids[len(team_ids) // 2]]
    yield "learner", Cohort.of(ids["org_id"], [middle[0]])
    yield f"team ({len(middle)})", Cohort.of(ids["org_id"], middle)
    members = [u for t in team_ids[: max(1, program // max(1, len(middle)))] for u in ids["by_team"][t]][:program]
    yield f"program ({len(members)})", Cohort.of(ids["org_id"], members)
    if org:
        yield f"org ({len(ids['users'])})", Cohort.of(ids["org_id"], ids["users"])


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--url", default=None, help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--learners", type=int, default=10_000)
    ap.add_argument("--team-size", type=int, default=25)
    ap.add_argument("--reps-per-learner", type=int, default=100)
    ap.add_argument("--criteria", type=int, default=5, choices=range(1, len(CRITERIA) + 1))
    ap.add_argument("--calls-per-learner", type=int, default=4)
    ap.add_argument("--program", type=int, default=250, help="learners in the program cohort")
    ap.add_argument("--org", action="store_true", help="also time a cohort of every learner (slow)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="one JSON document instead of the table")
    ap.add_argument("--existing", action="store_true", help="time a database this script seeded before (--url)")
    args = ap.parse_args(argv)
    tmp = tempfile.TemporaryDirectory()
    url = args.url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    db = Database(url)
    if not args.existing:
        db.upgrade()
    t = time.perf_counter()
    if args.existing:
        ids = existing(db)
        seeded = 0.0
        header = f"database: {db.dialect}; the bench organisation seeded before, {len(ids['users']):,} learners"
    else:
        ids = seed(db, args.learners, args.team_size, args.reps_per_learner, args.criteria, args.calls_per_learner,
                   args.seed)
        seeded = time.perf_counter() - t
        n_reps = args.learners * args.reps_per_learner
        header = (f"database: {db.dialect}; seeded {n_reps:,} reps and scorecards, "
                  f"{(n_reps + args.learners * args.calls_per_learner) * args.criteria:,} criterion results, "
                  f"{args.learners * args.calls_per_learner:,} calls, {args.learners:,} learners in {seeded:.1f} s")
    results: list[dict[str, object]] = []

    def run(name: str, cohort_name: str, fn: Callable[[], object]) -> None:
        med, worst = timed(fn, args.repeat)
        results.append({"query": name, "cohort": cohort_name, "median_ms": round(med, 1), "max_ms": round(worst, 1)})

    for cohort_name, cohort in cohorts(ids, args.program, args.org):
        for name, fn in (("trends", trends), ("skill curve", skill_curve), ("practice", practice),
                         ("transfer", transfer), ("coaching needs", assess)):
            def go(fn: Callable[..., object] = fn, cohort: Cohort = cohort) -> object:
                with db.read() as s:
                    return fn(s, cohort)

            run(name, cohort_name, go)
    team = ids["teams"][len(ids["teams"]) // 2]
    viewer = Viewer(ids["manager_id"], ids["org_id"], "admin", "Bench admin", "admin@bench.test")

    def page() -> object:
        with db.read() as s:
            return team_insights(s, viewer, team_id=team, days=None)

    run("insights page (all of it)", f"team ({len(ids['by_team'][team])})", page)
    if args.json:
        print(json.dumps({"database": db.dialect, "seconds_seeding": round(seeded, 1), "results": results}))
    else:
        out = io.StringIO()
        print(header, file=out)
        print(f"\n{'query':<28} {'cohort':<16} {'median ms':>10} {'max ms':>8}", file=out)
        for r in results:
            print(f"{r['query']:<28} {r['cohort']:<16} {r['median_ms']:>10.1f} {r['max_ms']:>8.1f}", file=out)
        print(out.getvalue(), end="")
    db.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
