"""The shared kernel: small types that every layer uses and that belong to no single domain package.

- :class:`~sparring.kernel.usage.Usage`: tokens and cost of the LLM calls behind a reply or a scorecard.
- :class:`~sparring.kernel.problems.Problem` and :class:`~sparring.kernel.problems.ProblemError`: a located
  problem (``FILE:LINE: field: message``) and the error that carries every problem found. Each domain raises
  its own subclass (``ContentError``, ``TranscriptError``, ``ConfigError``); adapters catch ``ProblemError``.

The kernel imports nothing else from Sparring (docs/architecture.md, "Layers").
"""

from sparring.kernel.problems import Problem, ProblemError
from sparring.kernel.usage import Usage

__all__ = ["Problem", "ProblemError", "Usage"]
