"""Validity on AnnoMI (docs/scoring-validity.md): do our tags and our MI rubric agree with expert labels?

``run_annomi(data_dir)`` returns the numbers ``sparring bench annomi --json`` prints (docs/scoring-validity.md):

(a) ``utterance_macro_f1``: therapist utterances tagged question / reflection / therapist_input / other by
    ``sparring.scoring.tagmodel.TagModel``, transcript-grouped 5-fold cross-validation (``GroupKFold`` by
    transcript id, deterministic). Every prediction comes from a model that never saw that transcript.
(b) ``session_auc``: the ``motivational-interviewing`` rubric's overall score (embedded scorer) separating the
    110 high- from the 23 low-quality sessions. The tagger inside the scorer is the fold model that did *not*
    see the session (the shipped production weights are never used here). ``session_auc_length_controlled``:
    the AUC of the score after removing what transcript length explains (residual of a least-squares fit of
    the score on log(utterance count), fitted on all sessions — it uses no labels) and, as a second view,
    ``session_auc_length_stratified``: the AUC within length tertiles, pooled (high/low pairs compared only
    within the same tertile). ``length_only_auc`` is the AUC of length alone, for reference.
(c) ``seconds``: wall time of tagging and scoring all sessions (training the fold taggers is reported apart
    as ``train_seconds``).
"""

from __future__ import annotations

import csv
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from sparring.conversation.model import Conversation
from sparring.scoring.sentence_vectors import conversation_turn_vectors, utterance_vectors
from sparring.scoring.tagmodel import LABELS, TagModel, use_model

RUBRIC_ID = "motivational-interviewing"
SIMPLE_CSV = "AnnoMI-simple.csv"
REQUIRED_COLUMNS = ("transcript_id", "mi_quality", "utterance_id", "interlocutor", "utterance_text",
                    "main_therapist_behaviour")


class DatasetError(ValueError):
    """The AnnoMI directory is missing or not in the expected shape."""


class Item(NamedTuple):
    text: str
    previous: str | None
    following: str | None
    label: str
    own_previous: str | None


def fit_items(items: Sequence[Item], vectors: np.ndarray | None = None) -> TagModel:
    """A tag model trained on ``items``; with ``vectors`` (one sentence vector per item, from
    ``sentence_vectors.utterance_vectors``) it also reads what each utterance means."""
    return TagModel().fit([it.text for it in items], [it.previous for it in items], [it.label for it in items],
                          [it.following for it in items], [it.own_previous for it in items], vectors)


@dataclass
class Session:
    transcript_id: int
    quality: str  # "high" | "low"
    speakers: list[str] = field(default_factory=list)  # "therapist" | "client"
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # main_therapist_behaviour ("n/a" for the client)

    def conversation(self) -> Conversation:
        conv = Conversation(source="call", title=f"AnnoMI transcript {self.transcript_id}")
        for who, text in zip(self.speakers, self.texts, strict=True):
            if who == "therapist":
                conv.add("Therapist", "learner", text)
            else:
                conv.add("Client", "counterpart", text)
        return conv

    def therapist_items(self) -> list[Item]:
        """(text, previous client turn, next client turn, label, own previous turn) per therapist utterance."""
        out = []
        own: str | None = None
        for i, who in enumerate(self.speakers):
            if who != "therapist":
                continue
            prev = next((self.texts[j] for j in range(i - 1, -1, -1) if self.speakers[j] != "therapist"), None)
            nxt = next((self.texts[j] for j in range(i + 1, len(self.texts)) if self.speakers[j] != "therapist"),
                       None)
            out.append(Item(self.texts[i], prev, nxt, self.labels[i], own))
            own = self.texts[i]
        return out


def load_sessions(data_dir: str | Path, limit: int | None = None) -> list[Session]:
    """Read ``AnnoMI-simple.csv``. ``limit`` keeps a deterministic, class-stratified subset (for tests)."""
    path = Path(data_dir) / SIMPLE_CSV
    if not path.is_file():
        raise DatasetError(f"{path}: not found (expected the AnnoMI directory with {SIMPLE_CSV})")
    rows_by: dict[int, list[dict[str, str]]] = defaultdict(list)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DatasetError(f"{path}: missing columns {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            try:
                rows_by[int(row["transcript_id"])].append(row)
            except ValueError as exc:
                raise DatasetError(f"{path}:{line}: transcript_id is not an integer") from exc
    sessions = []
    for tid in sorted(rows_by):
        rows = sorted(rows_by[tid], key=lambda r: int(r["utterance_id"]))
        s = Session(tid, rows[0]["mi_quality"])
        for r in rows:
            if r["interlocutor"] not in ("therapist", "client"):
                raise DatasetError(f"{path}: transcript {tid}: unknown interlocutor {r['interlocutor']!r}")
            s.speakers.append(r["interlocutor"])
            s.texts.append(r["utterance_text"].strip() or "…")
            s.labels.append(r["main_therapist_behaviour"])
        sessions.append(s)
    if limit is not None and limit < len(sessions):
        sessions = _stratified_subset(sessions, limit)
    return sessions


def _stratified_subset(sessions: list[Session], n: int) -> list[Session]:
    low = [s for s in sessions if s.quality == "low"]
    high = [s for s in sessions if s.quality != "low"]
    n_low = max(2, round(n * len(low) / len(sessions)))
    n_low = min(n_low, len(low), n - 2)
    pick = _spread(low, n_low) + _spread(high, n - n_low)
    return sorted(pick, key=lambda s: s.transcript_id)


def _spread(items: list[Session], n: int) -> list[Session]:
    if n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


# ------------------------------------------------------------------------------------------------ metrics
def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Iterable[str] = LABELS) -> float:
    scores = []
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == lab and p != lab)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def auc(scores: Sequence[float], positive: Sequence[bool]) -> float | None:
    """Probability that a random positive scores above a random negative (ties count half)."""
    pos = [s for s, p in zip(scores, positive, strict=True) if p]
    neg = [s for s, p in zip(scores, positive, strict=True) if not p]
    if not pos or not neg:
        return None
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return float(wins / (len(pos) * len(neg)))


def stratified_auc(scores: Sequence[float], positive: Sequence[bool], strata: Sequence[int]) -> float | None:
    """AUC counting only positive/negative pairs in the same stratum."""
    wins = pairs = 0.0
    for k in set(strata):
        idx = [i for i, s in enumerate(strata) if s == k]
        pos = [scores[i] for i in idx if positive[i]]
        neg = [scores[i] for i in idx if not positive[i]]
        wins += sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
        pairs += len(pos) * len(neg)
    return float(wins / pairs) if pairs else None


def residualise(scores: Sequence[float], covariate: Sequence[float]) -> list[float]:
    """Scores minus their least-squares fit on the covariate (labels are not used)."""
    x = np.asarray(covariate, dtype=float)
    y = np.asarray(scores, dtype=float)
    a = np.vstack([x, np.ones_like(x)]).T
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    return [round(float(v), 9) for v in y - a @ coef]


def _folds(sessions: Sequence[Session], k: int, seed: int | None = None) -> list[list[int]]:
    """Transcript-grouped folds as in the AnnoMI README's reference numbers: sklearn ``GroupKFold`` over the
    therapist utterances with the transcript as the group (folds balanced by utterance count, deterministic).
    ``seed`` shuffles the groups first (repeated cross-validation: another split per seed).
    Returns the session indexes of each fold's test part."""
    from sklearn.model_selection import GroupKFold

    groups = np.array([i for i, s in enumerate(sessions) for _ in range(max(1, s.speakers.count("therapist")))])
    k = min(k, len(sessions))
    folds = []
    splitter = GroupKFold(n_splits=k) if seed is None else GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for _, test in splitter.split(groups, groups=groups):
        folds.append(sorted({int(g) for g in groups[test]}))
    return folds


# ------------------------------------------------------------------------------------------------ scoring
SessionScorer = Callable[[Conversation], float]


def rubric_scorer() -> SessionScorer:
    """The session score: the ``motivational-interviewing`` rubric's overall from the configured embedded scorer."""
    from sparring.content.library import get_library
    from sparring.scoring.embedded import EmbeddedScorer

    rubric = get_library().rubric(RUBRIC_ID)
    scorer = EmbeddedScorer()

    def score(conv: Conversation) -> float:
        return float(scorer.score(conv, rubric).overall)

    return score


# ------------------------------------------------------------------------------------------------ workers
# Training the fold taggers and scoring the sessions are spread over worker processes (one per core, each with
# a single-threaded embedding model): processes share 2 cores better than one process whose ONNX runtime spins
# two threads for small batches while Python tags on a third. Workers are forked when that is safe (no
# embedding model loaded in this process yet) and spawned otherwise; they inherit or receive the sessions once.
_W: dict[str, Any] = {}


def _worker_init(sessions: list[Session], models: list[TagModel] | None, scorer: SessionScorer | None,
                 vectors: dict[str, np.ndarray] | None = None, worker: bool = True) -> None:
    import os

    if worker:  # one embedding thread per worker process; a one-process run keeps the default
        os.environ["SPARRING_EMBED_THREADS"] = "1"
    _W.clear()
    _W.update(sessions=sessions, models=models, scorer=scorer, vectors=vectors)


def _embed_texts(texts: list[str]) -> tuple[list[str], np.ndarray, float]:
    """Sentence vectors of therapist utterances, for training (each fold reuses them)."""
    t0 = time.process_time()
    vecs = utterance_vectors(texts)
    return texts, vecs, time.process_time() - t0


def _fit_fold(train: list[int]) -> tuple[TagModel, float]:
    t0 = time.process_time()
    items = [it for i in train for it in _W["sessions"][i].therapist_items()]
    model = fit_items(items, np.vstack([_W["vectors"][it.text] for it in items]))
    return model, time.process_time() - t0


def _score_session(task: tuple[int, int]) -> tuple[int, float, list[str], list[str]]:
    """(session index, score, gold labels, predicted labels) for one held-out session under its fold's model."""
    fold, i = task
    if _W.get("scorer") is None:
        _W["scorer"] = rubric_scorer()
    model: TagModel = _W["models"][fold]
    session: Session = _W["sessions"][i]
    conv = session.conversation()
    with use_model(model):
        items = session.therapist_items()
        # tagged as the product tags a conversation: sentence vectors embedded as the scorer embeds them (the
        # scorer then finds them cached)
        turns = [t.index for t in conv.turns if t.role == "learner"]
        by_turn = conversation_turn_vectors(conv, turns)
        vectors = np.vstack([by_turn[k] for k in turns]) if turns else None
        pred = model.predict([it.text for it in items], [it.previous for it in items], [it.following for it in items],
                             [it.own_previous for it in items], vectors) if items else []
        score = _W["scorer"](conv)
    return i, score, [it.label for it in items], pred


def default_workers() -> int:
    """Worker processes for the benchmark: ``SPARRING_BENCH_WORKERS``, else one per core (at most 2)."""
    import os

    raw = os.environ.get("SPARRING_BENCH_WORKERS", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, min(2, os.cpu_count() or 1))


def _preload() -> None:
    """Import the scoring code (and the libraries under it) in this process before the workers fork, as a
    server preloads its app: the workers start with it in memory. Each worker still loads the embedding model
    itself, inside the timed window (a forked child must not inherit a live ONNX session)."""
    import onnxruntime  # noqa: F401
    import sklearn.linear_model  # noqa: F401

    import sparring.scoring.embedded
    import sparring.scoring.tagging  # noqa: F401
    from sparring.content.library import get_library

    get_library().rubric(RUBRIC_ID)


def _pool_context() -> Any:
    import multiprocessing as mp

    from sparring.nlp.embeddings import get_embedder

    # a forked child must not inherit a live ONNX session (its thread pool does not survive fork)
    if "fork" in mp.get_all_start_methods() and get_embedder.cache_info().currsize == 0:
        return mp.get_context("fork")
    return mp.get_context("spawn")


_Init = tuple[list[Session], list[TagModel] | None, SessionScorer | None, dict[str, np.ndarray] | None]


def _map(workers: int, fn: Callable[[Any], Any], tasks: Sequence[Any], init: _Init) -> list[Any]:
    """``fn`` over ``tasks`` in order: in this process (one worker) or over a pool of worker processes."""
    if workers <= 1 or len(tasks) <= 1:
        _worker_init(*init, worker=False)
        return [fn(t) for t in tasks]
    with _pool_context().Pool(min(workers, len(tasks)), initializer=_worker_init, initargs=init) as pool:
        return list(pool.imap(fn, tasks, chunksize=1))


def run_annomi(
    data_dir: str | Path,
    *,
    folds: int = 5,
    limit: int | None = None,
    session_scorer: SessionScorer | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """``seed``: shuffle transcripts into folds with it (None: the README's split, as reported).
    ``workers``: processes to use (default ``default_workers()``; a custom ``session_scorer`` runs in this
    process unless ``workers`` is given, since a closure may not survive a trip to another process)."""
    import os

    sessions = load_sessions(data_dir, limit=limit)
    if len(sessions) < 4 or not any(s.quality == "low" for s in sessions):
        raise DatasetError("need at least 4 sessions including low-quality ones")
    if workers is None:
        workers = 1 if session_scorer is not None else default_workers()
    _preload()
    fold_idx = _folds(sessions, folds, seed)
    t0 = time.perf_counter()
    # the tagger reads each utterance's sentence vectors: embed every therapist utterance once, in the workers
    texts = sorted({it.text for s in sessions for it in s.therapist_items()})
    chunks = [texts[k::4 * workers] for k in range(4 * workers)]
    embedded = _map(workers, _embed_texts, [c for c in chunks if c], (sessions, None, None, None))
    vectors = {t: v for chunk, vecs, _ in embedded for t, v in zip(chunk, vecs, strict=True)}
    trains = [[i for i in range(len(sessions)) if i not in set(test)] for test in fold_idx]
    fitted = _map(workers, _fit_fold, trains, (sessions, None, None, vectors))
    models = [m for m, _ in fitted]
    train_seconds = time.perf_counter() - t0
    train_cpu = sum(c for _, _, c in embedded) + sum(c for _, c in fitted)
    if progress:
        progress(f"trained {len(models)} fold taggers in {train_seconds:.1f} s")
    # longest sessions first, so the workers finish together
    tasks = sorted(((f, i) for f, test in enumerate(fold_idx) for i in test),
                   key=lambda t: (-len(sessions[t[1]].texts), t[1]))
    t1 = time.perf_counter()
    cpu0 = os.times()
    scored = _map(workers, _score_session, tasks, (sessions, models, session_scorer, None))
    cpu1 = os.times()
    score_seconds = time.perf_counter() - t1
    # CPU time of this process and of its finished worker processes (user + system)
    score_cpu = (cpu1.user - cpu0.user + cpu1.system - cpu0.system
                 + cpu1.children_user - cpu0.children_user + cpu1.children_system - cpu0.children_system)
    if progress:
        progress(f"scored {len(scored)} sessions in {score_seconds:.1f} s")
    gold: list[str] = []
    pred: list[str] = []
    session_scores: dict[int, float] = {}
    for i, score, g, p in sorted(scored, key=lambda r: r[0]):
        session_scores[i] = score
        gold.extend(g)
        pred.extend(p)
    order = sorted(session_scores)
    scores = [session_scores[i] for i in order]
    high = [sessions[i].quality == "high" for i in order]
    lengths = [math.log(len(sessions[i].texts)) for i in order]
    tertiles = np.quantile(lengths, [1 / 3, 2 / 3])
    strata = [int(np.searchsorted(tertiles, v, side="right")) for v in lengths]
    result: dict[str, Any] = {
        "utterance_macro_f1": round(macro_f1(gold, pred), 4),
        "utterance_accuracy": round(float(np.mean([g == p for g, p in zip(gold, pred, strict=True)])), 4),
        "utterance_per_class_f1": {lab: round(macro_f1(gold, pred, [lab]), 4) for lab in LABELS},
        "session_auc": _r(auc(scores, high)),
        "session_auc_length_controlled": _r(auc(residualise(scores, lengths), high)),
        "session_auc_length_stratified": _r(stratified_auc(scores, high, strata)),
        "length_only_auc": _r(auc(lengths, high)),
        "seconds": round(score_seconds, 2),
        "cpu_seconds": round(score_cpu, 2),
        "train_seconds": round(train_seconds, 2),
        "train_cpu_seconds": round(train_cpu, 2),
        "workers": workers,
        "sessions": len(sessions),
        "sessions_high": sum(high),
        "sessions_low": len(high) - sum(high),
        "therapist_utterances": len(gold),
        "folds": len(fold_idx),
        "split_seed": seed,
        "rubric": RUBRIC_ID,
        "length_control": "residual of score on log(utterances); stratified = pairs within length tertiles",
    }
    return result


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 4)
