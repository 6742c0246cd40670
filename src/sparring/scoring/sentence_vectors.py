"""What an utterance means, as one vector: the tag model's view of meaning (``tagmodel``, format 3).

An utterance's vector is the normalised mean of its sentences' MiniLM vectors, the sentences cut exactly as the
scorer cuts learner turns (``segments.segment_turn``, whole sentences only, long run-ons in windows). In a
conversation the sentences are embedded as the scorer embeds them (``segments.embedding_texts``: whole, or
their opening words once the speaker has said more than ``EMBED_WORD_BUDGET`` words), so the scorer can hand
the tagger the vectors it already has (``turn_vectors``) and standalone tagging (``conversation_turn_vectors``)
gives the same result. Bare texts (``utterance_vectors``) are embedded whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from sparring.conversation.model import Conversation, Turn
from sparring.nlp.embeddings import DIM
from sparring.scoring.segments import CLAUSE_WORD_BUDGET, Segment, embedding_texts, segment_turn

EmbedFn = Callable[[Sequence[str]], np.ndarray]


def _default_embed() -> EmbedFn:
    from sparring.nlp.embeddings import embed

    return embed


def mean_unit(rows: np.ndarray) -> np.ndarray:
    """The normalised mean of ``rows`` (a zero vector stays zero)."""
    v = np.asarray(rows, dtype=np.float32).mean(axis=0)
    norm = float(np.linalg.norm(v))
    unit: np.ndarray = (v / norm).astype(np.float32) if norm > 0 else v.astype(np.float32)
    return unit


def conversation_segments(conversation: Conversation, roles: Iterable[str] = ("learner",)) -> list[Segment]:
    """The segments of the turns of ``roles`` as the scorer matches them: every sentence, and the clauses of long
    sentences while those turns hold at most ``CLAUSE_WORD_BUDGET`` words of whole sentences."""
    wanted = set(roles)
    segments = [s for t in conversation.turns if t.role in wanted for s in segment_turn(t)]
    if sum(len(s.text.split()) for s in segments if not s.clause) > CLAUSE_WORD_BUDGET:
        segments = [s for s in segments if not s.clause]  # long conversation: whole sentences only
    return segments


def turn_vectors(segments: Sequence[Segment], vectors: np.ndarray) -> dict[int, np.ndarray]:
    """Per turn index: the mean vector of its whole-sentence segments (clauses are left out)."""
    rows: dict[int, list[int]] = {}
    for i, seg in enumerate(segments):
        if not seg.clause:
            rows.setdefault(seg.turn, []).append(i)
    return {turn: mean_unit(vectors[idx]) for turn, idx in rows.items()}


def with_empty_turns(
    conversation: Conversation, by_turn: dict[int, np.ndarray], role: str, embed_fn: EmbedFn | None = None
) -> dict[int, np.ndarray]:
    """``by_turn`` (from ``turn_vectors``) plus a vector for each turn of ``role`` that has no sentence ("…")."""
    empty = [t.index for t in conversation.turns if t.role == role and t.index not in by_turn]
    if empty:
        texts = [conversation.turns[i].text for i in empty]
        by_turn.update(zip(empty, utterance_vectors(texts, embed_fn), strict=True))
    return by_turn


def conversation_turn_vectors(
    conversation: Conversation, indexes: Sequence[int], embed_fn: EmbedFn | None = None
) -> dict[int, np.ndarray]:
    """Vectors for the turns at ``indexes``, each role's sentences embedded as the scorer embeds the learner's."""
    embed_fn = embed_fn or _default_embed()
    turns = conversation.turns
    out: dict[int, np.ndarray] = {}
    for role in sorted({turns[i].role for i in indexes}):
        segments = conversation_segments(conversation, (role,))
        texts = embedding_texts(segments)
        keep = [i for i, s in enumerate(segments) if not s.clause]
        if keep:
            vecs = embed_fn([texts[i] for i in keep])
            out.update(turn_vectors([segments[i] for i in keep], vecs))
    missing = [i for i in indexes if i not in out]  # turns with no words to cut ("…")
    if missing:
        out.update(zip(missing, utterance_vectors([turns[i].text for i in missing], embed_fn), strict=True))
    return {i: out[i] for i in indexes}


def utterance_vectors(texts: Sequence[str], embed_fn: EmbedFn | None = None) -> np.ndarray:
    """One vector per text: the mean of its sentences' vectors, each sentence embedded whole."""
    embed_fn = embed_fn or _default_embed()
    parts: list[list[str]] = []
    for text in texts:
        turn = Turn(index=0, speaker="-", role="learner", text=text)
        parts.append([s.text for s in segment_turn(turn) if not s.clause] or [text])
    flat = [p for part in parts for p in part]
    vecs = embed_fn(flat) if flat else np.zeros((0, DIM), dtype=np.float32)
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    k = 0
    for i, part in enumerate(parts):
        out[i] = mean_unit(vecs[k : k + len(part)])
        k += len(part)
    return out
