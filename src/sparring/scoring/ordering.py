"""Order in a criterion's ``met_when``: "an open question … before any price concession".

When ``met_when`` says the behaviour must come *before any* concession, discount, proposal, pitch or advice, the
scorer only counts it in learner turns before the first learner turn that performs that act (``act_reading``). Other
wordings are shown to learners and the LLM judge but not enforced here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sparring.content.rubric import Criterion

if TYPE_CHECKING:
    from sparring.scoring.embedded import ScoringContext

#: "… before any price concession" in ``met_when``: the behaviour only counts before the first such learner turn
_BEFORE = re.compile(
    r"\bbefore (?:any |giving |offering |making )?(?:a |an )?"
    r"(price concession|concession|discount|proposing|proposal|pitch(?:ing)?|advice|advising)\b",
    re.I,
)
_BEFORE_ACTS = {
    "price concession": frozenset({"concession"}), "concession": frozenset({"concession"}),
    "discount": frozenset({"concession"}), "proposing": frozenset({"tradeoff_offer", "next_step_proposal"}),
    "proposal": frozenset({"tradeoff_offer", "next_step_proposal"}), "pitch": frozenset({"feature_pitch"}),
    "pitching": frozenset({"feature_pitch"}), "advice": frozenset({"advice"}), "advising": frozenset({"advice"}),
}  # fmt: skip


def order_limit(c: Criterion, ctx: ScoringContext) -> tuple[int, str] | None:
    """The first learner turn the behaviour must come before, when ``met_when`` says "before any <X>"."""
    m = _BEFORE.search(c.met_when or "")
    if not m:
        return None
    word = m.group(1).lower()
    acts = _BEFORE_ACTS[word]
    for t in ctx.conversation.turns:
        if t.role == "learner" and ctx.turn_acts[t.index] & acts:
            return t.index, word
    return None
