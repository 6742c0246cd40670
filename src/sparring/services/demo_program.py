"""The demo's practice sprint (docs/demo.md, "A practice sprint"; docs/programs.md): Morgan Lee runs a 30-day sprint
for both demo teams, three objection scenarios planned week by week, a rep target per learner and a pass bar; the
demo learners are half-way through it with reps played against the embedded persona and scored by the embedded
scorer (``services.demo``'s scripted learners, each a little better with every rep), so the program page, Team →
Insights and the sponsor report show real numbers.

Everything goes through the services a lead and the learners use (``programs.create_program``, practice reps);
only the dates are set afterwards, as the rest of the demo does, so the sprint started ``ELAPSED`` days ago.
Called by ``services.demo.seed_demo`` when it creates the organisation, or once for a demo organisation made
before the demo had a program.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from sparring.content.errors import UnknownContentError
from sparring.content.scenario import Scenario
from sparring.services import programs
from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.practice import PracticeService
from sparring.store.db import Database
from sparring.store.models import User

NAME = "30-day objection sprint"
DESCRIPTION = ("Thirty days of objection handling before the renewal season: price first, then the incumbent, then "
               "the renewal discount. Three reps a week keeps you on track.")
DAYS = 30
#: days of the sprint over when the demo is seeded (today is its day ELAPSED + 1: week 3 of 5)
ELAPSED = 17
TARGET = 15
TARGET_MAX = 20
#: the overall score a rep needs to pass. Chosen after seeing the scripted learners' scores on the embedded scorer
#: (from about 60, Ben's first reps, to 100; most of Ava's above 90): at 80 about two reps in three pass, Ben's first
#: ones do not
PASS_BAR = 80.0
#: the weekly plan: (scenario id, week); weeks 4 and 5 have none planned, so any of them counts then
PLAN = (("sales-pricing-objection", 1), ("sales-competitor-displacement", 2), ("cs-renewal-discount", 3))

#: plays one scored rep of ``scenario`` as a scripted learner of ``skill`` (``services.demo._play``); its id
Play = Callable[[PracticeService, int, Scenario, float, int], int]
#: dates a rep, its conversation, scorecards and results (``services.demo._backdate``)
Backdate = Callable[[Database, int, datetime], None]


@dataclass(frozen=True)
class SprintLearner:
    """A demo learner in the sprint: how many reps they have done so far, and how skilled they start."""

    email: str
    reps: int
    skill: float


@dataclass(frozen=True)
class DemoProgram:
    program_id: int
    reps: int


def _scenarios(practice: PracticeService, org_id: int) -> list[tuple[Scenario, int]]:
    content = practice.content_for(org_id)
    out = []
    for scenario_id, week in PLAN:
        try:
            out.append((content.get_scenario(scenario_id), week))
        except UnknownContentError:
            continue  # an installation without the built-in library: the sprint plans what there is
    return out


def _rep_days(reps: int, offset: int) -> list[int]:
    """The sprint days (0 = its first) of ``reps`` reps spread over the days already over, a learner's own rhythm."""
    return sorted(min(ELAPSED - 1, (k * ELAPSED) // reps + (offset + k) % 2) for k in range(reps))


def seed_program(database: Database, practice: PracticeService, play: Play, backdate: Backdate, *, org: str,
                 manager: str | None, teams: Sequence[str], learners: Sequence[SprintLearner],
                 now: datetime | None = None) -> DemoProgram | None:
    """Create the sprint for ``teams`` as ``manager`` (an e-mail; None: the operator) and play each learner's reps
    so far; None when there is nothing to plan (no scenario of the plan, no team)."""
    now = now or datetime.now(UTC)
    org_id = Accounts(database).org_id(org)
    planned = _scenarios(practice, org_id)
    if not planned or not teams:
        return None
    start: date = now.date() - timedelta(days=ELAPSED)
    with database.session() as s:
        lead = s.scalar(select(User).where(User.email == manager)) if manager else None
        view = programs.create_program(
            s, Viewer.of(lead) if lead is not None else None, lambda _org, sid: practice.content_for(org_id)
            .get_scenario(sid), org_id=org_id, name=NAME, description=DESCRIPTION, start_on=start,
            end_on=start + timedelta(days=DAYS - 1), target_min=TARGET, target_max=TARGET_MAX, pass_bar=PASS_BAR,
            scenarios=[programs.ScenarioChoice(sc.id, week) for sc, week in planned], teams=list(teams),
            now=datetime.combine(start, time(8), tzinfo=UTC))
        ids = {email: uid for email, uid in s.execute(select(User.email, User.id).where(User.org_id == org_id))}
    count = 0
    for n, learner in enumerate(learners):
        for k, day in enumerate(_rep_days(learner.reps, n)):
            week = day // 7 + 1
            scenario = next((sc for sc, w in planned if w == week), planned[(n + k) % len(planned)][0])
            # the scripted learner gets a little better with every rep: the trends have something to show
            rep_id = play(practice, ids[learner.email], scenario, min(0.95, learner.skill + 0.05 * k),
                          1000 + 50 * n + k)
            backdate(database, rep_id, datetime.combine(start + timedelta(days=day), time(9 + k % 8, 5 * n),
                                                        tzinfo=UTC))
            count += 1
    return DemoProgram(view.id, count)
