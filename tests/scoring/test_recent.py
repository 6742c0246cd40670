"""The scoring contexts the embedded scorer keeps for work after scoring (sparring.scoring.recent): returned only
for the very conversation object, only while its turns are unchanged, and only the newest few."""

from __future__ import annotations

from typing import Any

from sparring.conversation.model import Conversation
from sparring.scoring import recent


class _Ctx:
    def __init__(self, conversation: Conversation):
        self.conversation = conversation


def _conv(text: str) -> Conversation:
    c = Conversation(source="call")
    c.add("Sam", "learner", text)
    return c


def test_a_context_is_returned_for_its_own_conversation_only() -> None:
    a, twin = _conv("Hello there."), _conv("Hello there.")
    ctx: Any = _Ctx(a)
    recent.remember(ctx)
    assert recent.recent_context(a) is ctx
    assert recent.recent_context(twin) is None  # equal, but not the object that was scored


def test_a_conversation_that_changed_since_gets_no_context() -> None:
    a = _conv("Hello there.")
    recent.remember(_Ctx(a))  # type: ignore[arg-type]
    a.add("Dana", "counterpart", "Hi.")
    assert recent.recent_context(a) is None


def test_only_the_newest_contexts_are_kept() -> None:
    convs = [_conv(f"Line {i}.") for i in range(recent.KEEP + 1)]
    for c in convs:
        recent.remember(_Ctx(c))  # type: ignore[arg-type]
    assert recent.recent_context(convs[0]) is None
    assert all(recent.recent_context(c) is not None for c in convs[1:])
