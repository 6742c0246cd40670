"""Content problems, reported as ``FILE:LINE: field: message``."""

from __future__ import annotations

from dataclasses import dataclass

from sparring.inputs import shown

#: most known ids an UnknownContentError message lists
MAX_KNOWN_SHOWN = 30


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class ContentError(Exception):
    """Raised when content is invalid. Carries every problem found, never only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


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
