"""Content in the read API (docs/api.md, "Scenarios and rubrics"): the scenarios and rubrics the caller's
organisation sees — the built-ins, installation-wide imports and its own content, never another organisation's
(``sparring.web.content_scope``) — each in its current version, or a rubric at a pinned version.

Every signed-in role may read content (a learner practises it). Lists are pages (``sparring.web.api_paging``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from sparring.content.errors import UnknownContentError
from sparring.content.rubric import Rubric
from sparring.content.scenario import Scenario
from sparring.services.errors import NotFound
from sparring.web.api_examples import page_example
from sparring.web.api_paging import DEFAULT_LIMIT, Page, PageLimit, PageOffset, page_of
from sparring.web.content_scope import viewer_content
from sparring.web.deps import ApiAuth
from sparring.web.errors import error_responses
from sparring.web.params import MAX_QUERY_CHARS, OptionalSearchText

#: a scenario or rubric id in the path
ContentId = Annotated[str, Path(max_length=MAX_QUERY_CHARS, description="a scenario or rubric id",
                                examples=["discovery"])]

router = APIRouter(prefix="/api", tags=["content"])


class ScenarioOut(BaseModel):
    """A scenario as the library lists it (CONTRACT.md's ``sparring scenarios list --json`` keys, plus its
    version and summary)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "cs-renewal-discount", "title": "Renewal: the discount ask", "domain": "customer-success",
        "rubric": "renewal-value", "skills": ["value-recap", "discount-defence"],
        "difficulties": ["easy", "medium", "hard"], "version": "3f2a9c0e1b7d",
        "summary": "A customer wants 20% off to renew."}]})

    id: str
    title: str
    domain: str
    rubric: str
    skills: list[str]
    difficulties: list[str]
    version: str = Field(description="the content hash of this version (a rep pins the version it was played on)")
    summary: str


class ScenarioDetail(ScenarioOut):
    """One scenario with what the learner sees before starting (never the persona's hidden state)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "cs-renewal-discount", "title": "Renewal: the discount ask", "domain": "customer-success",
        "rubric": "renewal-value", "skills": ["value-recap", "discount-defence"],
        "difficulties": ["easy", "medium", "hard"], "version": "3f2a9c0e1b7d",
        "summary": "A customer wants 20% off to renew.", "brief": "Dana runs support operations ...",
        "learner_role": "Customer success manager", "objectives": ["Recap the value delivered"],
        "persona": "Dana Reyes, Head of Support Operations", "max_turns": 14}]})

    brief: str
    learner_role: str
    objectives: list[str]
    persona: str = Field(description="who the learner talks to")
    max_turns: int


class CriterionOut(BaseModel):
    id: str
    name: str
    kind: str = Field(description="check | scale | metric | blocker")
    skill: str | None = None
    weight: float
    description: str


class RubricOut(BaseModel):
    """A rubric with its criteria (CONTRACT.md's ``sparring rubrics list --json`` keys, plus version, pass mark,
    skill and weight)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "discovery", "title": "Discovery call", "version": "9be1d04c2a11", "pass_mark": 70.0,
        "description": "Understand the buyer's situation before pitching.",
        "criteria": [{"id": "asks-open-questions", "name": "Asks open questions", "kind": "check",
                      "skill": "discovery", "weight": 1.0, "description": ""}]}]})

    id: str
    title: str
    version: str = Field(description="the content hash of this version; a scorecard names the version it used")
    pass_mark: float
    description: str
    criteria: list[CriterionOut]


def scenario_out(s: Scenario) -> ScenarioOut:
    return ScenarioOut(id=s.id, title=s.title, domain=s.domain, rubric=s.rubric, skills=list(s.skills),
                       difficulties=list(s.difficulties), version=s.version, summary=s.summary)


def rubric_out(r: Rubric) -> RubricOut:
    return RubricOut(id=r.id, title=r.title, version=r.version, pass_mark=r.pass_mark, description=r.description,
                     criteria=[CriterionOut(id=c.id, name=c.name, kind=c.kind, skill=c.skill, weight=c.weight,
                                            description=c.description) for c in r.criteria])


@router.get("/scenarios", response_model=Page[ScenarioOut],
            responses={**error_responses(401), **page_example(ScenarioOut, "/api/scenarios")})
async def list_scenarios(request: Request, auth: ApiAuth, domain: OptionalSearchText = None,
                         rubric: OptionalSearchText = None, skill: OptionalSearchText = None,
                         limit: PageLimit = DEFAULT_LIMIT, offset: PageOffset = 0) -> Any:
    """The scenarios the caller's organisation sees, by id; ``domain``, ``rubric`` and ``skill`` keep the
    scenarios that match each one given."""
    scenarios = await run_in_threadpool(viewer_content(request, auth.viewer).list_scenarios)
    rows = [scenario_out(s) for s in scenarios
            if (domain is None or s.domain == domain) and (rubric is None or s.rubric == rubric)
            and (skill is None or skill in s.skills)]
    return page_of(request, rows, limit, offset)


def _scenario(request: Request, auth: ApiAuth, scenario_id: str) -> ScenarioDetail:
    try:
        s = viewer_content(request, auth.viewer).get_scenario(scenario_id)
    except UnknownContentError as exc:
        raise HTTPException(status_code=404, detail="no such scenario") from exc
    return ScenarioDetail(**scenario_out(s).model_dump(), brief=s.brief, learner_role=s.learner_role,
                          objectives=list(s.objectives), persona=f"{s.persona.name}, {s.persona.role}",
                          max_turns=s.max_turns)


@router.get("/scenarios/{scenario_id}", response_model=ScenarioDetail, responses=error_responses(401, 404))
async def get_scenario(scenario_id: ContentId, request: Request, auth: ApiAuth) -> Any:
    """One scenario in its current version; 404 for an id the caller's organisation does not see."""
    return await run_in_threadpool(_scenario, request, auth, scenario_id)


@router.get("/rubrics", response_model=Page[RubricOut],
            responses={**error_responses(401), **page_example(RubricOut, "/api/rubrics")})
async def list_rubrics(request: Request, auth: ApiAuth, skill: OptionalSearchText = None,
                       limit: PageLimit = DEFAULT_LIMIT, offset: PageOffset = 0) -> Any:
    """The rubrics the caller's organisation sees, by id, each in its current version; ``skill`` keeps those
    with a criterion of that skill."""
    rubrics = await run_in_threadpool(viewer_content(request, auth.viewer).list_rubrics)
    rows = [rubric_out(r) for r in rubrics if skill is None or any(c.skill == skill for c in r.criteria)]
    return page_of(request, rows, limit, offset)


def _rubric(request: Request, auth: ApiAuth, rubric_id: str, version: str | None) -> RubricOut:
    try:
        return rubric_out(viewer_content(request, auth.viewer).get_rubric(rubric_id, version))
    except (UnknownContentError, NotFound) as exc:  # NotFound: a version this organisation does not have
        raise HTTPException(status_code=404, detail="no such rubric" + (" version" if version else "")) from exc


@router.get("/rubrics/{rubric_id}", response_model=RubricOut, responses=error_responses(401, 404))
async def get_rubric(rubric_id: ContentId, request: Request, auth: ApiAuth,
                     version: OptionalSearchText = None) -> Any:
    """One rubric: its current version, or ``version`` (a content hash, as a scorecard's ``rubric.version``
    names it); 404 for an id or version the caller's organisation does not see."""
    return await run_in_threadpool(_rubric, request, auth, rubric_id, version)
