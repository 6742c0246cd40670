"""Content problems, reported as ``FILE:LINE: field: message``."""

from __future__ import annotations

from dataclasses import dataclass


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
    """An id that names no scenario or rubric."""

    def __init__(self, kind: str, ident: str, known: list[str]):
        self.kind = kind
        self.ident = ident
        self.known = known
        hint = f" (known: {', '.join(sorted(known))})" if known else ""
        super().__init__(f"unknown {kind} '{ident}'{hint}")
