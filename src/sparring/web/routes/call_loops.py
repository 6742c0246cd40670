"""From a call's moment to practice and back (docs/drills.md, docs/loops.md): the "Make a drill from this moment"
form on a call's review page (``POST /calls/{id}/moments/{start_turn}/drill``: the drill is published, assigned to
the call's rep and opens the coaching loop) and the loop panel at the end of the page (the loops this call opened
or closed, with the verdict and its numbers).

The rules are in the services (``services.drills.create_drill``: who may, which moment, the assignment;
``services.loops``: what a viewer may see). What a viewer may not see answers 404, whether or not it exists.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from sparring.services import assignments, loops
from sparring.services.access import Viewer
from sparring.services.conversations import ConversationView
from sparring.services.drills import DEFAULT_REPS, DrillAssignment, create_drill, drill_writer
from sparring.services.errors import InvalidInput, NotFound, ServiceError
from sparring.store.db import Database
from sparring.store.models import User
from sparring.web.deps import PageAuth, flash_after, form_with_csrf, require_role, web
from sparring.web.params import DbId

router = APIRouter(include_in_schema=False)

#: the due day the form suggests: a week from today
DEFAULT_DUE_DAYS = 7


def review_extras(database: Database, viewer: Viewer, view: ConversationView) -> dict[str, Any]:
    """What the review page of call ``view`` needs for the drill form and the loop panel."""
    with database.read() as s:
        call_loops = loops.loops_of_call(s, viewer, view.id)
        rep = s.get(User, view.user_id)
    drill_form = None
    if viewer.is_manager and not view.summary_only and rep is not None:
        drill_form = {"rep": rep.name or rep.email, "rep_email": rep.email, "reps": DEFAULT_REPS,
                      "due": (datetime.now(UTC).date() + timedelta(days=DEFAULT_DUE_DAYS)).isoformat()}
    return {"call_loops": call_loops, "drill_form": drill_form}


@router.post("/calls/{conversation_id}/moments/{start_turn}/drill")
async def make_drill(conversation_id: DbId, start_turn: int, request: Request, auth: PageAuth) -> Response:
    require_role(auth, "manager", "admin")
    form = await form_with_csrf(request, auth)
    database = web(request).database()
    settings = request.app.state.root.settings

    def work() -> str:
        assign = None
        if form.get("assign") == "on":
            try:
                reps = int(str(form.get("reps", "")).strip() or DEFAULT_REPS)
            except ValueError:
                raise InvalidInput("reps: give a whole number of reps") from None
            rep_id = _rep_of(database, auth.viewer, conversation_id)
            with database.read() as s:
                rep = s.get(User, rep_id)
            if rep is None:
                raise NotFound("no such call")
            assign = DrillAssignment(rep.email, assignments.parse_due(str(form.get("due", ""))), reps=reps)
        created = create_drill(database, auth.viewer, conversation_id, start_turn, writer=drill_writer(settings),
                               assign=assign)
        text = f"Drill “{created.title}” published ({created.scenario_id})"
        if created.assignment_id is not None:
            text += f" and assigned: {assign.reps if assign else DEFAULT_REPS} reps, submit the best"
        return text + ". The rep's next imported call will show whether the behaviour changed."

    try:
        return await flash_after(f"/calls/{conversation_id}#loops", work, (InvalidInput,))
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such call") from exc
    except ServiceError as exc:  # any other refusal of the service: say it on the page
        raise HTTPException(status_code=400, detail=str(exc)) from exc


def _rep_of(database: Database, viewer: Viewer, conversation_id: int) -> int:
    """The call's rep (its owner), for a viewer who may see the call; NotFound otherwise."""
    from sparring.services.conversations import get_visible

    with database.read() as s:
        view = get_visible(s, viewer, conversation_id)
    if view is None or view.source != "call":
        raise NotFound("no such call")
    return view.user_id
