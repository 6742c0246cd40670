"""Structured output as the one tool the model must call: the tool definition, partial and final parsing of its
arguments, the retry prompt after invalid output, and the sentence watch that makes streams parse at once.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_ai.messages import (
    ModelResponse,
    ModelResponseStreamEvent,
    PartDeltaEvent,
    ToolCallPart,
    ToolCallPartDelta,
)
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.tools import ToolDefinition
from pydantic_core import from_json

T = TypeVar("T", bound=BaseModel)
#: a sentence end in raw streamed JSON: . ! ? or … (then closing quotes or brackets, maybe JSON-escaped) and a space
#: or an escaped line break
_SENTENCE_BOUNDARY = re.compile(r'[.!?…](?:\\"|["\')\]])*(?:\s|\\n)')


@lru_cache(maxsize=64)
def output_tool(output_type: type[BaseModel]) -> ToolDefinition:
    """The output tool of a type, built once: generating the JSON schema costs ~0.5-1 ms per call. Safe to share:
    pydantic-ai's provider adapters transform a deep copy of the schema, never the schema itself."""
    return ToolDefinition(
        name="answer",
        parameters_json_schema=output_type.model_json_schema(),
        description=(output_type.__doc__ or "The answer.").strip().splitlines()[0],
        kind="output",
    )


class SentenceWatch:
    """True for a streamed chunk that completes a sentence (the boundary may straddle two chunks), so the
    partial output is parsed then rather than at the next debounce tick: the persona shows whole sentences."""

    def __init__(self) -> None:
        self._tail = ""

    def __call__(self, event: ModelResponseStreamEvent) -> bool:
        if not isinstance(event, PartDeltaEvent):
            return False
        delta = event.delta
        text = delta.args_delta if isinstance(delta, ToolCallPartDelta) else getattr(delta, "content_delta", None)
        if not isinstance(text, str) or not text:
            return False
        window = self._tail + text
        # what may still start a boundary: the end of the last chunk after its last whitespace
        self._tail = re.split(r"\s", window)[-1][-4:]
        return _SENTENCE_BOUNDARY.search(window) is not None


def tool_params(output_type: type[BaseModel]) -> ModelRequestParameters:
    """The structured output as the one tool the model must call."""
    return ModelRequestParameters(output_tools=[output_tool(output_type)], output_mode="tool", allow_text_output=False)


def retry_prompt(prompt: str, exc: Exception) -> str:
    problem = " ".join(str(exc).split())[:400]
    return f"{prompt}\n\nYour previous answer was not valid: {problem}. Answer again with valid output."


def tool_args(response: ModelResponse) -> str | dict[str, Any] | None:
    for part in response.parts:
        if isinstance(part, ToolCallPart):
            args = part.args
            if isinstance(args, str):
                return args
            return dict(args) if isinstance(args, dict) else None
    return None


def partial_output(response: ModelResponse, output_type: type[T]) -> T | None:
    """The output so far, from incomplete JSON arguments (None while it does not validate yet)."""
    args = tool_args(response)
    if not args:
        return None
    try:
        data = from_json(args, allow_partial="trailing-strings") if isinstance(args, str) else args
        return output_type.model_validate(data)
    except (ValueError, ValidationError):
        return None


def final_output(response: ModelResponse, output_type: type[T]) -> T:
    args = tool_args(response)
    if args is None:
        raise ValueError("the model answered without the structured output")
    if isinstance(args, str):
        return output_type.model_validate_json(args)
    return output_type.model_validate(args)
