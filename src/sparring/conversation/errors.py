"""Transcript problems, reported as ``FILE:LINE: field: message`` like content problems."""

from __future__ import annotations

from sparring.kernel.problems import Problem, ProblemError

__all__ = ["Problem", "TranscriptError"]


class TranscriptError(ProblemError):
    """Raised when a transcript file (text, JSON, WebVTT, SRT) cannot be read as a conversation: bad syntax,
    unknown fields, no turns, or over the input limits. Carries every problem found."""
