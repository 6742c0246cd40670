"""The LLM judge: one structured call for the whole rubric, checked in code, same Scorecard as the embedded one.

- Prompt: the rubric first (stable across calls, so providers cache it), then the numbered transcript.
- Temperature 0 (the judge task default).
- Every evidence quote is checked against the transcript: it must appear verbatim (whitespace aside) in the
  turn it cites, or in exactly one other learner turn (then the citation is corrected). A quote that is not
  there is dropped and the criterion flagged.
- ``metric`` criteria are never asked of the model: they come from the same metric code as the embedded scorer.
- ``blocker`` criteria count as hit only when the model cites at least one verified learner quote for it.
- Optional k-sample mode (``samples > 1``): the verdict is the median over samples; the spread (max - min credit)
  is reported per criterion, and criteria whose samples disagree are marked ``uncertain``.
- Provider failures (after retries, past the judge deadline for the whole transcript, or while the endpoint's
  circuit breaker is open) hand the work to the embedded scorer; the scorecard says so.
- The work that does not depend on the model's answer (utterance tags, metrics, ``metric`` criteria) runs while
  the request is with the provider (``LLMClient.run(while_waiting=...)``, same thread), so it adds nothing to the
  wait when the model takes longer than it.
"""

from __future__ import annotations

import logging
import re
import statistics
import time
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from sparring.content.rubric import Criterion, Rubric
from sparring.conversation.model import Conversation
from sparring.kernel.usage import Usage
from sparring.llm.client import LLMClient, LLMUnavailable
from sparring.llm.redaction import Redactor
from sparring.llm.usage import add_usage
from sparring.scoring.base import Scorer
from sparring.scoring.embedded import ScoringContext, overall_score
from sparring.scoring.metric_evidence import judge_metric
from sparring.scoring.scorecard import CriterionResult, Evidence, Feedback, RubricRef, Scorecard, Verdict

log = logging.getLogger(__name__)

#: a criterion is uncertain when its credit varies by at least this much across samples
UNCERTAIN_SPREAD = 0.25
_CREDIT: dict[str, float] = {"met": 1.0, "partly": 0.5, "missed": 0.0}


class QuoteOut(BaseModel):
    turn: int = Field(description="index of the turn, as numbered in the transcript")
    quote: str = Field(description="exact words copied from that turn, nothing added")


class CriterionOut(BaseModel):
    id: str
    verdict: Literal["met", "partly", "missed", "n/a"] = Field(description="for check and scale criteria")
    level: int | None = Field(default=None, ge=1, le=5, description="scale criteria only: the anchored level 1..5")
    hit: bool | None = Field(default=None, description="blocker criteria only: was the rule broken")
    evidence: list[QuoteOut] = Field(default_factory=list)
    rationale: str = ""


class MomentOut(BaseModel):
    turn: int
    quote: str
    comment: str = ""


class JudgeOut(BaseModel):
    criteria: list[CriterionOut]
    landed: list[MomentOut] = Field(default_factory=list, description="the learner's strongest moments")
    missed: list[MomentOut] = Field(default_factory=list, description="the learner's weakest moments")
    next_drill: str = ""
    better_line: str = Field(default="", description="a stronger line the learner could have said")
    better_line_for_turn: int | None = None


def build_instructions(rubric: Rubric) -> str:
    """The stable prefix: what to judge and how (the rubric), independent of the transcript."""
    out = [
        "You are a strict, fair assessor of a business conversation. Judge only what the LEARNER said, against "
        "the rubric below. Cite evidence as exact quotes copied from the numbered learner turns; never paraphrase "
        "inside a quote. If a behaviour is absent, say missed and cite nothing or the closest miss.",
        f"Rubric: {rubric.title} ({rubric.id})" + (f"\n{rubric.description}" if rubric.description else ""),
    ]
    for c in rubric.criteria:
        if c.kind == "metric":
            continue
        lines = [f"- id: {c.id} | kind: {c.kind} | {c.name}"]
        if c.description:
            lines.append(f"  description: {c.description}")
        if c.met_when:
            lines.append(f"  met when: {c.met_when}")
        if c.anchors:
            lines += [f"  level {lvl}: {text}" for lvl, text in sorted(c.anchors.items())]
        lines += [f"  good example: {e}" for e in c.examples_positive[:3]]
        lines += [f"  bad example: {e}" for e in c.examples_negative[:3]]
        out.append("\n".join(lines))
    out.append(
        "Answer with one entry per criterion id above. check: verdict met|partly|missed|n/a. scale: level 1..5 "
        "and the verdict (met for 4-5, partly for 3, missed for 1-2). blocker: hit true only if a learner turn "
        "breaks the rule, with that quote as evidence (verdict missed when hit, met when kept). Then up to two "
        "landed and two missed moments (turn, exact quote, comment), one next drill, and a better line for the "
        "weakest learner turn (better_line_for_turn = its index)."
    )
    return "\n\n".join(out)


def build_prompt(conversation: Conversation, redactor: Redactor) -> str:
    rows = [
        f"[{t.index}] {t.role.upper()} ({redactor.redact(t.speaker)}): {redactor.redact(t.text)}"
        for t in conversation.turns
    ]
    return "Transcript:\n" + "\n".join(rows) + "\n\nJudge the learner against every criterion."


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def find_quote(conversation: Conversation, turn: int, quote: str) -> Evidence | None:
    """The verified evidence for a quote: the exact text from the transcript, in the turn that holds it."""
    q = _norm(quote.strip(" \"'“”‘’"))
    if len(q) < 3:
        return None

    def exact(text: str) -> str | None:
        # map the normalised match back onto the original text so the stored quote is verbatim
        words = re.escape(q).replace(r"\ ", r"\s+")
        m = re.search(words, text, re.I)
        return m.group(0) if m else None

    turns = conversation.turns
    if 0 <= turn < len(turns) and turns[turn].role == "learner":
        hit = exact(turns[turn].text)
        if hit:
            return Evidence(turn=turn, quote=hit)
    found = [(t.index, exact(t.text)) for t in turns if t.role == "learner"]
    matches = [(i, m) for i, m in found if m]
    if len(matches) == 1:
        return Evidence(turn=matches[0][0], quote=matches[0][1])
    return None


def _verify(conversation: Conversation, quotes: Sequence[QuoteOut], redactor: Redactor) -> tuple[list[Evidence], int]:
    kept: list[Evidence] = []
    dropped = 0
    for q in quotes:
        ev = find_quote(conversation, q.turn, redactor.restore(q.quote))
        if ev is None:
            dropped += 1
        elif ev not in kept:
            kept.append(ev)
    return kept, dropped


def _verdict_for_level(level: int) -> Verdict:
    return "met" if level >= 4 else "partly" if level == 3 else "missed"


def _result(c: Criterion, out: CriterionOut | None, conversation: Conversation, redactor: Redactor) -> CriterionResult:
    if out is None:
        top = {"scale": 5.0, "blocker": 0.0}.get(c.kind, 1.0)
        return CriterionResult(
            id=c.id, kind=c.kind, score=0.0, max=top, verdict="n/a", hit=False if c.kind == "blocker" else None,
            rationale="The judge gave no verdict for this criterion.", flagged="no verdict from the LLM judge",
        )  # fmt: skip
    evidence, dropped = _verify(conversation, out.evidence, redactor)
    rationale = redactor.restore(out.rationale)
    flags: list[str] = []
    if dropped:
        flags.append(f"{dropped} quote(s) not found in the transcript were dropped")
    if c.kind == "blocker":
        claimed = bool(out.hit) or (out.hit is None and out.verdict == "missed")
        hit = claimed and bool(evidence)
        if claimed and not evidence:
            flags.append("the judge reported a broken rule without a verifiable quote; not counted")
        return CriterionResult(
            id=c.id, kind="blocker", score=0.0, max=0.0, verdict="missed" if hit else "met", hit=hit,
            evidence=evidence if hit else [], rationale=rationale, flagged="; ".join(flags) or None,
        )  # fmt: skip
    if c.kind == "scale":
        level = out.level
        if level is None:
            level = {"met": 4, "partly": 3, "missed": 1}.get(out.verdict)
        if level is None:  # n/a
            return CriterionResult(id=c.id, kind="scale", score=0.0, max=5.0, verdict="n/a", rationale=rationale)
        verdict, score, top = _verdict_for_level(level), float(level), 5.0
    else:
        verdict = out.verdict
        score, top = (_CREDIT.get(verdict, 0.0), 1.0)
    if verdict in ("met", "partly") and not evidence:
        flags.append("no verified evidence for a positive verdict")
    return CriterionResult(
        id=c.id, kind=c.kind, score=score, max=top, verdict=verdict, evidence=evidence, rationale=rationale,
        flagged="; ".join(flags) or None,
    )  # fmt: skip


def _credit(r: CriterionResult) -> float:
    if r.kind == "scale":
        return max(0.0, (r.score - 1.0) / 4.0)
    if r.kind == "blocker":
        return 1.0 if r.hit else 0.0
    return r.score / r.max if r.max else 0.0


def combine(samples: list[list[CriterionResult]]) -> list[CriterionResult]:
    """k-sample mode: per criterion the sample with the median credit, plus the spread and an uncertain mark."""
    combined: list[CriterionResult] = []
    for i, first in enumerate(samples[0]):
        results = [s[i] for s in samples]
        scored = [r for r in results if r.verdict != "n/a"]
        credits = [_credit(r) for r in scored]
        if not credits:
            combined.append(first.model_copy(update={"spread": 0.0}))
            continue
        med = statistics.median_low(credits)
        chosen = next(r for r in scored if _credit(r) == med)
        spread = round(max(credits) - min(credits), 3)
        verdicts = {r.hit if r.kind == "blocker" else r.verdict for r in results}
        uncertain = spread >= UNCERTAIN_SPREAD or len(verdicts) > 1
        combined.append(chosen.model_copy(update={"spread": spread, "uncertain": uncertain}))
    return combined


class Prepared:
    """What the judge needs that does not depend on the model's answer: metrics and the metric criteria."""

    def __init__(self, conversation: Conversation, rubric: Rubric):
        from sparring.scoring.metrics import compute_metrics
        from sparring.scoring.tagging import model_vectors, tag_turns

        # learner turns only, as in the embedded scorer: metrics and metric evidence read nothing else
        vectors = model_vectors(conversation, roles={"learner"})  # embedded once: the tagger and the telling metric
        tags = list(tag_turns(conversation, roles={"learner"}, vectors=vectors))
        self.metrics: dict[str, Any] = dict(compute_metrics(conversation, tags=tags, vectors=vectors))
        ctx = ScoringContext(conversation, tags, self.metrics, [], np.zeros((0, 384), dtype=np.float32))
        self.metric_results = {c.id: judge_metric(c, ctx) for c in rubric.criteria if c.kind == "metric"}


class LLMJudge:
    """A Scorer backed by an LLM, with the embedded scorer as fallback."""

    name = "llm"

    def __init__(
        self,
        client: LLMClient | None,
        fallback: Scorer,
        *,
        samples: int = 1,
        redact: bool = True,
        redact_names: list[str] | None = None,
        unavailable_reason: str | None = None,
    ):
        self.client = client
        self.fallback = fallback
        self.samples = max(1, samples)
        self.redact = redact
        self.redact_names = list(redact_names or [])
        self.unavailable_reason = unavailable_reason or ("no LLM configured" if client is None else None)

    def _fallback(self, conversation: Conversation, rubric: Rubric, reason: str, usage: Usage | None) -> Scorecard:
        card = self.fallback.score(conversation, rubric)
        return card.model_copy(update={"fallback_reason": reason, "usage": usage})

    def score(self, conversation: Conversation, rubric: Rubric) -> Scorecard:
        if self.client is None:
            return self._fallback(conversation, rubric, self.unavailable_reason or "no LLM configured", None)
        if not conversation.by_role("learner"):  # nothing to judge: no call, no cost
            return self._fallback(conversation, rubric, "the learner says nothing, so there is nothing to judge", None)
        client = self.client
        prepared: list[Prepared] = []
        failed: list[Exception] = []

        def prepare() -> None:  # while the first request is with the provider; at the latest after it
            if prepared or failed:
                return
            try:
                prepared.append(Prepared(conversation, rubric))
            except Exception as exc:  # our own code failed, not the provider: raised after the call, as itself
                failed.append(exc)

        redactor = Redactor(self.redact_names, enabled=self.redact)
        instructions = redactor.redact_prefix(build_instructions(rubric))  # first: stable placeholders
        prompt = build_prompt(conversation, redactor)
        usage: Usage | None = None
        outputs: list[JudgeOut] = []
        # one deadline for the whole transcript: every sample and retry included (docs/llm.md)
        deadline = client.cfg.deadline
        deadline_at = time.monotonic() + deadline if deadline is not None else None
        for _ in range(self.samples):
            try:
                res = client.run(instructions=instructions, prompt=prompt, output_type=JudgeOut, temperature=None,
                                 while_waiting=prepare, deadline_at=deadline_at)  # fmt: skip
            except Exception as exc:  # any provider failure must still give a scorecard
                if not isinstance(exc, LLMUnavailable):
                    log.warning("LLM judge failed unexpectedly; the embedded scorer takes over", exc_info=True)
                if outputs:  # k-sample mode: keep the samples we have
                    break
                reason = exc.reason if isinstance(exc, LLMUnavailable) else f"unexpected error ({type(exc).__name__})"
                return self._fallback(conversation, rubric, reason, usage)
            usage = add_usage(usage, res.usage)
            outputs.append(res.output)
        prepare()
        if failed:
            raise failed[0]
        metrics = prepared[0].metrics
        samples: list[list[CriterionResult]] = []
        for out in outputs:
            by_id = {c.id: c for c in out.criteria}
            row = [
                prepared[0].metric_results[c.id] if c.kind == "metric"
                else _result(c, by_id.get(c.id), conversation, redactor)
                for c in rubric.criteria
            ]  # fmt: skip
            samples.append(row)
        results = combine(samples) if len(samples) > 1 else samples[0]
        overall = overall_score(rubric, results)
        blockers = [r.id for r in results if r.kind == "blocker" and r.hit]
        return Scorecard(
            rubric=RubricRef(id=rubric.id, version=rubric.version),
            engine=client.engine_name,
            overall=overall,
            passed=overall >= rubric.pass_mark and not blockers,
            blockers=blockers,
            criteria=results,
            metrics=metrics,
            feedback=self._feedback(rubric, results, outputs[0], conversation, redactor),
            usage=usage,
        )

    @staticmethod
    def _feedback(
        rubric: Rubric, results: list[CriterionResult], out: JudgeOut, conversation: Conversation, redactor: Redactor
    ) -> Feedback:
        def moments(items: list[MomentOut]) -> list[str]:
            shown = []
            for m in items[:3]:
                ev = find_quote(conversation, m.turn, redactor.restore(m.quote))
                if ev is not None:
                    note = redactor.restore(m.comment).strip()
                    shown.append(f'Turn {ev.turn}: "{ev.quote}"' + (f" — {note}" if note else ""))
            return shown

        turn = out.better_line_for_turn
        learner_turns = {t.index for t in conversation.turns if t.role == "learner"}
        next_drill = redactor.restore(out.next_drill).strip()
        if not next_drill:
            weakest = min(
                (r for r in results if r.kind in ("check", "scale") and r.verdict != "n/a"), key=_credit, default=None
            )
            crit = rubric.criterion(weakest.id) if weakest else None
            next_drill = (crit.drill or f"Practise: {crit.name}") if crit else ""
        return Feedback(
            landed=moments(out.landed),
            missed=moments(out.missed),
            next_drill=next_drill,
            better_line=redactor.restore(out.better_line).strip(),
            better_line_for_turn=turn if turn in learner_turns else None,
        )
