"""Drills as a use case (issue 13 item 4; docs/drills.md): turn one key moment of a stored call into a short
targeted scenario, publish it as the organisation's content, and optionally assign it.

    created = create_drill(database, viewer, conversation_id, start_turn,
                           assign=DrillAssignment("lee@acme.test", reps=3, due_on=date(2027, 1, 15)))
    created.scenario_id, created.version, created.assignment_id      # drill-42-t7, 3f2a…, 12

Who may: a manager or an admin who may see the call in full (``services.access``: a manager the calls of the
learners of their teams, an admin every call of the organisation; a private call shows only its score, so it
cannot be drilled); the operator (``viewer=None``, the local CLI without ``--as``). A learner may not, not even
from their own call. Anything else is answered as an unknown conversation (existence never leaks).

The drill is real content: published through ``services.authoring.publish`` as the call's organisation's scenario
``drill-<call id>-t<start turn>``, so it is versioned, editable in the admin editor and playable with
``sparring practice`` and the practice page. **Again from the same moment**: the same id; content that differs
from the current version (the call was rescored, another rubric version, an LLM wrote other lines) becomes a new
version, identical content returns the version already there (``new_version`` false) — an admin's edit of the
drill stays in the history, and the new version becomes the current one. Publishing and assigning happen in one
transaction: a bad assignment (unknown learner, past date) publishes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import select

from sparring.coaching.drills import DrillError, DrillWriter, build_drill
from sparring.content.errors import UnknownContentError
from sparring.content.rubric import Rubric
from sparring.content.scenario import Scenario
from sparring.conversation.model import Conversation, Turn
from sparring.inputs import is_db_id
from sparring.review.moment import CallSummary, Moment
from sparring.review.moments import summarise_call
from sparring.scoring.scorecard import Scorecard
from sparring.services import assignments, authoring, loops
from sparring.services.access import Access, Viewer, get_visible_conversation
from sparring.services.content import ContentService, owned_by
from sparring.services.conversations import ConversationView, load
from sparring.services.errors import InvalidInput, NotFound
from sparring.store.db import Database
from sparring.store.models import ContentVersion, ConversationRow

if TYPE_CHECKING:
    from sparring.review.reading import ReadFn
    from sparring.settings import Settings

DEFAULT_REPS = 3


@dataclass(frozen=True)
class DrillAssignment:
    """Assign the drill in the same step: to an e-mail or ``team:NAME``, N reps by a date, submit your best."""

    to: str
    due_on: date
    reps: int = DEFAULT_REPS
    difficulty: str = "medium"
    note: str = ""


@dataclass(frozen=True)
class DrillCreated:
    """What ``create_drill`` did; ``as_json`` is ``sparring call drill --json``."""

    scenario_id: str
    version: str
    title: str
    conversation_id: int
    start_turn: int
    moment_kind: str
    criterion: str
    engine: str
    new_version: bool
    assignment_id: int | None = None
    notes: tuple[str, ...] = ()
    loop_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"scenario_id": self.scenario_id, "version": self.version, "assignment_id": self.assignment_id,
                "loop_id": self.loop_id}


@dataclass(frozen=True)
class ReviewedCall:
    """A stored call read back for review: the conversation, its scorecard and rubric, its moments."""

    view: ConversationView
    conversation: Conversation
    scorecard: Scorecard | None
    rubric: Rubric
    summary: CallSummary


def _check_viewer(database: Database, viewer: Viewer | None, conversation_id: int) -> int:
    """The call's organisation, once ``viewer`` may drill it (module docstring)."""
    unknown = NotFound(f"unknown conversation {conversation_id}")
    with database.read() as s:
        if viewer is None:
            row = s.get(ConversationRow, conversation_id) if is_db_id(conversation_id) else None
            if row is None:
                raise unknown
            return row.org_id
        if not viewer.is_manager:
            raise NotFound("only managers and admins create drills from calls")
        found = get_visible_conversation(s, viewer, conversation_id)
        if found is None:
            raise unknown
        row, access = found
        if access is not Access.FULL:
            raise NotFound(f"conversation {conversation_id} is private: only its score is visible, so it cannot be "
                           "made into a drill")
        return row.org_id


def review_stored_call(database: Database, viewer: Viewer | None, conversation_id: int, *,
                       read_fn: ReadFn | None = None) -> ReviewedCall:
    """A stored call the viewer may drill, with its key moments (``review.moments.summarise_call``). NotFound
    for an unknown (or unseen) conversation, InvalidInput for one that is not a call or has no rubric."""
    org_id = _check_viewer(database, viewer, conversation_id)
    with database.read() as s:
        view = load(s, conversation_id)
    if view is None:
        raise NotFound(f"unknown conversation {conversation_id}")
    if view.source != "call":
        raise InvalidInput(f"conversation {conversation_id} is a {view.source} conversation, not a call: drills "
                           "are made from imported calls (sparring call import)")
    if not view.rubric:
        raise InvalidInput(f"call {conversation_id} was stored without a scorecard; import it again to score it")
    content = ContentService(database, org_id)
    try:
        rubric = content.get_rubric(view.rubric, view.rubric_version)
    except NotFound:  # the exact version is gone (an edited built-in): the current one still names the criteria
        rubric = content.get_rubric(view.rubric)
    except UnknownContentError as exc:
        raise InvalidInput(f"call {conversation_id}: {exc.brief}") from None
    turns = [Turn(index=t.index, speaker=t.speaker, role=t.role, text=t.text, start=t.start, end=t.end)
             for t in view.turns or []]
    conversation = Conversation(source="call", title=view.title, turns=turns)
    scorecard = Scorecard.model_validate(view.scorecard) if view.scorecard else None
    summary = summarise_call(conversation, scorecard, rubric=rubric, read_fn=read_fn)
    return ReviewedCall(view, conversation, scorecard, rubric, summary)


def find_moment(summary: CallSummary, conversation_id: int, start_turn: int) -> Moment:
    """The key moment that starts at ``start_turn``; InvalidInput naming the valid start turns otherwise."""
    for m in summary.moments:
        if m.start_turn == start_turn:
            return m
    if not summary.moments:
        raise InvalidInput(f"call {conversation_id} has no key moments to make a drill from"
                           + (f" ({summary.note})" if summary.note else ""))
    starts = ", ".join(str(t) for t in sorted({m.start_turn for m in summary.moments}))
    raise InvalidInput(f"no moment of call {conversation_id} starts at turn {start_turn}; moments start at turns: "
                       f"{starts}")


def scenario_yaml(scenario: Scenario) -> str:
    """The drill as the YAML the admin editor shows: a comment saying where it came from, then the fields."""
    source = scenario.source
    head = (f"# A drill made from call {source.conversation_id}, turns {source.start_turn}-{source.end_turn} "
            f"({source.moment_kind}), targeting {source.criterion}. Names and figures of the call are changed.\n"
            "# Edit freely and publish; docs/drills.md and docs/content-format.md describe the fields.\n"
            if source is not None else "")
    body = yaml.safe_dump(scenario.model_dump(mode="json", exclude_defaults=True), sort_keys=False,
                          allow_unicode=True, width=110)
    return head + body


def create_drill(database: Database, viewer: Viewer | None, conversation_id: int, start_turn: int, *,
                 writer: DrillWriter | None = None, assign: DrillAssignment | None = None,
                 read_fn: ReadFn | None = None) -> DrillCreated:
    """Make the drill of the moment of call ``conversation_id`` that starts at ``start_turn``, publish it as the
    call's organisation's scenario and, with ``assign``, assign it (module docstring). NotFound: unknown or unseen
    call, a viewer who may not; InvalidInput: not a call, no moment at that turn (the valid ones are listed), no
    criterion to target, a bad assignment."""
    if isinstance(start_turn, bool) or not isinstance(start_turn, int) or start_turn < 0:
        raise InvalidInput(f"moment: give the turn a moment starts at, 0 or more (got {start_turn!r})")
    reviewed = review_stored_call(database, viewer, conversation_id, read_fn=read_fn)
    moment = find_moment(reviewed.summary, conversation_id, start_turn)
    try:
        drill = build_drill(reviewed.conversation, moment, reviewed.scorecard, reviewed.rubric,
                            conversation_id=conversation_id, writer=writer)
    except DrillError as exc:
        raise InvalidInput(f"call {conversation_id}, turn {start_turn}: {exc}") from None
    scenario = drill.scenario
    org_id = reviewed.view.org_id

    def scenario_for(org: int, scenario_id: str) -> Scenario:
        if org != org_id or scenario_id != scenario.id:
            raise UnknownContentError("scenario", scenario_id, [scenario.id])
        return scenario

    with database.session() as s:
        had = s.scalar(select(ContentVersion.id).where(
            owned_by(org_id), ContentVersion.kind == "scenario", ContentVersion.content_id == scenario.id,
            ContentVersion.version == scenario.version))
        try:
            row = authoring.publish(s, org_id, viewer.id if viewer else None, scenario_yaml(scenario))
        except authoring.PublishError as exc:
            raise InvalidInput(f"the drill did not validate: {exc}: {'; '.join(exc.problems[:3])}") from None
        assignment_id = None
        if assign is not None:
            view = assignments.assign(s, viewer, scenario_for, scenario.id, assign.to, reps=assign.reps,
                                      due_on=assign.due_on, difficulty=assign.difficulty, submit_best=True,
                                      note=assign.note or f"A drill from a moment of your call: run it {assign.reps} "
                                                          "times and submit your best.")
            assignment_id = view.id
        # the coaching loop starts here: the rep's next real call closes it with a verdict (docs/loops.md)
        loop_id = loops.open_loop(s, viewer_or_creator=viewer, call_conversation_id=conversation_id,
                                  start_turn=moment.start_turn, end_turn=moment.end_turn, criterion_id=drill.target,
                                  drill_scenario_id=scenario.id, assignment_id=assignment_id,
                                  moment_kind=moment.kind, find_moment=False)
        created = DrillCreated(scenario.id, row.version, row.title, conversation_id, start_turn, moment.kind,
                               drill.target, drill.engine, had is None, assignment_id, tuple(drill.notes), loop_id)
    return created


def drill_writer(settings: Settings) -> DrillWriter | None:
    """The LLM drill writer when a model is configured for the ``drill`` task (``SPARRING_DRILL_MODEL``), else None
    (the offline template)."""
    from sparring.engines import llm_client

    client = llm_client("drill", settings)
    if client is None:
        return None
    from sparring.coaching.drill_writer import LLMDrillWriter

    return LLMDrillWriter(client)
