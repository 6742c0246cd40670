"""Located problems, reported as ``FILE:LINE: field: message``, and the error that carries them.

Content, transcripts and the config file each raise their own subclass of :class:`ProblemError`
(``sparring.content.errors.ContentError``, ``sparring.conversation.errors.TranscriptError``,
``sparring.configfile.ConfigError``), so a caller can catch exactly the kind it handles; the CLI prints
the problems of any of them, one per line, and exits 1.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem at one place: ``line`` is 1-based, 0 when the problem is about the file as a whole;
    ``column`` is 1-based when the parser knows it (a YAML syntax error), 0 otherwise (the whole line)."""

    file: str
    line: int
    field: str
    message: str
    column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class ProblemError(Exception):
    """An input that cannot be used. Carries every problem found, never only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
