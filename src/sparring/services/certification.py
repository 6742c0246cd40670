"""Certification as use cases (issue 14 item 3; docs/programs.md "Certification"): a lead configures a program's
certification (a fixed scenario and difficulty, a pass bar per criterion, max attempts); an enrolled learner starts
an attempt (a practice rep at that scenario and difficulty, refused when no attempts are left); the result is
recorded once the rep is scored (an attempt passes when every criterion reaches its bar: ``coaching.certification``);
a manager of the learner's team or an admin signs off a passed attempt, which issues the certificate, and may later
revoke it with a reason (the certificate stays on record, shown as revoked; the learner may try again while attempts
are left — the pass that earned the revoked certificate is spent, and a revocation gives no attempt back).

Who may do what (``services.access``):
- **configure, see the learners' status**: whoever sees the program (``services.programs``); the operator.
- **start an attempt**: the learner, enrolled in an active program with a certification.
- **sign off, revoke**: an admin of the organisation or a manager of one of the learner's teams; the operator.
- **list certificates**: a learner their own; a manager those of their teams' learners; an admin the organisation's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sparring.coaching.certification import (
    Bar,
    BarError,
    CriterionResult,
    attempt_passes,
    attempts_left,
    check_bars,
    status,
)
from sparring.content.errors import UnknownContentError
from sparring.content.scenario import Scenario
from sparring.services.access import Viewer
from sparring.services.errors import Conflict, InvalidInput, NotFound
from sparring.services.practice import PracticeService
from sparring.services.programs import (
    ScenarioLookup,
    _manages,
    enrolled_users,
    visible_learner_ids,
    visible_program_row,
)
from sparring.services.records import UserRecord
from sparring.store.certification_models import CertificateRow, CertificationAttemptRow, CertificationRow
from sparring.store.models import DIFFICULTIES, CriterionResultRow, Rep, ScorecardRow, User, utcnow
from sparring.store.program_models import ProgramRow

MAX_ATTEMPTS = 20
#: the criterion ids of a scenario's rubric, in an organisation's content (for checking the bars)
CriteriaLookup = Callable[[int, "Scenario"], Iterable[str]]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@dataclass(frozen=True)
class CertificationView:
    program_id: int
    scenario_id: str
    difficulty: str
    max_attempts: int
    bars: dict[str, Bar]


@dataclass(frozen=True)
class CertificateView:
    id: int
    program_id: int
    program: str
    user_id: int
    email: str
    name: str
    rep_id: int | None
    signed_off_by: str
    issued_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revoked_reason: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class LearnerCertification:
    """One learner's certification on a program: attempts used and left, the status (``coaching.certification``),
    the passing rep (awaiting sign-off or certified)."""

    user_id: int
    email: str
    name: str
    used: int
    left: int
    status: str
    passed_rep_id: int | None
    #: the learner's latest revoked certificate on the program, if any (shown beside the status)
    revoked: CertificateView | None = None


def _view(row: CertificationRow) -> CertificationView:
    return CertificationView(row.program_id, row.scenario_id, row.difficulty, row.max_attempts,
                             check_bars(row.bars))


def configure(db: Session, actor: Viewer | None, scenario_for: ScenarioLookup, program_id: int, *,
              scenario_id: str, difficulty: str, max_attempts: int, bars: Mapping[str, Bar],
              criteria_for: CriteriaLookup | None = None) -> CertificationView:
    """Set (or change) a program's certification. Every field is checked and named in the error (with
    ``criteria_for``, each bar's criterion against the scenario's rubric); nothing is stored when anything is
    wrong."""
    program = visible_program_row(db, actor, program_id)
    try:
        scenario = scenario_for(program.org_id, scenario_id.strip())
    except UnknownContentError:
        raise InvalidInput(f"scenario: unknown scenario {scenario_id[:80]!r}") from None
    if difficulty not in DIFFICULTIES:
        raise InvalidInput(f"difficulty: {difficulty[:20]!r} is not one of {', '.join(DIFFICULTIES)}")
    if not isinstance(max_attempts, int) or not 1 <= max_attempts <= MAX_ATTEMPTS:
        raise InvalidInput(f"attempts: give a whole number from 1 to {MAX_ATTEMPTS}")
    try:
        checked = check_bars(bars)
    except BarError as exc:
        raise InvalidInput(str(exc)) from None
    if criteria_for is not None:
        known = list(criteria_for(program.org_id, scenario))
        unknown = [c for c in checked if c not in known]
        if unknown:
            raise InvalidInput(f"bar: unknown criterion {unknown[0][:80]!r} (the rubric {scenario.rubric} has: "
                               f"{', '.join(known)})")
    row = db.scalar(select(CertificationRow).where(CertificationRow.program_id == program.id))
    if row is None:
        row = CertificationRow(program_id=program.id)
        db.add(row)
    row.scenario_id, row.difficulty, row.max_attempts = scenario.id, difficulty, max_attempts
    row.bars, row.updated_at = dict(checked), utcnow()
    db.flush()
    return _view(row)


def certification_of(db: Session, program_id: int) -> CertificationView | None:
    row = db.scalar(select(CertificationRow).where(CertificationRow.program_id == program_id))
    return _view(row) if row is not None else None


# ---- attempts -----------------------------------------------------------------------------------------------------


def _results(db: Session, rep: Rep) -> list[CriterionResult] | None:
    """The criterion results of the rep's newest scorecard (None: not scored yet)."""
    card = db.scalar(select(ScorecardRow.id).where(ScorecardRow.conversation_id == rep.conversation_id)
                     .order_by(ScorecardRow.created_at.desc(), ScorecardRow.id.desc()).limit(1))
    if card is None:
        return None
    return [CriterionResult(r.criterion_id, r.score, r.max, r.verdict)
            for r in db.scalars(select(CriterionResultRow).where(CriterionResultRow.scorecard_id == card))]


def record_results(db: Session, program_id: int, user_id: int | None = None) -> int:
    """Record the result of every attempt whose rep has been scored since (all learners, or one); the number
    recorded. Called before an attempt starts and before a sign-off, so a rep scored anywhere (web, CLI, job)
    counts; reading a status computes the same result without writing."""
    cert = certification_of(db, program_id)
    if cert is None:
        return 0
    q = select(CertificationAttemptRow).where(CertificationAttemptRow.program_id == program_id,
                                              CertificationAttemptRow.passed.is_(None))
    if user_id is not None:
        q = q.where(CertificationAttemptRow.user_id == user_id)
    done = 0
    for attempt in db.scalars(q):
        rep = db.get(Rep, attempt.rep_id)
        results = _results(db, rep) if rep is not None else None
        if results is None:
            continue
        attempt.passed, attempt.recorded_at = attempt_passes(cert.bars, results), utcnow()
        done += 1
    db.flush()
    return done


def _attempts(db: Session, program_id: int, user_id: int) -> list[CertificationAttemptRow]:
    return list(db.scalars(select(CertificationAttemptRow).where(
        CertificationAttemptRow.program_id == program_id, CertificationAttemptRow.user_id == user_id)
        .order_by(CertificationAttemptRow.started_at, CertificationAttemptRow.id)))


def _active_certificate(db: Session, program_id: int, user_id: int) -> CertificateRow | None:
    """The learner's certificate on the program that is not revoked (at most one: a partial unique index)."""
    return db.scalar(select(CertificateRow).where(CertificateRow.program_id == program_id,
                                                  CertificateRow.user_id == user_id,
                                                  CertificateRow.revoked_at.is_(None)))


def _last_revoked(db: Session, program_id: int, user_id: int) -> CertificateRow | None:
    return db.scalar(select(CertificateRow).where(CertificateRow.program_id == program_id,
                                                  CertificateRow.user_id == user_id,
                                                  CertificateRow.revoked_at.is_not(None))
                     .order_by(CertificateRow.revoked_at.desc(), CertificateRow.id.desc()).limit(1))


def _learner(db: Session, program: ProgramRow, cert: CertificationView, user: User) -> LearnerCertification:
    """The learner's status; an attempt scored but not recorded yet counts with its result (reads stay reads).
    Attempts started before the learner's latest revocation are spent: they count as used but not for the status."""
    attempts = _attempts(db, program.id, user.id)
    active = _active_certificate(db, program.id, user.id)
    revoked = _last_revoked(db, program.id, user.id)
    fresh = attempts
    if revoked is not None and revoked.revoked_at is not None:
        since = _utc(revoked.revoked_at)
        fresh = [a for a in attempts if _utc(a.started_at) > since]
    results: list[bool | None] = []
    for a in fresh:
        if a.passed is None:
            rep = db.get(Rep, a.rep_id)
            scored = _results(db, rep) if rep is not None else None
            results.append(attempt_passes(cert.bars, scored) if scored is not None else None)
        else:
            results.append(a.passed)
    passed = next((a.rep_id for a, r in zip(fresh, results, strict=True) if r), None)
    return LearnerCertification(user.id, user.email, user.name or user.email, len(attempts),
                                attempts_left(cert.max_attempts, len(attempts)),
                                status(cert.max_attempts, results, active is not None, revoked=revoked is not None,
                                       used=len(attempts)),
                                active.rep_id if active is not None else passed,
                                _certificate(db, revoked) if revoked is not None else None)


def learner_status(db: Session, program_id: int, user_id: int) -> LearnerCertification | None:
    """One learner's own status (None: the program has no certification or they are not enrolled)."""
    program = db.get(ProgramRow, program_id)
    cert = certification_of(db, program_id) if program is not None else None
    user = db.get(User, user_id)
    if program is None or cert is None or user is None or user_id not in {u.id for u in
                                                                           enrolled_users(db, program_id)}:
        return None
    return _learner(db, program, cert, user)


def program_status(db: Session, viewer: Viewer | None, program_id: int) -> list[LearnerCertification]:
    """Every enrolled learner the viewer sees, with their certification status, by name."""
    program = visible_program_row(db, viewer, program_id)
    cert = certification_of(db, program.id)
    if cert is None:
        return []
    visible = visible_learner_ids(db, viewer)
    return [_learner(db, program, cert, u) for u in enrolled_users(db, program.id)
            if visible is None or u.id in visible]


def my_certifications(db: Session, viewer: Viewer) -> dict[int, tuple[CertificationView, LearnerCertification]]:
    """The learner's certifications, by program id: the active programs they are enrolled in that have one."""
    out: dict[int, tuple[CertificationView, LearnerCertification]] = {}
    rows = db.execute(select(CertificationRow, ProgramRow)
                      .join(ProgramRow, ProgramRow.id == CertificationRow.program_id)
                      .where(ProgramRow.org_id == viewer.org_id, ProgramRow.status == "active")).all()
    for cert_row, program in rows:
        state = learner_status(db, program.id, viewer.id)
        if state is not None:
            out[program.id] = (_view(cert_row), state)
    return out


def check_can_start(db: Session, user_id: int, program_id: int) -> CertificationView:
    """The certification the learner may start an attempt of now; InvalidInput/NotFound naming why not."""
    program = db.get(ProgramRow, program_id) if isinstance(program_id, int) else None
    if program is None or user_id not in {u.id for u in enrolled_users(db, program.id)}:
        raise NotFound(f"no such program {program_id}")
    cert = certification_of(db, program.id)
    if cert is None:
        raise NotFound(f"program {program_id} has no certification")
    if program.status != "active":
        raise Conflict(f"program {program_id} is archived")
    record_results(db, program.id, user_id)
    state = learner_status(db, program.id, user_id)
    assert state is not None
    if state.status in ("awaiting_sign_off", "certified"):
        raise Conflict("certification: you already passed; no more attempts are needed")
    if state.left <= 0:
        raise Conflict(f"certification: no attempts left (all {cert.max_attempts} used; a manager can raise the "
                       f"certification's attempts)")
    return cert


def mark_attempt(db: Session, user_id: int, program_id: int, rep_id: int) -> None:
    """Mark a just-started rep as the learner's attempt (its scenario and difficulty must be the certification's)."""
    cert = check_can_start(db, user_id, program_id)
    rep = db.get(Rep, rep_id)
    if rep is None or rep.user_id != user_id:
        raise NotFound(f"no such rep {rep_id}")
    if (rep.scenario_id, rep.difficulty) != (cert.scenario_id, cert.difficulty):
        raise InvalidInput(f"rep: {rep_id} is not at the certification's scenario {cert.scenario_id} "
                           f"({cert.difficulty})")
    db.add(CertificationAttemptRow(program_id=program_id, user_id=user_id, rep_id=rep_id, started_at=utcnow()))
    db.flush()


def start_attempt(practice: PracticeService, user: UserRecord, program_id: int) -> int:
    """Start the learner's certification rep (the fixed scenario and difficulty) and mark it as an attempt; the
    rep's id. Refused (nothing started) when the learner is not enrolled, or has passed, or has no attempts left."""
    with practice.db.session() as s:
        cert = check_can_start(s, user.id, program_id)
    rep = practice.start_rep(user, cert.scenario_id, cert.difficulty)
    with practice.db.session() as s:
        mark_attempt(s, user.id, program_id, rep.id)
    return rep.id


# ---- sign-off and certificates ------------------------------------------------------------------------------------


def _signer(db: Session, actor: Viewer | None, program_id: int, user_id: int) -> tuple[ProgramRow, User]:
    """The program and the learner, when ``actor`` may sign off or revoke their certificate (an admin, a manager of
    one of the learner's teams, the operator); NotFound otherwise."""
    program = visible_program_row(db, actor, program_id)
    user = db.get(User, user_id)
    if user is None or user.org_id != program.org_id or (
            actor is not None and not actor.is_admin and not _manages(db, actor, user.id)):
        raise NotFound(f"user: unknown learner {user_id}")
    return program, user


def sign_off(db: Session, actor: Viewer | None, program_id: int, user_id: int,
             now: datetime | None = None) -> CertificateView:
    """Issue the certificate of a learner whose attempt passed: by an admin, a manager of the learner's team or the
    operator (``actor=None``)."""
    program, user = _signer(db, actor, program_id, user_id)
    record_results(db, program.id, user.id)
    state = learner_status(db, program.id, user.id)
    if state is None:
        raise NotFound(f"user: {user.email} is not enrolled in a certification of program {program_id}")
    if state.status == "certified":
        raise Conflict(f"certification: {user.email} is already certified")
    if state.status == "revoked":
        raise Conflict(f"certification: {user.email} has not passed an attempt since their certificate was revoked")
    if state.status != "awaiting_sign_off":
        raise Conflict(f"certification: {user.email} has not passed an attempt ({state.status.replace('_', ' ')})")
    row = CertificateRow(program_id=program.id, user_id=user.id, rep_id=state.passed_rep_id,
                         signed_off_by=actor.id if actor is not None else None, issued_at=now or utcnow())
    db.add(row)
    db.flush()
    return _certificate(db, row)


MAX_REASON = 500


def revoke(db: Session, actor: Viewer | None, program_id: int, user_id: int, reason: str,
           now: datetime | None = None) -> CertificateView:
    """Revoke the learner's certificate on the program, with a reason (required): by whoever may sign it off. The
    certificate stays on record, revoked; revoking again or a learner without a certificate is a Conflict naming
    which."""
    program, user = _signer(db, actor, program_id, user_id)
    text = " ".join((reason or "").split())
    if not text:
        raise InvalidInput("reason: say why the certificate is revoked (the learner and the export show it)")
    if len(text) > MAX_REASON:
        raise InvalidInput(f"reason: at most {MAX_REASON} characters ({len(text)} given)")
    row = _active_certificate(db, program.id, user.id)
    if row is None:
        before = _last_revoked(db, program.id, user.id)
        if before is not None and before.revoked_at is not None:
            raise Conflict(f"certification: {user.email}'s certificate on {program.name} was already revoked on "
                           f"{_utc(before.revoked_at):%Y-%m-%d}")
        raise Conflict(f"certification: {user.email} has no certificate on {program.name} to revoke")
    row.revoked_at, row.revoked_by, row.revoked_reason = now or utcnow(), actor.id if actor else None, text
    db.flush()
    return _certificate(db, row)


def _name(db: Session, user_id: int | None) -> str:
    by = db.get(User, user_id) if user_id else None
    return (by.name or by.email) if by else "operator"


def _certificate(db: Session, row: CertificateRow) -> CertificateView:
    user = db.get(User, row.user_id)
    program = db.get(ProgramRow, row.program_id)
    assert user is not None and program is not None
    revoked_at = _utc(row.revoked_at) if row.revoked_at is not None else None
    return CertificateView(row.id, program.id, program.name, user.id, user.email, user.name or user.email,
                           row.rep_id, _name(db, row.signed_off_by), _utc(row.issued_at), revoked_at,
                           _name(db, row.revoked_by) if revoked_at is not None else None, row.revoked_reason)


def list_certificates(db: Session, viewer: Viewer | None, *, user_id: int | None = None,
                      program_id: int | None = None, org_id: int | None = None) -> list[CertificateView]:
    """Certificates the viewer may see (None: the operator, every one or ``org_id``'s), newest first, filtered by
    learner and/or program."""
    q = select(CertificateRow).join(ProgramRow, ProgramRow.id == CertificateRow.program_id)
    if viewer is not None:
        q = q.where(ProgramRow.org_id == viewer.org_id)
        if not viewer.is_manager:
            q = q.where(CertificateRow.user_id == viewer.id)
        elif not viewer.is_admin:
            q = q.where(CertificateRow.user_id.in_(visible_learner_ids(db, viewer) or {-1}))
    elif org_id is not None:
        q = q.where(ProgramRow.org_id == org_id)
    if user_id is not None:
        q = q.where(CertificateRow.user_id == user_id)
    if program_id is not None:
        q = q.where(CertificateRow.program_id == program_id)
    rows: Sequence[CertificateRow] = list(db.scalars(q.order_by(CertificateRow.issued_at.desc(),
                                                                CertificateRow.id.desc()).limit(1000)))
    return [_certificate(db, r) for r in rows]
