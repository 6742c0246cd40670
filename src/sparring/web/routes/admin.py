"""Admin pages: the scenario and rubric editor (live validation, preview, publish) and people and teams.

Everything an admin edits, validates, publishes or lists is their own organisation's content, plus the shared
built-ins and installation-wide imports they may start an edit from (``sparring.web.content_scope``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from sparring.services import authoring, people
from sparring.web.content_scope import viewer_content
from sparring.web.deps import (
    Auth,
    PageAuth,
    ReadDB,
    check_csrf,
    flash_after,
    form_with_csrf,
    render,
    require_role,
    set_flash,
    web,
)
from sparring.web.params import DbId, SearchText, form_id
from sparring.web.routes.admin_data import router as data_router
from sparring.web.routes.admin_editor import editor_context
from sparring.web.routes.admin_editor import router as editor_router

router = APIRouter(include_in_schema=False)
router.include_router(editor_router)  # the editor's form view and preview (admin_editor.py)
router.include_router(data_router)  # the Data tab: retention, export, erasure (admin_data.py)

NEW_RUBRIC = """id: my-rubric
title: My rubric
description: What this rubric scores.
pass_mark: 70
criteria:
  - id: asks-open-questions
    name: Asks open questions
    kind: check
    skill: discovery
    met_when: The learner asks at least two open questions.
    signals: [question_open]
    examples_positive: ["What would a good outcome look like for you?"]
    examples_negative: ["So you want the cheaper plan, right?"]
tests:
  - name: two open questions
    text: |
      Learner: What would a good outcome look like for you?
      Buyer: Fewer escalations.
      Learner: How do you measure that today?
      Buyer: Tickets per week.
    expect:
      asks-open-questions: met
"""


def _new_scenario(template: str) -> str:
    """A new scenario starts from a template (``services.authoring.scenario_templates``): a complete, valid
    scenario of its domain with an ``id: new-…`` to rename, never a copy of an existing one."""
    text = authoring.template_text(template) if template else None
    if template and text is None:
        raise HTTPException(status_code=404, detail="no such template")
    return text or authoring.template_text(authoring.scenario_templates()[0].key) or ""


def _admin(auth: PageAuth) -> None:
    require_role(auth, "admin")


@router.get("/admin/content")
def content_index(request: Request, auth: PageAuth) -> Response:
    _admin(auth)
    svc = viewer_content(request, auth.viewer)
    return render(request, "admin_content.html", auth, active="content", scenarios=svc.list_scenarios(),
                  rubrics=svc.list_rubrics())


@router.get("/admin/content/edit")
def edit(request: Request, auth: PageAuth, db: ReadDB, kind: SearchText = "rubric", id: SearchText = "",
         template: SearchText = "") -> Response:
    _admin(auth)
    if kind not in ("rubric", "scenario"):
        raise HTTPException(status_code=404, detail="no such content")
    text = NEW_RUBRIC if kind == "rubric" else _new_scenario(template if not id else "")
    if id:
        found = authoring.source_of(db, auth.viewer.org_id, kind, id)
        if found is None:
            raise HTTPException(status_code=404, detail="no such content")
        text = found
    history = authoring.versions(db, auth.viewer.org_id, kind, id) if id else []
    result = authoring.validate_text(text, authoring.known_rubric_ids(db, auth.viewer.org_id))
    return render(request, "admin_edit.html", auth, active="content", text=text, kind=kind, content_id=id,
                  result=result.as_json(), history=history, **editor_context(kind, id, template))


class ValidateIn(BaseModel):
    text: str


@router.post("/admin/content/validate")
def validate(body: ValidateIn, request: Request, auth: PageAuth) -> Response:
    """Live validation for the editor: every problem with its line, and a preview when valid."""
    _admin(auth)
    check_csrf(request, None, auth)
    known = set(viewer_content(request, auth.viewer).ids("rubric"))
    return JSONResponse(authoring.validate_text(body.text, known).as_json())


@router.post("/admin/content/publish")
async def publish(request: Request, auth: PageAuth) -> Response:
    _admin(auth)
    form = await form_with_csrf(request, auth)
    return await run_in_threadpool(_publish, request, auth, form)


def _publish(request: Request, auth: Auth, form: dict[str, str]) -> Response:  # rubric tests run: not on the loop
    text = form.get("yaml", "")
    try:
        with web(request).database().session() as s:
            row = authoring.publish(s, auth.viewer.org_id, auth.viewer.id, text)
            kind, cid, version = row.kind, row.content_id, row.version
    except authoring.PublishError as exc:
        result = authoring.validate_text(text, set(viewer_content(request, auth.viewer).ids("rubric")))
        # the page keeps what it was editing: the YAML may not even parse, so the form says which kind and id
        asked = form.get("kind", "")
        kind = result.kind or (asked if asked in ("rubric", "scenario") else "rubric")
        cid = form.get("content_id", "")[:200] if form.get("content_id") else ""
        return render(request, "admin_edit.html", auth, active="content", status_code=400, text=text,
                      kind=kind, content_id=cid, result=result.as_json(), history=[], publish_error=str(exc),
                      publish_problems=exc.problems, **editor_context(kind, cid, ""))
    response = RedirectResponse(f"/admin/content/edit?kind={kind}&id={cid}", status_code=303)
    set_flash(response, "ok", f"Published {kind} '{cid}' as version {version[:10]}. New reps use it; "
              "earlier reps keep the version they were scored with.")
    return response


# --- people and teams --------------------------------------------------------------------------------------


@router.get("/admin/users")
def users(request: Request, auth: PageAuth, db: ReadDB) -> Response:
    _admin(auth)
    return render(request, "admin_users.html", auth, active="users", people=people.list_people(db, auth.viewer.org_id),
                  teams=people.list_teams(db, auth.viewer.org_id))


async def _people_action(request: Request, auth: PageAuth, action: Any, ok: str) -> Response:
    _admin(auth)
    form = await form_with_csrf(request, auth)

    def write() -> str:  # password hashing and the write run in a worker thread, not on the event loop
        with web(request).database().session() as s:
            return str(action(s, form) or ok)

    return await flash_after("/admin/users", write, (people.PeopleError, ValueError))


@router.post("/admin/users")
async def create_user(request: Request, auth: PageAuth) -> Response:
    def act(s: Any, form: dict[str, str]) -> str:
        team_ids = [form_id(form, "team")] if form.get("team") else []
        user = people.create_user(s, auth.viewer.org_id, form.get("email", ""), form.get("name", ""),
                                  form.get("role", "learner"), form.get("password", ""), team_ids,
                                  acting_admin_id=auth.viewer.id)
        return f"Created {user.email}. Share the password with them privately."

    return await _people_action(request, auth, act, "")


@router.post("/admin/teams")
async def create_team(request: Request, auth: PageAuth) -> Response:
    def act(s: Any, form: dict[str, str]) -> str:
        return f"Team '{people.ensure_team(s, auth.viewer.org_id, form.get('name', '')).name}' is ready."

    return await _people_action(request, auth, act, "")


@router.post("/admin/users/{user_id}/password")
async def reset_password(user_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(s: Any, form: dict[str, str]) -> str:
        user = people.reset_password(s, auth.viewer.org_id, user_id, form.get("password", ""), auth.viewer.id)
        return f"New password set for {user.email}; their open sessions have ended."

    return await _people_action(request, auth, act, "")


@router.post("/admin/users/{user_id}/role")
async def set_role(user_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(s: Any, form: dict[str, str]) -> str:
        user = people.set_role(s, auth.viewer.org_id, user_id, form.get("role", ""), auth.viewer.id)
        return f"{user.email} is now {user.role}."

    return await _people_action(request, auth, act, "")


@router.post("/admin/users/{user_id}/active")
async def set_active(user_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(s: Any, form: dict[str, str]) -> str:
        user = people.set_active(s, auth.viewer.org_id, user_id, form.get("active") == "on", auth.viewer.id)
        return f"{user.email} is {'active' if user.is_active else 'deactivated'}."

    return await _people_action(request, auth, act, "")


@router.post("/admin/users/{user_id}/teams")
async def membership(user_id: DbId, request: Request, auth: PageAuth) -> Response:
    def act(s: Any, form: dict[str, str]) -> str:
        people.set_membership(s, auth.viewer.org_id, user_id, form_id(form, "team"), form.get("member") == "on",
                              auth.viewer.id)
        return "Team membership updated."

    return await _people_action(request, auth, act, "")
