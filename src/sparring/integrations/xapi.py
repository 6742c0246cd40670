"""xAPI 1.0.3 statements of scored attempts and their criterion results (docs/integrations.md, "xAPI").

A scored attempt (a practice rep or a drill with a current scorecard; ``xapi_records`` reads them from the store)
becomes one **attempt statement** and one **criterion statement** per criterion result:

- actor: an ``account`` whose ``homePage`` is the installation's address (``SPARRING_PUBLIC_URL``) and whose
  ``name`` is the Sparring user id: a pseudonym, never the e-mail address or the person's name (the LRS learns who
  practised only from whoever holds Sparring's user list).
- attempt: verb ``passed`` or ``failed`` (ADL), object the scenario at its pinned version (an activity of type
  ``simulation``), result with ``score`` (``scaled`` = overall / 100, ``raw``/``min``/``max`` on 0..100),
  ``success``, ``completion``, ``duration`` (ISO 8601, from the conversation's start and end) and extensions with
  the rubric id and version; context with the registration (one per rep), the assignment the rep belongs to as
  ``parent``, the programs it counts towards as ``grouping``.
- criterion: verb ``scored`` (ADL), object the criterion of the rubric version (type ``objective``), result with
  ``score`` (``raw`` of ``max``), ``success`` (the verdict ``met``; no success for ``n/a``) and extensions with
  the verdict, the kind, the rubric and the evidence turns (indexes from 0, as in the transcript);
  ``context.statement`` refers to the attempt statement, ``parent`` is the scenario.

Statement ids and registrations are UUID 5 of stable names (the installation's address, the scorecard id, the
criterion id, the rep id), so sending a statement again sends the same id: an LRS stores it once.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO
from urllib.parse import quote

XAPI_VERSION = "1.0.3"
#: used when the installation has no public address (SPARRING_PUBLIC_URL): a name that can never be a real host
FALLBACK_HOME = "https://sparring.invalid"

VERB_PASSED = "http://adlnet.gov/expapi/verbs/passed"
VERB_FAILED = "http://adlnet.gov/expapi/verbs/failed"
VERB_SCORED = "http://adlnet.gov/expapi/verbs/scored"
TYPE_SIMULATION = "http://adlnet.gov/expapi/activities/simulation"
TYPE_OBJECTIVE = "http://adlnet.gov/expapi/activities/objective"
TYPE_COURSE = "http://adlnet.gov/expapi/activities/course"
TYPE_ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"


@dataclass(frozen=True)
class CriterionOutcome:
    """One criterion result of a scorecard."""

    id: str
    kind: str
    score: float
    max: float
    verdict: str
    evidence_turns: tuple[int, ...] = ()


@dataclass(frozen=True)
class Attempt:
    """A scored attempt as the statements need it. ``criteria`` is empty for a private rep (its criterion detail
    stays with its owner, as in the CSV export); ``programs`` and ``assignments`` are ``(id, name)`` pairs."""

    rep_id: int
    scorecard_id: int
    user_id: int
    scenario_id: str
    scenario_version: str
    title: str
    rubric_id: str
    rubric_version: str
    source: str
    difficulty: str
    overall: float
    passed: bool
    scored_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    criteria: tuple[CriterionOutcome, ...] = ()
    programs: tuple[tuple[int, str], ...] = field(default_factory=tuple)
    assignments: tuple[tuple[int, str], ...] = field(default_factory=tuple)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``."""
    return _utc(value).strftime("%Y-%m-%dT%H:%M:%S.") + f"{_utc(value).microsecond // 1000:03d}Z"


def duration(seconds: float) -> str:
    """An ISO 8601 duration (``PT1H2M3.45S``) of a non-negative number of seconds, to the hundredth."""
    centis = max(0, round(seconds * 100))
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6000)
    secs = f"{rest // 100}.{rest % 100:02d}".rstrip("0").rstrip(".")
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{secs}S" if secs != "0" or text == "PT" else "")


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(float(value), 4)


class StatementBuilder:
    """Builds the statements of attempts for one installation, whose address ``home`` names actors, activities
    and extensions (without a trailing slash)."""

    def __init__(self, home: str | None):
        home = (home or "").strip().rstrip("/")
        self.home = home if home.startswith(("http://", "https://")) else FALLBACK_HOME
        self.ext = f"{self.home}/xapi/extensions"

    # ---- names ----------------------------------------------------------------------------------------------
    def _uuid(self, name: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.home}/xapi/{name}"))

    def attempt_id(self, a: Attempt) -> str:
        return self._uuid(f"scorecards/{a.scorecard_id}")

    def criterion_statement_id(self, a: Attempt, criterion_id: str) -> str:
        return self._uuid(f"scorecards/{a.scorecard_id}/criteria/{criterion_id}")

    def registration(self, a: Attempt) -> str:
        return self._uuid(f"reps/{a.rep_id}")

    def scenario_iri(self, a: Attempt) -> str:
        return f"{self.home}/xapi/scenarios/{quote(a.scenario_id, safe='')}/{quote(a.scenario_version, safe='')}"

    def criterion_iri(self, a: Attempt, criterion_id: str) -> str:
        return (f"{self.home}/xapi/rubrics/{quote(a.rubric_id, safe='')}/{quote(a.rubric_version, safe='')}"
                f"/criteria/{quote(criterion_id, safe='')}")

    # ---- parts ----------------------------------------------------------------------------------------------
    def actor(self, user_id: int) -> dict[str, Any]:
        return {"objectType": "Agent", "account": {"homePage": self.home, "name": str(user_id)}}

    def _scenario(self, a: Attempt) -> dict[str, Any]:
        definition: dict[str, Any] = {"type": TYPE_SIMULATION}
        if a.title:
            definition["name"] = {"en-US": a.title[:300]}
        return {"objectType": "Activity", "id": self.scenario_iri(a), "definition": definition}

    def _context_activities(self, a: Attempt) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        if a.assignments:
            out["parent"] = [{"objectType": "Activity", "id": f"{self.home}/assignments/{i}",
                              "definition": {"type": TYPE_ASSESSMENT, "name": {"en-US": name[:300] or f"#{i}"}}}
                             for i, name in a.assignments]
        if a.programs:
            out["grouping"] = [{"objectType": "Activity", "id": f"{self.home}/programs/{i}",
                                "definition": {"type": TYPE_COURSE, "name": {"en-US": name[:200] or f"#{i}"}}}
                               for i, name in a.programs]
        return out

    def _rubric(self, a: Attempt) -> dict[str, str]:
        return {"id": a.rubric_id, "version": a.rubric_version}

    # ---- statements -----------------------------------------------------------------------------------------
    def attempt_statement(self, a: Attempt) -> dict[str, Any]:
        verb = VERB_PASSED if a.passed else VERB_FAILED
        result: dict[str, Any] = {
            "score": {"scaled": _num(min(1.0, max(0.0, a.overall / 100))), "raw": _num(a.overall),
                      "min": 0, "max": 100},
            "success": bool(a.passed),
            "completion": True,
            "extensions": {f"{self.ext}/rubric": self._rubric(a)},
        }
        if a.started_at is not None and a.ended_at is not None:
            result["duration"] = duration((_utc(a.ended_at) - _utc(a.started_at)).total_seconds())
        context: dict[str, Any] = {
            "registration": self.registration(a),
            "platform": "Sparring",
            "language": "en-US",
            "extensions": {f"{self.ext}/difficulty": a.difficulty, f"{self.ext}/source": a.source},
        }
        activities = self._context_activities(a)
        if activities:
            context["contextActivities"] = activities
        return {
            "id": self.attempt_id(a),
            "actor": self.actor(a.user_id),
            "verb": {"id": verb, "display": {"en-US": "passed" if a.passed else "failed"}},
            "object": self._scenario(a),
            "result": result,
            "context": context,
            "timestamp": timestamp(a.ended_at or a.scored_at),
            "version": XAPI_VERSION,
        }

    def criterion_statement(self, a: Attempt, c: CriterionOutcome) -> dict[str, Any]:
        score: dict[str, Any] = {"raw": _num(c.score), "min": 0, "max": _num(c.max)}
        if c.max > 0:
            score["scaled"] = _num(min(1.0, max(0.0, c.score / c.max)))
        result: dict[str, Any] = {
            "score": score,
            "completion": True,
            "extensions": {
                f"{self.ext}/rubric": self._rubric(a),
                f"{self.ext}/verdict": c.verdict,
                f"{self.ext}/criterion-kind": c.kind,
                f"{self.ext}/evidence-turns": list(c.evidence_turns),
            },
        }
        if c.verdict != "n/a":
            result["success"] = c.verdict == "met"
        activities = self._context_activities(a)
        activities["parent"] = [self._scenario(a), *activities.get("parent", [])]
        return {
            "id": self.criterion_statement_id(a, c.id),
            "actor": self.actor(a.user_id),
            "verb": {"id": VERB_SCORED, "display": {"en-US": "scored"}},
            "object": {"objectType": "Activity", "id": self.criterion_iri(a, c.id),
                       "definition": {"type": TYPE_OBJECTIVE, "name": {"en-US": c.id}}},
            "result": result,
            "context": {
                "registration": self.registration(a),
                "platform": "Sparring",
                "language": "en-US",
                "statement": {"objectType": "StatementRef", "id": self.attempt_id(a)},
                "contextActivities": activities,
            },
            "timestamp": timestamp(a.ended_at or a.scored_at),
            "version": XAPI_VERSION,
        }

    def statements(self, a: Attempt) -> list[dict[str, Any]]:
        """The attempt statement, then one per criterion result."""
        return [self.attempt_statement(a), *(self.criterion_statement(a, c) for c in a.criteria)]

    def all_statements(self, attempts: Iterable[Attempt]) -> Iterator[dict[str, Any]]:
        for a in attempts:
            yield from self.statements(a)


def write_json_array(statements: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write ``statements`` as one JSON array, one statement a line, as they come (never all in memory); the
    number written."""
    out.write("[")
    count = 0
    for statement in statements:
        out.write("\n" if count == 0 else ",\n")
        out.write(json.dumps(statement, ensure_ascii=False, separators=(",", ":")))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
