"""The scoring contexts of the last conversations the embedded scorer read in this process, so that work after
scoring — the call-moment finder (``sparring.review.reading``) — can reuse the act readings of the rep's sentences
instead of reading them again, without every caller passing the context along.

Held by object identity: a context is only ever returned for the very ``Conversation`` object it was built from,
and only while that conversation still has the turns it was scored with. At most ``KEEP`` contexts are held (the
newest), so the memory cost is a couple of conversations' sentence vectors.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from sparring.conversation.model import Conversation

if TYPE_CHECKING:
    from sparring.scoring.embedded import ScoringContext

KEEP = 2
_RECENT: OrderedDict[int, tuple[ScoringContext, int]] = OrderedDict()
_LOCK = threading.Lock()


def remember(ctx: ScoringContext) -> None:
    """Keep ``ctx`` as the context of its conversation (dropping the oldest beyond ``KEEP``)."""
    key = id(ctx.conversation)
    with _LOCK:
        _RECENT[key] = (ctx, len(ctx.conversation.turns))
        _RECENT.move_to_end(key)
        while len(_RECENT) > KEEP:
            _RECENT.popitem(last=False)


def recent_context(conversation: Conversation) -> ScoringContext | None:
    """The context the embedded scorer built for this very conversation object, if it is still held and the
    conversation has not gained or lost turns since."""
    with _LOCK:
        held = _RECENT.get(id(conversation))
    if held is None:
        return None
    ctx, turns = held
    return ctx if ctx.conversation is conversation and len(conversation.turns) == turns else None
