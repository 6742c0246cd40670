"""The bridge from the legacy move classifier (``sparring.persona.moves``) to act readings: used by
``sparring.persona.listen`` only while the act model runtime (``sparring.nlp.act_model``) is not installed, so the
persona keeps working on the one act vocabulary either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sparring.persona.moves import classify

#: the legacy move names -> the act each stands for (only used by ``legacy_reading``)
_LEGACY_ACTS = {
    "open-question": "question_open", "closed-question": "question_closed", "acknowledge": "acknowledge",
    "reflect": "reflect_complex", "empathise": "empathise", "value-statement": "state_impact",
    "quantified-value": "quantified_value", "trade-off": "tradeoff_offer", "concession": "concession",
    "pressure": "pressure", "advise": "advice", "ask-commitment": "commitment_ask",
    "next-step": "next_step_proposal", "off-topic": "off_topic",
}
_LEGACY_EXTRA = (
    ("identity_question", re.compile(r"\b(?:are you (?:an? )?(?:ai|bot|robot|human|real|machine|computer|chatbot)|"
                                     r"am i (?:talking|speaking) to (?:an? )?(?:ai|bot|machine|human|real))\b")),
    ("instruction_injection", re.compile(r"\b(?:ignore (?:your|all|previous|the) (?:instructions|rules|prompt)|"
                                         r"system (?:prompt|instruction|message)|you are now|as an ai)\b")),
    ("insult", re.compile(r"\b(?:idiot|stupid|moron|useless|pathetic|incompetent|clueless|lazy|drunk|"
                          r"shut up|dumb|ridiculous)\b")),
    ("small_talk", re.compile(r"^(?:hi|hello|hey|good (?:morning|afternoon)|how are you|how's (?:your|the) "
                              r"(?:day|week|weekend)|nice to (?:see|meet))\b")),
)


@dataclass(frozen=True)
class LegacyReading:
    """An act reading derived from the rule and prototype classifier of this module: the bridge the persona
    uses only when ``sparring.nlp.act_model`` is not installed (see ``sparring.persona.listen``)."""

    text: str
    acts: frozenset[str]
    numbers: tuple[float, ...]
    subject: str = "none"

    @property
    def probs(self) -> dict[str, float]:
        return {a: 1.0 for a in self.acts}


_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def legacy_reading(text: str, context: str = "") -> LegacyReading:
    moves = classify(text)
    acts = {_LEGACY_ACTS[m] for m in moves if m in _LEGACY_ACTS}
    low = text.lower().replace("\u2019", "'")
    for act, pattern in _LEGACY_EXTRA:
        if pattern.search(low):
            acts.add(act)
    nums = tuple(float(m.group().replace(",", "")) for m in _DIGITS.finditer(text) if m.group().count(".") <= 1)
    return LegacyReading(text=text, acts=frozenset(acts or {"other"}), numbers=nums)
