"""Practice reps: the use-cases the CLI and the web app call.

Persist before you compute (docs/architecture.md, "Principles"): ``submit_turn`` commits the learner's turn in its own
transaction and only then asks the persona engine for a reply, so a crash, a timeout or an engine error loses
nothing; ``resume_rep`` answers a learner turn that never got its reply. The persona's hidden state
(``PersonaState``) is stored with the rep after every reply, so no engine keeps state between calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sparring.content.rubric import Rubric
from sparring.content.scenario import DIFFICULTIES, Scenario
from sparring.conversation.model import Conversation, Turn
from sparring.inputs import InputError, clean_text, is_db_id, shown
from sparring.integrations import events
from sparring.persona.base import PersonaEngine, PersonaReply, PersonaState, stream_reply
from sparring.scoring.base import Scorer
from sparring.scoring.scorecard import Scorecard
from sparring.services import branching, conversations, event_data, turn_store
from sparring.services.content import ContentService
from sparring.services.conversation_store import new_conversation, owner_of, participants_of, store_scorecard
from sparring.services.conversations import ConversationView
from sparring.services.errors import Conflict, EngineFailed, InvalidInput, NotFound
from sparring.services.program_progress import publish_completions
from sparring.services.records import RepRecord, RepSummary, TurnResult, UserRecord
from sparring.store import rep_rollup
from sparring.store.db import Database
from sparring.store.models import ConversationRow, Rep, TurnRow, User

MAX_TURN_CHARS = 4000
#: longest scenario id a request may name (content ids are far shorter; this only bounds what is looked up)
MAX_SCENARIO_ID_CHARS = 200
#: pinned scenario versions kept per process (see ``_pinned_scenario``)
PINNED_SCENARIOS = 512
log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def clean_turn(text: str) -> str:
    """A learner's line as it is stored: whitespace collapsed, NFC, bidirectional overrides removed. InvalidInput
    (naming the problem, never quoting the line) when it is empty, too long, or holds a NUL or an unpaired
    surrogate, which no keyboard produces and which PostgreSQL cannot store. The web, the API and the CLI all
    go through ``submit_turn``, so all of them store only cleaned lines."""
    if not isinstance(text, str):
        raise InvalidInput("text: must be text")
    if len(text) > 4 * MAX_TURN_CHARS:  # no need to clean megabytes to know they are too long
        raise InvalidInput(f"text: is too long ({len(text):,} characters; at most {MAX_TURN_CHARS:,})")
    try:
        return clean_text(text, "text", max_chars=MAX_TURN_CHARS, required=True)
    except InputError as exc:
        raise InvalidInput(str(exc)) from None


def _known_id(rep_id: int) -> None:
    """An id no row can have (above the 64-bit range, or below 1) is an unknown rep, not a database error."""
    if not is_db_id(rep_id):
        digits = str(rep_id)
        raise NotFound(f"unknown rep {digits[:25]}{'…' if len(digits) > 25 else ''}")


def _summary_fields(rep: Rep, conversation: ConversationRow) -> dict[str, Any]:
    return {
        "id": rep.id,
        "conversation_id": conversation.id,
        "user_id": conversation.user_id,
        "org_id": conversation.org_id,
        "team_id": conversation.team_id,
        "scenario_id": rep.scenario_id,
        "scenario_version": rep.scenario_version,
        "rubric_id": rep.rubric_id,
        "rubric_version": rep.rubric_version,
        "difficulty": rep.difficulty,
        "engine": rep.engine,
        "outcome": rep.outcome,
        "ended_reason": rep.ended_reason,
        "private": conversation.private,
        "parent_rep_id": rep.parent_rep_id,
        "branched_from_turn": rep.branched_from_turn,
        "created_at": conversation.created_at,
        "ended_at": conversation.ended_at,
    }


def _view_fields(view: ConversationView) -> dict[str, Any]:
    """RepSummary's fields from the conversation read model (``services.conversations``)."""
    p = view.practice
    if p is None:
        raise NotFound(f"conversation {view.id} is not a practice rep")
    return {
        "id": p.rep_id, "conversation_id": view.id, "user_id": view.user_id, "org_id": view.org_id,
        "team_id": view.team_id, "scenario_id": p.scenario, "scenario_version": p.scenario_version,
        "rubric_id": view.rubric or "", "rubric_version": view.rubric_version or "", "difficulty": p.difficulty,
        "engine": p.engine, "outcome": p.outcome, "ended_reason": p.ended_reason, "private": view.private,
        "parent_rep_id": p.parent_rep_id, "branched_from_turn": p.branched_from_turn,
        "created_at": view.created_at, "ended_at": view.ended_at, "turn_count": view.turn_count or 0,
        "overall": view.overall, "passed": view.passed,
    }


def _load_scorecard(document: dict[str, Any], rep_id: int) -> Scorecard | None:
    """The stored SCORECARD; None (with a warning) when it no longer fits the current model, so that reading a
    rep never fails on an old document. Its overall score and pass/fail stay available from their columns."""
    try:
        return Scorecard.model_validate(document)
    except ValidationError as exc:
        log.warning("rep %s: stored scorecard does not match the current model: %s", rep_id, exc)
        return None


class PracticeService:
    """Start, play, end, score, resume and branch reps. The engines come from whoever builds the service (the
    composition root, ``sparring.root.Sparring.practice``): an engine, or a function that builds it on first use
    (so a service that only lists reps never loads one)."""

    def __init__(
        self,
        db: Database,
        persona: PersonaEngine | Callable[[], PersonaEngine] | None = None,
        scorer: Scorer | Callable[[], Scorer] | None = None,
        content: ContentService | None = None,
    ):
        self.db = db
        self._persona: PersonaEngine | None = None
        self._scorer: Scorer | None = None
        self._make_persona: Callable[[], PersonaEngine] | None = None
        self._make_scorer: Callable[[], Scorer] | None = None
        if persona is None or (hasattr(persona, "reply") and not isinstance(persona, type)):
            self._persona = persona  # type: ignore[assignment]
        else:
            self._make_persona = persona  # a function that builds the engine on first use
        if scorer is None or (hasattr(scorer, "score") and not isinstance(scorer, type)):
            self._scorer = scorer  # type: ignore[assignment]
        else:
            self._make_scorer = scorer
        #: the installation scope (built-ins and installation-wide imports); a rep's content is always looked up
        #: in its organisation's scope through ``content_for``
        self.content = content or ContentService.installation(self.db)
        self._pinned: dict[tuple[int, str, str], Scenario] = {}

    @property
    def persona(self) -> PersonaEngine:
        if self._persona is None:
            if self._make_persona is None:
                raise RuntimeError("this PracticeService was built without a persona engine (build it with "
                                   "sparring.root.Sparring.practice, or pass persona=)")
            self._persona = self._make_persona()
        return self._persona

    @property
    def scorer(self) -> Scorer:
        if self._scorer is None:
            if self._make_scorer is None:
                raise RuntimeError("this PracticeService was built without a scorer (build it with "
                                   "sparring.root.Sparring.practice, or pass scorer=)")
            self._scorer = self._make_scorer()
        return self._scorer

    def content_for(self, org_id: int) -> ContentService:
        """Content as one organisation sees it: the built-ins, installation-wide imports and its own content,
        never another organisation's (a learner cannot start, resume or score on it)."""
        return self.content.for_org(org_id)

    # ---- starting -------------------------------------------------------------------------------------
    def start_rep(
        self, user: UserRecord, scenario_id: str, difficulty: str = "medium", private: bool = False
    ) -> RepRecord:
        """Store a new rep with the persona's opening line and starting state."""
        if difficulty not in DIFFICULTIES:
            raise InvalidInput(f"unknown difficulty {shown(difficulty, 20)} (use one of: {', '.join(DIFFICULTIES)})")
        try:
            scenario_id = clean_text(scenario_id, "scenario", max_chars=MAX_SCENARIO_ID_CHARS, required=True)
        except InputError as exc:
            raise InvalidInput(str(exc)) from None
        content = self.content_for(user.org_id)
        scenario = content.get_scenario(scenario_id)
        rubric = content.get_rubric(scenario.rubric)
        try:
            opening = self.persona.open(scenario, difficulty)
        except Exception as exc:
            raise EngineFailed(f"the persona engine could not open '{scenario_id}': {exc}") from exc
        with self.db.session() as s:
            owner = owner_of(s, user.id)
            content.keep_version(s, scenario)
            content.keep_version(s, rubric)
            first = Turn(index=0, speaker=scenario.persona.name, role="counterpart", text=opening.text)
            learner = s.scalar(select(User.name).where(User.id == user.id)) or "Learner"  # as turn_store names it
            now = _now()
            conversation = new_conversation(
                s, owner, "practice", scenario.title or scenario.id, rubric=(rubric.id, rubric.version),
                private=private, started_at=now, participants=participants_of([first], user.id, [(learner, "learner")]),
            )
            rep = Rep(
                conversation_id=conversation.id,
                user_id=owner.user_id,
                org_id=owner.org_id,
                team_id=owner.team_id,
                scenario_id=scenario.id,
                scenario_version=scenario.version,
                rubric_id=rubric.id,
                rubric_version=rubric.version,
                difficulty=difficulty,
                engine=opening.engine,
                state=opening.state.model_dump(mode="json"),
                outcome="in_progress",
                ended_reason=None,
                parent_rep_id=None,
                branched_from_turn=None,
                created_at=conversation.created_at,
                updated_at=now,
                private=private,  # the roll-up's copy of the conversation's (store.rep_rollup)
            )
            s.add(rep)
            s.flush()
            s.add(TurnRow(conversation_id=conversation.id, turn_index=0, speaker=first.speaker, role=first.role,
                          text=first.text, persona_state=rep.state))  # the state after the opening line, for branching
            # what was just stored, without reading it back
            record = RepRecord(**_summary_fields(rep, conversation), turn_count=1, turns=[first], state=opening.state)
        self._pin((record.org_id, scenario.id, scenario.version), scenario)
        return record

    # ---- playing --------------------------------------------------------------------------------------
    def submit_turn(
        self,
        rep_id: int,
        text: str,
        owner_id: int | None = None,
        *,
        on_saved: Callable[[Turn], None] | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> TurnResult:
        """Commit the learner's turn, then compute, store and return the persona's reply. ``owner_id``: only
        this user's rep may take the turn (any other rep is reported as unknown, so existence never leaks).
        ``on_saved`` is called with the committed learner turn before the persona runs; ``on_text`` with each
        chunk of the reply as the engine produces it (an LLM streams sentences; the final ``reply.text`` is
        authoritative, since a guard may cut or replace what was streamed)."""
        text = clean_turn(text)
        _known_id(rep_id)
        with self.db.session() as s:
            saved = turn_store.save_learner_turn(s, rep_id, text, owner_id)
        # the learner's turn is committed: whatever happens from here on, it is kept
        context = saved.context()
        if on_saved is not None:
            on_saved(context.learner_turn)
        return self._answer(context, on_text)

    def resume_rep(self, rep_id: int) -> RepRecord:
        """Continue a rep: a learner turn left without a reply (crash, engine error) gets its reply now."""
        rep = self.get_rep(rep_id)
        if rep.awaiting_reply:
            self._answer(
                turn_store.TurnContext(rep_id=rep.id, org_id=rep.org_id, scenario_id=rep.scenario_id,
                                       scenario_version=rep.scenario_version, state=rep.state, turns=rep.turns)
            )
            rep = self.get_rep(rep_id)
        return rep

    def _answer(self, context: turn_store.TurnContext, on_text: Callable[[str], None] | None = None) -> TurnResult:
        rep_id, learner_turn = context.rep_id, context.learner_turn
        scenario = self._pinned_scenario(context.org_id, context.scenario_id, context.scenario_version)
        conversation = Conversation(source="practice", title=context.scenario_id, turns=context.turns)
        try:
            if on_text is None:
                reply = self.persona.reply(scenario, context.state, conversation)
            else:
                reply = self._streamed(scenario, context.state, conversation, on_text)
        except Exception as exc:
            raise EngineFailed(
                f"the persona engine failed ({type(exc).__name__}: {exc}); your turn is saved — "
                f"resume with: sparring practice --resume {rep_id}"
            ) from exc
        with self.db.session() as s:
            outcome = turn_store.save_reply(s, rep_id, learner_turn.index, scenario.persona.name, reply)
        return TurnResult(
            rep_id=rep_id,
            learner_turn=learner_turn,
            reply=Turn(index=learner_turn.index + 1, speaker=scenario.persona.name, role="counterpart",
                       text=reply.text),
            state=reply.state,
            outcome=outcome,
            ended=outcome != "in_progress",
            engine=reply.engine,
            fallback_reason=reply.fallback_reason,
        )

    def _streamed(self, scenario: Scenario, state: PersonaState, conversation: Conversation,
                  on_text: Callable[[str], None]) -> PersonaReply:
        final: PersonaReply | None = None
        for item in stream_reply(self.persona, scenario, state, conversation):
            if isinstance(item, PersonaReply):
                final = item
            elif item:
                on_text(item)
        if final is None:
            raise RuntimeError("the persona engine's stream ended without a final reply")
        return final

    def _pinned_scenario(self, org_id: int, scenario_id: str, version: str) -> Scenario:
        """A rep's scenario at the version it pinned. A version is a content hash, so what it names never
        changes: it is looked up once per process, not on every turn."""
        key = (org_id, scenario_id, version)
        scenario = self._pinned.get(key)
        if scenario is None:
            scenario = self.content_for(org_id).get_scenario(scenario_id, version)
            self._pin(key, scenario)
        return scenario

    def _pin(self, key: tuple[int, str, str], scenario: Scenario) -> None:
        if len(self._pinned) >= PINNED_SCENARIOS:
            self._pinned.clear()
        self._pinned[key] = scenario

    def end_rep(self, rep_id: int, reason: str = "ended by the learner") -> RepRecord:
        """The learner ends a rep early: outcome ``incomplete``. Ending an ended rep changes nothing."""
        with self.db.session() as s:
            rep = self._lock(s, rep_id)
            if rep.outcome == "in_progress":
                state = PersonaState.model_validate(rep.state)
                state.ended, state.outcome, state.reason = True, "incomplete", reason
                rep.state = state.model_dump(mode="json")
                rep.outcome, rep.ended_reason, rep.updated_at = "incomplete", reason, _now()
                conversation = s.get(ConversationRow, rep.conversation_id)
                assert conversation is not None  # reps.conversation_id is a required foreign key
                conversation.ended_at = rep.updated_at
                rep_rollup.refresh(s, [rep.conversation_id])  # its length is known now
        return self.get_rep(rep_id)

    # ---- scoring --------------------------------------------------------------------------------------
    def score_rep(self, rep_id: int) -> Scorecard:
        """Score an ended rep against the rubric version it pinned; store the scorecard and its criteria."""
        rep = self.get_rep(rep_id)
        if not rep.ended:
            raise Conflict(f"rep {rep_id} is still in progress; end it before scoring")
        rubric = self.content_for(rep.org_id).get_rubric(rep.rubric_id, rep.rubric_version)
        try:
            card = self.scorer.score(rep.conversation, rubric)
        except Exception as exc:
            raise EngineFailed(f"the scorer failed on rep {rep_id} ({type(exc).__name__}: {exc})") from exc
        self._store_scorecard(rep, rubric, card)
        return card

    def _store_scorecard(self, rep: RepRecord, rubric: Rubric, card: Scorecard) -> None:
        with self.db.session() as s:
            conversation = s.get(ConversationRow, rep.conversation_id)
            if conversation is None:
                raise NotFound(f"unknown rep {rep.id}")
            row = store_scorecard(s, conversation, rubric, card)
            events.publish(s, conversation.org_id, events.REP_SCORED, event_data.rep_scored(s, conversation, row))
            if conversation.user_id is not None:
                publish_completions(s, conversation.user_id, conversation.org_id)

    # ---- branching ------------------------------------------------------------------------------------
    def branch_rep(self, rep_id: int, turn_index: int) -> RepRecord:
        """Retry from turn k: a new rep with turns 0..k-1 copied and the persona state the learner met at turn
        k, restored from the snapshot stored with the last persona turn before k (no engine call). Only reps
        stored without snapshots (before migration 0004) rebuild it by replaying the learner turns through the
        engine (``services.branching``). Turn k must be (or follow) a persona turn."""
        src = self.get_rep(rep_id)
        k = turn_index
        if not 1 <= k <= len(src.turns):
            raise InvalidInput(f"turn {k} is out of range for rep {rep_id} (1..{len(src.turns)})")
        if src.turns[k - 1].role == "learner":
            raise InvalidInput(f"turn {k} of rep {rep_id} is the persona's reply; branch at a learner turn")
        kept = src.turns[:k]
        snapshots = branching.stored_snapshots(self.db, rep_id, k)
        state = branching.snapshot_state(kept, snapshots, rep_id)
        if state is None:
            state = branching.replayed_state(self.persona, self._scenario(src), src.difficulty, kept, rep_id)
        if state.ended:
            raise Conflict(f"rep {rep_id} had already ended by turn {k}; branch at an earlier turn")
        said = [t.text for t in kept if t.role == "counterpart"]
        state.used_lines = list(dict.fromkeys([*state.used_lines, *said]))
        return self.get_rep(branching.store_branch(self.db, src, k, kept, state, snapshots))

    # ---- reading --------------------------------------------------------------------------------------
    def get_rep(self, rep_id: int) -> RepRecord:
        """A rep in full, read through the conversation read model (``services.conversations``)."""
        _known_id(rep_id)
        with self.db.read() as s:
            view = conversations.load_rep(s, rep_id)
        if view is None or view.practice is None:
            raise NotFound(f"unknown rep {rep_id}")
        card = _load_scorecard(view.scorecard, rep_id) if view.scorecard else None
        return RepRecord(
            **_view_fields(view),
            turns=[Turn(index=t.index, speaker=t.speaker, role=t.role, text=t.text, start=t.start, end=t.end)
                   for t in view.turns or []],
            state=PersonaState.model_validate(view.practice.state),
            scorecard=card,
        )

    def list_reps(
        self,
        user_id: int | None = None,
        org_id: int | None = None,
        team_ids: list[int] | None = None,
        scenario_id: str | None = None,
        include_private: bool = True,
        limit: int = 50,
        offset: int = 0,
    ) -> list[RepSummary]:
        """Reps matching every given filter, newest first. Authorisation is the caller's job: pass the
        filters the viewer is allowed to see (their own user id, their teams, their organisation), or use
        ``services.conversations.list_visible_reps`` with a viewer."""
        q = select(ConversationRow, Rep).join(Rep, Rep.conversation_id == ConversationRow.id)
        if user_id is not None:
            q = q.where(Rep.user_id == user_id)
        if org_id is not None:
            q = q.where(Rep.org_id == org_id)
        if team_ids is not None:
            q = q.where(Rep.team_id.in_(team_ids))
        if scenario_id is not None:
            q = q.where(Rep.scenario_id == scenario_id)
        if not include_private:
            q = q.where(ConversationRow.private.is_(False))
        q = q.order_by(Rep.created_at.desc(), Rep.id.desc()).limit(max(1, min(limit, 500))).offset(max(0, offset))
        with self.db.read() as s:
            views = conversations.load_many(s, q)
        return [RepSummary(**_view_fields(v)) for v in views]

    def set_private(self, rep_id: int, private: bool) -> None:
        with self.db.session() as s:
            rep = self._lock(s, rep_id)
            s.execute(update(ConversationRow).where(ConversationRow.id == rep.conversation_id).values(private=private))
            rep_rollup.refresh(s, [rep.conversation_id])

    # ---- helpers --------------------------------------------------------------------------------------
    def _scenario(self, rep: RepSummary) -> Scenario:
        return self.content_for(rep.org_id).get_scenario(rep.scenario_id, rep.scenario_version)

    @staticmethod
    def _lock(s: Session, rep_id: int) -> Rep:
        """The rep row, locked for this transaction (FOR UPDATE on PostgreSQL; SQLite writers hold the
        database write lock already)."""
        _known_id(rep_id)
        rep = s.get(Rep, rep_id, with_for_update=True)
        if rep is None:
            raise NotFound(f"unknown rep {rep_id}")
        return rep


__all__ = ["PracticeService"]
