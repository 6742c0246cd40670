"""The content editor's helpers beside the YAML (admins only, CSRF header like ``/admin/content/validate``):

- ``POST /admin/content/form``: the form view of a scenario. ``{"text"}`` reads the common fields;
  ``{"text", "fields"}`` writes the edited ones back into the YAML (``services.scenario_form``: only the changed
  values' text is replaced, comments and unknown fields stay).
- ``POST /admin/content/preview``: ``{"text", "lines", "difficulty"}`` plays the draft's opening line and the
  learner's lines against its persona with the engine practice uses; nothing is stored
  (``services.content_preview``).

The edit page itself (``/admin/content/edit``) and publishing stay in ``admin.py``; ``editor_context`` is what
they add to the page for the templates and the form view.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from sparring.content.scenario import DIFFICULTIES
from sparring.limits import MAX_CONTENT_BYTES
from sparring.services import authoring, content_preview, scenario_form
from sparring.services.errors import EngineFailed, InvalidInput
from sparring.web.content_scope import viewer_content
from sparring.web.deps import PageAuth, check_csrf, require_role
from sparring.web.routes.practice import practice_service

router = APIRouter(include_in_schema=False)

#: the largest body the editor's JSON helpers read: a draft at the content limit (4 bytes a character at worst as
#: JSON escapes), the preview's lines and the field names
MAX_BODY_BYTES = 4 * MAX_CONTENT_BYTES + 64 * 1024
DOMAINS = ("sales", "customer-success", "consulting", "management", "motivational-interviewing", "other")


def editor_context(kind: str, content_id: str, template: str) -> dict[str, Any]:
    """What the edit page shows besides the YAML: the scenario templates (for a new scenario), which one is
    open, and the choices of the form view."""
    templates = authoring.scenario_templates() if kind == "scenario" and not content_id else ()
    chosen = template or (templates[0].key if templates else "")
    return {"templates": templates, "chosen_template": chosen, "domains": DOMAINS, "difficulties": DIFFICULTIES}


class FormIn(BaseModel):
    text: str = Field(max_length=MAX_CONTENT_BYTES)
    fields: dict[str, str] | None = None


class PreviewIn(BaseModel):
    text: str = Field(max_length=MAX_CONTENT_BYTES)
    lines: list[str] = Field(default_factory=list, max_length=content_preview.MAX_PREVIEW_TURNS + 1)
    difficulty: str = "medium"


async def _body(request: Request, auth: PageAuth, model: type[BaseModel]) -> Any:
    """The admin check first (a learner gets 403 whatever they send), then CSRF, then the JSON body."""
    require_role(auth, "admin")
    check_csrf(request, None, auth)
    raw = bytearray()
    async for chunk in request.stream():  # read no more than a draft can hold (and the lines of a preview)
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise _Bad({"error": f"the request is too large (at most {MAX_BODY_BYTES:,} bytes)", "problems": []},
                       413)
    try:
        return model.model_validate(json.loads(bytes(raw) or b"null"))
    except (ValueError, ValidationError) as exc:
        detail = exc.errors(include_url=False, include_input=False) if isinstance(exc, ValidationError) else []
        said = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in detail)
        raise _Bad({"error": said or "the request body must be a JSON object", "problems": []}) from None


class _Bad(Exception):
    def __init__(self, body: dict[str, Any], status: int = 400):
        self.body = body
        self.status = status


@router.post("/admin/content/form")
async def form_view(request: Request, auth: PageAuth) -> Response:
    """Read a scenario's common fields, or write edited ones back: ``{"text", "fields", "rubrics"}``; a YAML the
    form cannot read answers 400 ``{"error", "problems"}`` (problems with their line, as validation gives)."""
    try:
        body: FormIn = await _body(request, auth, FormIn)
        text = scenario_form.apply_fields(body.text, body.fields) if body.fields else body.text
        fields = scenario_form.read_fields(text)
    except _Bad as exc:
        return JSONResponse(exc.body, status_code=exc.status)
    except scenario_form.FormError as exc:
        return JSONResponse({"error": str(exc), "problems": [
            {"line": p.line, "column": p.column, "field": p.field, "message": p.message} for p in exc.problems]},
            status_code=400)
    rubrics = sorted(viewer_content(request, auth.viewer).ids("rubric"))
    return JSONResponse({"text": text, "fields": fields, "rubrics": rubrics})


@router.post("/admin/content/preview")
async def preview(request: Request, auth: PageAuth) -> Response:
    """Play the draft: ``{"turns": [...], "ended", "outcome", "learner_turns_left"}``; 400 with the draft's
    problems when it is not a valid scenario, 502 when the persona engine fails."""
    try:
        body: PreviewIn = await _body(request, auth, PreviewIn)
    except _Bad as exc:
        return JSONResponse(exc.body, status_code=exc.status)
    known = set(viewer_content(request, auth.viewer).ids("rubric"))
    svc = await run_in_threadpool(practice_service, request)

    def run() -> content_preview.Preview:  # the engine may take a while (an LLM): never on the event loop
        return content_preview.play(svc.persona, body.text, known, body.lines, body.difficulty,
                                    learner=auth.viewer.name or "You")

    try:
        result = await run_in_threadpool(run)
    except content_preview.PreviewInvalid as exc:
        return JSONResponse({"error": str(exc), "problems": exc.problems}, status_code=400)
    except InvalidInput as exc:
        return JSONResponse({"error": str(exc), "problems": []}, status_code=400)
    except EngineFailed as exc:
        return JSONResponse({"error": str(exc), "problems": []}, status_code=502)
    return JSONResponse(result.as_json())
