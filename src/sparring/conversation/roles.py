"""Who is the learner? Role assignment for imported transcripts.

Order of precedence (docs/scoring.md, "Transcript files"):

1. Explicit roles in the file (a ``role`` per JSON turn, or a ``# roles:`` header line) win.
2. ``rep=NAME`` (``--rep``) names the learner; everyone else is the counterpart.
3. ``persona_name`` (a practice scenario's persona): the persona is the counterpart and the first speaker who is
   not the persona is the learner; any further speaker is ``other``.
4. Otherwise a heuristic guesses, and says so (``RoleAssignment.guessed`` and ``note``):
   each speaker gets ``question share of their turns + 0.25 if they opened the conversation
   + 0.25 if they introduce themselves with a company ("this is Ana from Acme", "I'm calling from ...")``;
   the highest score is the rep, ties go to the speaker who spoke first. Reps lead calls: they open, ask
   and introduce their company, which is what the score rewards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sparring.conversation.model import Role

ROLE_ALIASES: dict[str, Role] = {
    "learner": "learner",
    "rep": "learner",
    "counterpart": "counterpart",
    "customer": "counterpart",
    "persona": "counterpart",
    "other": "other",
}

_INTRO = re.compile(
    r"\b(this is \w+ (from|at|with)|my name is \w+.{0,30}\b(from|at|with)|i'?m calling (from|about)|"
    r"calling from|thanks for (taking|making) the time)\b",
    re.IGNORECASE,
)


@dataclass
class RoleAssignment:
    roles: dict[str, Role]
    #: True when the learner was guessed by the heuristic rather than given
    guessed: bool = False
    #: one sentence a user can read: how the learner was chosen
    note: str = ""
    scores: dict[str, float] = field(default_factory=dict)


def match_speaker(name: str, speakers: list[str]) -> str | None:
    """The speaker ``name`` refers to: exact, then case-insensitive, then a unique first-name/prefix match."""
    if name in speakers:
        return name
    low = name.strip().lower()
    exact = [s for s in speakers if s.lower() == low]
    if exact:
        return exact[0]
    prefix = [s for s in speakers if s.lower().startswith(low + " ") or s.lower().split(" ")[0] == low]
    return prefix[0] if len(prefix) == 1 else None


def guess_rep(turns: list[tuple[str, str]]) -> tuple[str, dict[str, float]]:
    """The most likely rep among ``(speaker, text)`` turns, and each speaker's score (see module docstring)."""
    order: list[str] = []
    asked: dict[str, int] = {}
    count: dict[str, int] = {}
    intro: dict[str, bool] = {}
    for speaker, text in turns:
        if speaker not in order:
            order.append(speaker)
        count[speaker] = count.get(speaker, 0) + 1
        asked[speaker] = asked.get(speaker, 0) + ("?" in text)
        if _INTRO.search(text):
            intro[speaker] = True
    scores = {
        s: round(asked[s] / count[s] + (0.25 if i == 0 else 0.0) + (0.25 if intro.get(s) else 0.0), 4)
        for i, s in enumerate(order)
    }
    best = max(order, key=lambda s: (scores[s], -order.index(s)))
    return best, scores


def assign_roles(
    turns: list[tuple[str, str]],
    *,
    explicit: dict[str, Role] | None = None,
    rep: str | None = None,
    persona_name: str | None = None,
) -> RoleAssignment:
    """Roles for every speaker in ``turns`` (``(speaker, text)`` pairs, in order). Raises ``LookupError`` with a
    readable message when ``rep`` or ``persona_name`` names nobody in the transcript."""
    speakers: list[str] = []
    for s, _ in turns:
        if s not in speakers:
            speakers.append(s)
    explicit = dict(explicit or {})
    if rep is not None:
        found = match_speaker(rep, speakers)
        if found is None:
            raise LookupError(f"--rep '{rep}' names no speaker in the transcript (speakers: {', '.join(speakers)})")
        roles: dict[str, Role] = {s: ("learner" if s == found else "counterpart") for s in speakers}
        roles.update({s: r for s, r in explicit.items() if s != found and s in roles})
        return RoleAssignment(roles, note=f"{found} is the rep (given with --rep)")
    if explicit and all(s in explicit for s in speakers):
        return RoleAssignment({s: explicit[s] for s in speakers}, note="roles given in the transcript")
    if explicit and any(r == "learner" for r in explicit.values()):
        # partial hints that name the learner: everybody unnamed is the counterpart
        roles = {s: explicit.get(s, "counterpart") for s in speakers}
        return RoleAssignment(roles, note="roles given in the transcript; unnamed speakers are counterparts")
    if persona_name is not None:
        persona = match_speaker(persona_name, speakers)
        learner = next((s for s in speakers if s != persona and explicit.get(s) != "counterpart"), None)
        if learner is None:
            raise LookupError(f"no speaker other than the persona '{persona_name}' in the transcript")
        roles = {}
        for s in speakers:
            roles[s] = explicit.get(s) or ("learner" if s == learner else "counterpart" if s == persona else "other")
        return RoleAssignment(roles, note=f"{learner} is the learner (first speaker who is not the persona)")
    candidates = [(s, t) for s, t in turns if explicit.get(s) is None]
    if not candidates:
        return RoleAssignment({s: explicit[s] for s in speakers}, note="roles given in the transcript")
    best, scores = guess_rep(candidates)
    roles = {s: explicit.get(s) or ("learner" if s == best else "counterpart") for s in speakers}
    if len(speakers) == 1:
        note = f"only one speaker; {best} is taken as the learner"
    else:
        note = (
            f"guessed: {best} is the rep (opens the conversation, asks questions or introduces a company; "
            f"scores {', '.join(f'{s}={v:g}' for s, v in scores.items())}); pass --rep NAME to override"
        )
    return RoleAssignment(roles, guessed=True, note=note, scores=scores)
