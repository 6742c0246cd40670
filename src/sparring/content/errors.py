"""Content problems, reported as ``FILE:LINE: field: message``."""

from __future__ import annotations

from sparring.inputs import shown
from sparring.kernel.problems import Problem, ProblemError

__all__ = ["MAX_KNOWN_SHOWN", "ContentError", "Problem", "UnknownContentError"]

#: most known ids an UnknownContentError message lists
MAX_KNOWN_SHOWN = 30


class ContentError(ProblemError):
    """Raised when content (a scenario, a rubric, a rubric's test) is invalid. Carries every problem found."""


class UnknownContentError(LookupError):
    """An id that names no scenario or rubric. The message quotes the id shortened (``shown``), never in full;
    ``brief`` is the message without the list of known ids (what the web answers)."""

    def __init__(self, kind: str, ident: str, known: list[str]):
        self.kind = kind
        self.ident = ident
        self.known = known
        self.brief = f"unknown {kind} {shown(ident)}"
        listed = sorted(known)[:MAX_KNOWN_SHOWN]
        more = f", and {len(known) - len(listed)} more" if len(known) > len(listed) else ""
        hint = f" (known: {', '.join(listed)}{more})" if known else ""
        super().__init__(f"{self.brief}{hint}")
