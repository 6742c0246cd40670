"""Team insights (sparring.services.insights): the cohort is the viewer's team's active learners, on both
databases; another team is a PermissionError; the period limits the reps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sparring_test_support as support

from sparring.services.access import Viewer
from sparring.services.accounts import Accounts
from sparring.services.insights import team_cohort, team_insights
from sparring.store.db import Database


def test_the_cohort_follows_the_access_rules(db: Database) -> None:
    line = support.line_practice(db)
    accounts = Accounts(db)
    boss = accounts.create_user("Acme", "boss@acme.test", None, role="manager", team="East")
    admin = accounts.create_user("Acme", "admin@acme.test", None, role="admin")
    east = [accounts.create_user("Acme", f"e{i}@acme.test", None, role="learner", team="East") for i in range(2)]
    west = accounts.create_user("Acme", "w@acme.test", None, role="learner", team="West")
    gone = accounts.create_user("Acme", "gone@acme.test", None, role="learner", team="East")
    accounts.set_active(gone.id, False)
    for u in [*east, west]:
        support.rep_with_scores(line, u, 1.0, 0.5)
    as_boss = Viewer(boss.id, boss.org_id, "manager", "Boss", boss.email)
    as_admin = Viewer(admin.id, admin.org_id, "admin", "Admin", admin.email)
    with db.read() as s:
        teams, cohort, names = team_cohort(s, as_boss)
        assert [t.name for t in teams] == ["East"] and cohort is not None
        assert cohort.user_ids == tuple(sorted(u.id for u in east))  # not West, not the manager, not deactivated
        assert set(names) == set(cohort.user_ids)
        west_team = next(t.id for t in team_cohort(s, as_admin)[0] if t.name == "West")
        with pytest.raises(PermissionError):
            team_cohort(s, as_boss, team_id=west_team)
        assert team_cohort(s, as_admin, team_id=west_team)[1].user_ids == (west.id,)  # type: ignore[union-attr]
        with pytest.raises(ValueError, match="days"):
            team_cohort(s, as_boss, days=7)
        later = team_cohort(s, as_boss, days=30, now=datetime.now(UTC) + timedelta(days=60))[1]
        assert later is not None and later.start is not None and later.start > datetime.now(UTC)
        found = team_insights(s, as_boss)
    assert found.practice is not None and found.practice.outcomes.reps == 2
    assert found.needs is not None and found.needs.needs == []
