"""Benchmark the analytics and early-coaching-needs queries (docs/analytics.md) over a large synthetic organisation.

Seeds one organisation of ``--learners`` learners in teams of ``--team-size`` (default 10,000 learners, 400 teams)
with ``--reps-per-learner`` scored practice reps each (default 100: 1,000,000 reps, conversations and scorecards)
spread over a year, ``--criteria`` criterion results per scorecard (default 5: 5,000,000 rows), and
``--calls-per-learner`` scored real calls (half before the learner's first rep, half after). Scores follow a
learner's ability, a per-skill improvement with practice and noise, so the trends are not flat. Rows go in by
COPY on PostgreSQL and by the driver's executemany on SQLite, in chunks, with each rep's analytics roll-up (migration
0021) and each conversation's current scorecard id (migration 0031) filled in (``bench/_seed.py``, shared with
``bench/store_scale.py``).

Then times, after one warm-up run, the median and worst of ``--repeat`` runs of every analytics query for cohorts
of one learner, one team, a program of ``--program`` learners (several teams) and, with ``--org``, the whole
organisation:
trends (first vs latest per criterion and skill), the skill curve by rep number, practice (outcomes and time),
transfer (calls before/after), early coaching needs (``coaching_needs.assess``: query and permutation tests), the
insights page's whole service call for one team, and the two report queries of a program — the progress page's
service call (``program_progress``) and the sponsor report's data gathering (``sponsor_report``: the progress, the
trends and the transfer; not the HTML/PDF rendering) — for programs of one learner, one team and ``--program``
learners over the whole seeded year (made when missing, also with ``--existing``). Targets: ≤ 200 ms on
PostgreSQL, ≤ 500 ms on SQLite.

Run: ``.venv/bin/python bench/analytics.py [--url URL] [--learners N] [--reps-per-learner N]``. The default URL is a
fresh SQLite file in a temporary directory; for PostgreSQL pass ``--url postgresql+psycopg://...`` of an empty
schema (``?options=-csearch_path%3Dbench``). Prints numbers; asserts nothing (the targets are read by a person).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sparring.coaching.coaching_needs import assess
from sparring.reports.analytics import practice, skill_curve, transfer, trends
from sparring.services.access import Viewer
from sparring.services.insights import team_insights
from sparring.services.program_progress import program_progress
from sparring.services.sponsor_report import sponsor_report
from sparring.store.cohorts import Cohort
from sparring.store.db import Database
from sparring.store.models import Organisation, Team, TeamMember, User
from sparring.store.program_models import ProgramEnrolmentRow, ProgramRow, ProgramScenarioRow

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _seed  # bench/_seed.py: the seeding shared with bench/store_scale.py

CRITERIA = _seed.CRITERIA
#: the seeded reps' scenarios: scenario-0 … scenario-12
SCENARIOS = 13


def seed(db: Database, learners: int, team_size: int, reps_per: int, criteria: int, calls_per: int,
         seed_value: int, chunk_learners: int = 200) -> dict[str, Any]:
    rng = random.Random(seed_value)
    now = datetime.now(UTC).replace(microsecond=0)
    year_ago = now - timedelta(days=365)
    org = _seed.organisation(db, learners, team_size, now)
    org_id, users = org.org_id, org.users
    skills = sorted({skill for _, skill in CRITERIA[:criteria]})
    conv_id = 0
    rows = _seed.Rows.empty()
    for start in range(0, len(users), chunk_learners):
        for uid, tid in users[start:start + chunk_learners]:
            ability = rng.gauss(0.55, 0.12)
            gain = {k: rng.choice([0.0, 0.1, 0.25]) for k in skills}
            weak = rng.choice(skills) if rng.random() < 0.05 else None
            first = year_ago + timedelta(seconds=rng.randrange(30 * 86400))
            times = sorted(first + timedelta(seconds=rng.randrange(330 * 86400)) for _ in range(reps_per - 1))
            for i, when in enumerate([first, *times]):
                conv_id += 1
                length = rng.randrange(180, 1500)
                outcome = rng.choice(("success", "failure", "incomplete"))
                scenario = f"scenario-{rng.randrange(SCENARIOS)}"
                progress = min(1.0, i / max(1, reps_per - 1) * 3)
                shares = []
                for cid, skill in CRITERIA[:criteria]:
                    p = ability + gain[skill] * progress - (0.3 if skill == weak else 0.0)
                    share = min(1.0, max(0.0, rng.gauss(p, 0.15)))
                    share = round(share * 4) / 4  # a 0-4 anchor scale, as the rubrics' scales are
                    shares.append(share)
                    rows.criterion(conv_id, uid, org_id, tid, cid, "scale", skill, share * 4, 4.0,
                                   "met" if share >= 0.75 else "partly" if share > 0 else "missed", when)
                overall = round(100 * sum(shares) / len(shares), 1)
                rows.practice(conv_id, uid, org_id, tid, when, length, scenario, outcome, overall, overall >= 70)
            for c in range(calls_per):
                conv_id += 1
                when = first - timedelta(days=rng.randrange(1, 60)) if c % 2 == 0 else \
                    first + timedelta(days=rng.randrange(30, 300))
                shares = []
                for cid, skill in CRITERIA[:criteria]:
                    p = ability + (gain[skill] * 0.5 if c % 2 else 0.0)
                    share = round(min(1.0, max(0.0, rng.gauss(p, 0.15))) * 4) / 4
                    shares.append(share)
                    rows.criterion(conv_id, uid, org_id, tid, cid, "scale", skill, share * 4, 4.0,
                                   "met" if share >= 0.75 else "partly" if share > 0 else "missed", when)
                overall = round(100 * sum(shares) / len(shares), 1)
                rows.call(conv_id, uid, org_id, tid, when, overall, overall >= 70)
        rows.flush(db)
    _seed.finish(db)
    by_team: dict[int, list[int]] = {}
    for uid, tid in users:
        by_team.setdefault(tid, []).append(uid)
    return {"org_id": org_id, "manager_id": org.manager_id, "teams": org.teams, "by_team": by_team,
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


def programs(db: Database, ids: dict[str, Any], program: int) -> dict[str, tuple[int, int]]:
    """The programs the report queries are timed on, made when missing: "learner" (one learner), "team" (the middle
    team) and "program" (the first teams, ``program`` learners: the analytics' program cohort), each over every
    scenario and the whole seeded year — the worst case, every rep counts. Cohort name → (program id, learners)."""
    team_ids = ids["teams"]
    middle_team = team_ids[len(team_ids) // 2]
    size = max(1, len(ids["by_team"][middle_team]))
    wanted = {
        "learner": ([], [ids["by_team"][middle_team][0]]),
        "team": ([middle_team], []),
        "program": (team_ids[: max(1, program // size)], []),
    }
    today = datetime.now(UTC).date()
    out: dict[str, tuple[int, int]] = {}
    with db.session() as s:
        for name, (teams, users) in wanted.items():
            title = f"Bench {name}"
            found = s.scalar(select(ProgramRow.id).where(ProgramRow.org_id == ids["org_id"], ProgramRow.name == title))
            if found is None:
                row = ProgramRow(org_id=ids["org_id"], name=title, description="bench/analytics.py",
                                 start_on=today - timedelta(days=365), end_on=today, target_min=20, target_max=None,
                                 pass_bar=70.0, created_by=None, status="active")
                s.add(row)
                s.flush()
                found = row.id
                s.add_all(ProgramScenarioRow(program_id=found, position=i, scenario_id=f"scenario-{i}",
                                             title=f"Scenario {i}") for i in range(SCENARIOS))
                s.add_all(ProgramEnrolmentRow(program_id=found, team_id=t) for t in teams)
                s.add_all(ProgramEnrolmentRow(program_id=found, user_id=u) for u in users)
            learners = len(users) + sum(len(ids["by_team"].get(t, [])) for t in teams)
            out[name] = (found, learners)
    return out


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
        med, worst = _seed.timed(fn, args.repeat)
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
    for cohort_name, (program_id, learners) in programs(db, ids, args.program).items():
        def progress(program_id: int = program_id) -> object:
            with db.read() as s:
                return program_progress(s, viewer, program_id)

        def report(program_id: int = program_id) -> object:
            with db.read() as s:
                return sponsor_report(s, viewer, program_id)

        label = "learner" if cohort_name == "learner" else f"{cohort_name} ({learners})"
        run("program progress page", label, progress)
        run("sponsor report (data)", label, report)
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
