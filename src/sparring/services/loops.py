"""Coaching loops as use cases (issue 13 item 6; docs/loops.md): open a loop on a moment of a rep's real call, close
it when the rep's next real call is imported, with the verdict and its numbers; list loops with the app's access
rules.

- **open** (``open_loop``): a manager or admin who may see the rep's call in full, the rep themself, a trusted
  caller naming the creator's user id (the drill action, which checked access already), or the operator
  (``None``: ``sparring call loop open`` without ``--by``). The call must be a stored, scored call; the criterion
  one of its scorecard's. The same open loop (call, first turn, criterion) is not opened twice: its id is returned.
- **close** (``evaluate_open_loops``): called by ``CallImporter`` after each call it stores. A loop closes on the
  first call of its rep that happened after the loop was opened (the call's recording start when known, else when
  it was stored): an earlier call never closes it. The verdict is ``coaching.loop_verdict.judge``'s; the loop's
  creator gets an in-app notification.
- **see** (``list_loops``, ``get_loop``): a learner their own loops; a manager the loops of the learners of their
  teams; an admin every loop of the organisation; never another organisation's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sparring.coaching.loop_verdict import LoopVerdict, judge, situation_of
from sparring.inputs import InputError, clean_text, is_db_id
from sparring.integrations import events
from sparring.services import event_data
from sparring.services.access import Access, Viewer, can_see_user, conversation_access, visible_user_ids_query
from sparring.services.errors import InvalidInput, NotFound
from sparring.services.loop_samples import (
    Rescore,
    StoredCall,
    call_sample,
    call_time,
    drill_samples,
    load_call,
    moment_at,
    moment_kinds,
    rubric_in,
    utc,
)
from sparring.services.notifications import notify
from sparring.store.coaching_models import LOOP_STATUSES, AssignmentRow, CoachingLoopRow
from sparring.store.models import ConversationRow, User, utcnow

log = logging.getLogger(__name__)
VERDICT_WORDS = {"improved": "improved", "not_improved": "did not improve",
                 "not_enough_evidence": "not enough evidence"}
NEXT_STEP_WORDS = {"move_on": "move on", "repeat_another_angle": "repeat from another angle",
                   "live_coaching": "live coaching", "watch_next_call": "watch the next call"}


@dataclass(frozen=True)
class LoopView:
    """Everything a page or the CLI shows of one loop; ``numbers`` is the stored verdict document (None while open)."""

    id: int
    status: str
    verdict: str | None
    rep_user_id: int
    rep: str
    rep_email: str
    created_by: str
    created_at: datetime
    call_conversation_id: int
    call_title: str
    start_turn: int
    end_turn: int
    moment_kind: str | None
    criterion_id: str
    criterion_name: str
    rubric_id: str
    drill_scenario_id: str | None
    assignment_id: int | None
    next_call_conversation_id: int | None
    next_call_title: str | None
    closed_at: datetime | None
    numbers: dict[str, Any] | None

    @property
    def reason(self) -> str:
        return str((self.numbers or {}).get("reason", ""))

    @property
    def next_step(self) -> str | None:
        step = (self.numbers or {}).get("next_step")
        return str(step) if step else None

    def as_json(self) -> dict[str, Any]:
        return {
            "loop_id": self.id, "status": self.status, "verdict": self.verdict,
            "rep": {"user_id": self.rep_user_id, "name": self.rep, "email": self.rep_email},
            "created_by": self.created_by, "created_at": self.created_at.isoformat(),
            "call": {"conversation_id": self.call_conversation_id, "title": self.call_title},
            "moment": {"start_turn": self.start_turn, "end_turn": self.end_turn, "kind": self.moment_kind},
            "criterion": {"id": self.criterion_id, "name": self.criterion_name, "rubric": self.rubric_id},
            "drill_scenario_id": self.drill_scenario_id, "assignment_id": self.assignment_id,
            "next_call": None if self.next_call_conversation_id is None else
            {"conversation_id": self.next_call_conversation_id, "title": self.next_call_title},
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "reason": self.reason or None, "next_step": self.next_step, "numbers": self.numbers,
        }


def _creator(s: Session, who: Viewer | int | None, call: ConversationRow) -> int | None:
    """The creator's user id after the access check of the module's docstring (NotFound hides a call the creator
    may not see)."""
    if who is None:
        return None
    if isinstance(who, Viewer):
        if conversation_access(s, who, call) is not Access.FULL or not (who.is_manager or who.id == call.user_id):
            raise NotFound(f"call: unknown conversation {call.id}")
        return who.id
    user = s.get(User, who) if is_db_id(who) else None
    if user is None or user.org_id != call.org_id:
        raise NotFound(f"created_by: unknown user {who}")
    return user.id


def open_loop(s: Session, *, viewer_or_creator: Viewer | int | None, call_conversation_id: int, start_turn: int,
              end_turn: int | None = None, criterion_id: str, drill_scenario_id: str | None = None,
              assignment_id: int | None = None, moment_kind: str | None = None, find_moment: bool = True,
              now: datetime | None = None) -> int:
    """Open a loop on turns ``start_turn``..``end_turn`` of a stored call for ``criterion_id``; return its id.
    ``moment_kind`` (e.g. objection_price) is looked up among the call's key moments when not given (``find_moment``
    False skips that). NotFound for an unknown call, assignment or creator; InvalidInput (naming the field) for a
    conversation that is not a scored call, turns outside it, or a criterion not on its scorecard."""
    now = now or utcnow()
    row = s.get(ConversationRow, call_conversation_id) if is_db_id(call_conversation_id) else None
    if row is None:
        raise NotFound(f"call: unknown conversation {call_conversation_id}")
    creator = _creator(s, viewer_or_creator, row)
    if row.source != "call":
        raise InvalidInput(f"call: conversation {row.id} is a {row.source}, not a real call")
    end_turn = start_turn if end_turn is None else end_turn
    call = load_call(s, row)
    last = max((t.index for t in call.conversation.turns), default=-1)
    if not (0 <= start_turn <= end_turn <= last):
        raise InvalidInput(f"moment: turns {start_turn}..{end_turn} are not turns of call {row.id} (0..{last})")
    if call.scorecard is None:
        raise InvalidInput(f"call: conversation {row.id} has no scorecard; import it with a scorer")
    ids = [c.id for c in call.scorecard.criteria]
    if criterion_id not in ids:
        raise InvalidInput(f"criterion: {criterion_id[:80]!r} is not a criterion of rubric "
                           f"{call.scorecard.rubric.id} (known: {', '.join(ids)})")
    try:
        drill = clean_text(drill_scenario_id, "drill", max_chars=120) if drill_scenario_id else None
    except InputError as exc:
        raise InvalidInput(str(exc)) from None
    if assignment_id is not None:
        assignment = s.get(AssignmentRow, assignment_id) if is_db_id(assignment_id) else None
        if assignment is None or assignment.org_id != row.org_id:
            raise NotFound(f"assignment: unknown assignment {assignment_id}")
        drill = drill or assignment.scenario_id
    same = s.scalar(select(CoachingLoopRow).where(
        CoachingLoopRow.call_conversation_id == row.id, CoachingLoopRow.start_turn == start_turn,
        CoachingLoopRow.criterion_id == criterion_id, CoachingLoopRow.status == "open"))
    if same is not None:  # the same open loop: a newer drill or assignment for it replaces the older one
        if drill is not None:
            same.drill_scenario_id = drill
        if assignment_id is not None:
            same.assignment_id = assignment_id
        return int(same.id)
    if moment_kind is None and find_moment:
        found = moment_at(call, start_turn)
        moment_kind = found[0] if found is not None else None
    loop = CoachingLoopRow(org_id=row.org_id, user_id=row.user_id, created_by=creator, created_at=now,
                           call_conversation_id=row.id, start_turn=start_turn, end_turn=end_turn,
                           moment_kind=(moment_kind or None) and moment_kind[:40], criterion_id=criterion_id,
                           rubric_id=call.scorecard.rubric.id, rubric_version=call.scorecard.rubric.version,
                           drill_scenario_id=drill, assignment_id=assignment_id, status="open")
    s.add(loop)
    s.flush()
    return loop.id


@dataclass(frozen=True)
class MomentRef:
    """The key moment of a stored call at a turn: kind, span and the criterion it bears on (``review.moments``)."""

    kind: str
    start_turn: int
    end_turn: int
    criterion: str | None


def moment_for(s: Session, call_conversation_id: int, start_turn: int) -> MomentRef | None:
    """The key moment of the stored call that starts at ``start_turn`` (else the first spanning it), or None; NotFound
    for an unknown conversation. For callers that know only where the moment starts (``sparring call loop open``)."""
    row = s.get(ConversationRow, call_conversation_id) if is_db_id(call_conversation_id) else None
    if row is None:
        raise NotFound(f"call: unknown conversation {call_conversation_id}")
    found = moment_at(load_call(s, row), start_turn)
    return MomentRef(*found) if found is not None else None


def _verdict(s: Session, loop: CoachingLoopRow, new: StoredCall, rescore: Rescore | None,
             kinds: list[str] | None) -> tuple[LoopVerdict, list[int]] | None:
    """The loop's verdict against the new call and the drill reps' conversations, or None when its rubric is gone
    (the loop stays open)."""
    rubric = rubric_in(s, loop.org_id, loop.rubric_id, loop.rubric_version)
    if rubric is None or all(c.id != loop.criterion_id for c in rubric.criteria):
        log.warning("loop %s: rubric %s or its criterion %s is gone", loop.id, loop.rubric_id, loop.criterion_id)
        return None
    original_row = s.get(ConversationRow, loop.call_conversation_id)
    assert original_row is not None  # the loop cascades with its call
    stored = load_call(s, original_row)
    original = call_sample(stored, loop.criterion_id, card=stored.scorecard)
    card = new.scorecard
    if card is None or card.rubric.id != loop.rubric_id:  # routed to another rubric: score it with the loop's
        card = rescore(new.conversation, rubric) if rescore is not None else None
    sample = call_sample(new, loop.criterion_id, situation=situation_of(loop.moment_kind), kinds=kinds, card=card)
    drills = drill_samples(s, loop.user_id, loop.drill_scenario_id, utc(loop.created_at), loop.criterion_id)
    return judge(rubric, loop.criterion_id, original, drills, sample), [d.conversation_id for d in drills]


def evaluate_open_loops(s: Session, user_id: int, new_call_conversation_id: int, *, rescore: Rescore | None = None,
                        now: datetime | None = None) -> list[int]:
    """Close every open loop of ``user_id`` that the call ``new_call_conversation_id`` is the next call of (the
    module's docstring); return the ids closed. ``rescore`` scores the call with a loop's rubric when the call was
    scored with another one (without it, the verdict says the call was not scored on the criterion)."""
    now = now or utcnow()
    row = s.get(ConversationRow, new_call_conversation_id) if is_db_id(new_call_conversation_id) else None
    if row is None or row.source != "call" or row.user_id != user_id:
        return []
    when = call_time(row)
    # locked (PostgreSQL): two calls of the rep imported at once close each loop once, the first to commit wins
    loops = [loop for loop in s.scalars(select(CoachingLoopRow).where(
        CoachingLoopRow.user_id == user_id, CoachingLoopRow.status == "open").order_by(CoachingLoopRow.id)
        .with_for_update())
        if loop.call_conversation_id != row.id and when > utc(loop.created_at)]
    if not loops:
        return []
    new = load_call(s, row)
    kinds: list[str] | None = None
    if any(situation_of(loop.moment_kind) for loop in loops):
        kinds = [k for k, *_ in moment_kinds(new)]
    closed = []
    for loop in loops:
        original = s.get(ConversationRow, loop.call_conversation_id)
        if original is None or when <= call_time(original):
            continue
        judged = _verdict(s, loop, new, rescore, kinds)
        if judged is None:
            continue
        verdict, drill_ids = judged
        numbers = verdict.as_json()
        numbers["calls"] = {"original": loop.call_conversation_id, "new": row.id}
        numbers["drills"]["conversations"] = drill_ids
        loop.status, loop.verdict, loop.numbers = "closed", verdict.verdict, numbers
        loop.next_call_conversation_id, loop.closed_at = row.id, now
        closed.append(loop.id)
        events.publish(s, loop.org_id, events.LOOP_CLOSED, event_data.loop_closed(s, loop))
        if loop.created_by is not None:
            rep = s.get(User, loop.user_id)
            name = (rep.name or rep.email) if rep is not None else "The rep"
            notify(s, loop.created_by, "loop_closed",
                   f"{name}'s next call: {verdict.criterion_name} — {VERDICT_WORDS[verdict.verdict]} "
                   f"(next step: {NEXT_STEP_WORDS[verdict.next_step]})", f"/calls/{new_call_conversation_id}#loops",
                   key=f"loop_closed:{loop.id}", now=now)
    s.flush()
    return closed


# ---- reading -------------------------------------------------------------------------------------------------


def _views(s: Session, rows: list[CoachingLoopRow]) -> list[LoopView]:
    user_ids = {r.user_id for r in rows} | {r.created_by for r in rows if r.created_by is not None}
    users = {u.id: u for u in s.scalars(select(User).where(User.id.in_(user_ids or {-1})))}
    conv_ids = {r.call_conversation_id for r in rows} | {r.next_call_conversation_id for r in rows
                                                          if r.next_call_conversation_id is not None}
    titles: dict[int, str] = {cid: title for cid, title in s.execute(
        select(ConversationRow.id, ConversationRow.title).where(ConversationRow.id.in_(conv_ids or {-1})))}
    criteria: dict[tuple[str, str | None], dict[str, str]] = {}
    out = []
    for r in rows:
        key = (r.rubric_id, r.rubric_version)
        if key not in criteria:
            rubric = rubric_in(s, r.org_id, r.rubric_id, r.rubric_version)
            criteria[key] = {c.id: c.name for c in rubric.criteria} if rubric is not None else {}
        rep, by = users.get(r.user_id), users.get(r.created_by) if r.created_by is not None else None
        out.append(LoopView(
            r.id, r.status, r.verdict, r.user_id, (rep.name or rep.email) if rep else "", rep.email if rep else "",
            (by.name or by.email) if by else "operator", utc(r.created_at), r.call_conversation_id,
            titles.get(r.call_conversation_id, ""), r.start_turn, r.end_turn, r.moment_kind, r.criterion_id,
            criteria[key].get(r.criterion_id, r.criterion_id), r.rubric_id, r.drill_scenario_id, r.assignment_id,
            r.next_call_conversation_id, titles.get(r.next_call_conversation_id) if r.next_call_conversation_id
            else None, utc(r.closed_at) if r.closed_at else None, r.numbers))
    return out


def _check_status(status: str | None) -> None:
    if status is not None and status not in LOOP_STATUSES:
        raise InvalidInput(f"status: use one of {', '.join(LOOP_STATUSES)} (got {status[:20]!r})")


def list_loops(s: Session, viewer: Viewer, *, user_id: int | None = None, status: str | None = None,
               limit: int = 200) -> list[LoopView]:
    """The loops the viewer may see (the module's docstring), newest first; ``user_id`` and ``status`` filter."""
    q = select(CoachingLoopRow).where(CoachingLoopRow.org_id == viewer.org_id,
                                      CoachingLoopRow.user_id.in_(visible_user_ids_query(viewer)))
    return _listed(s, q, user_id, status, limit)


def _listed(s: Session, q: Select[CoachingLoopRow], user_id: int | None, status: str | None,
            limit: int) -> list[LoopView]:
    """``q`` filtered by rep and status, newest first, at most ``limit`` (1..500) loops."""
    _check_status(status)
    if user_id is not None:
        q = q.where(CoachingLoopRow.user_id == user_id)
    if status is not None:
        q = q.where(CoachingLoopRow.status == status)
    q = q.order_by(CoachingLoopRow.created_at.desc(), CoachingLoopRow.id.desc()).limit(max(1, min(limit, 500)))
    return _views(s, list(s.scalars(q)))


def loops_of_call(s: Session, viewer: Viewer, conversation_id: int) -> list[LoopView]:
    """The loops the viewer may see that a call opened or closed (its review page's loop panel), newest first."""
    q = select(CoachingLoopRow).where(
        CoachingLoopRow.org_id == viewer.org_id, CoachingLoopRow.user_id.in_(visible_user_ids_query(viewer)),
        (CoachingLoopRow.call_conversation_id == conversation_id)
        | (CoachingLoopRow.next_call_conversation_id == conversation_id),
    ).order_by(CoachingLoopRow.created_at.desc(), CoachingLoopRow.id.desc()).limit(50)
    return _views(s, list(s.scalars(q)))


def get_loop(s: Session, viewer: Viewer, loop_id: int) -> LoopView:
    """One loop the viewer may see; NotFound otherwise (existence never leaks)."""
    row = s.get(CoachingLoopRow, loop_id) if is_db_id(loop_id) else None
    if row is None or row.org_id != viewer.org_id or not can_see_user(s, viewer, row.user_id):
        raise NotFound(f"unknown loop {loop_id}")
    return _views(s, [row])[0]


def list_all(s: Session, *, user_id: int | None = None, status: str | None = None,
             limit: int = 500) -> list[LoopView]:
    """Every loop of the installation (the operator's ``sparring call loops``), or a rep's; newest first."""
    return _listed(s, select(CoachingLoopRow), user_id, status, limit)
