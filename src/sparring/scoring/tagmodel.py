"""The trained layer of the tagger: a small linear model for the four behaviour classes expert MI coders use
(AnnoMI ``main_therapist_behaviour``): question, reflection, therapist_input (information / advice), other.

Features (all deterministic, no vocabulary stored: words are hashed, so the weights file holds numbers only, no
dataset text):

- hashed word 1-2-gram TF-IDF of the utterance (sublinear tf, idf learned on the training folds);
- hashed character 2-4-gram TF-IDF (robust to transcription spelling);
- hashed word TF-IDF of the turns just before and just after by the other speaker (a reflection follows client
  talk and is usually confirmed; an answer follows a question), and of the speaker's own previous turn
  ("Can I share something that worked for others?" comes before information);
- dense cues: rule tags from ``sparring.scoring.lexicon``, question marks, length, word overlap with the
  previous turn (reflections reuse the client's words), whether the previous turn was a question;
- the utterance's meaning: the mean of its sentences' MiniLM vectors (``sentence_vectors.utterance_vectors``; the
  scorer passes the vectors it already computed, so tagging costs no extra model run). Saying back what the
  person meant in other words is what a reflection is, and n-grams alone miss it.

Class-balanced multinomial logistic regression. ``TagModel.fit`` trains, ``save``/``load`` use a compressed
``.npz`` (float16 weights). ``production_model()`` loads ``scoring/data/tagger-annomi.npz`` when it is shipped.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from sparring.scoring import lexicon as lx

LABELS: tuple[str, ...] = ("question", "reflection", "therapist_input", "other")
MODEL_PATH = Path(__file__).parent / "data" / "tagger-annomi.npz"
WORD_FEATURES = 2**16
CHAR_FEATURES = 2**15
PREV_FEATURES = 2**13
#: format 3 adds the sentence-vector block (``emb_weight``); format 2 files (no vectors) still load
FORMAT_VERSION = 3
#: how much the sentence-vector block counts (unit vectors, like the TF-IDF rows); chosen before measuring, not tuned
EMBEDDING_WEIGHT = 1.0
PREDICTION_CACHE = 20_000
#: texts featurised together at most: the sparse feature matrix of a 20,000-turn call is built in parts
PREDICT_BATCH = 2_048
NEEDS_VECTORS = "this tag model reads sentence vectors: pass one per text (sentence_vectors.utterance_vectors)"
#: how much each feature block counts: word, char, turns before (other speaker's + own), next turn, dense cues
BLOCK_WEIGHTS: tuple[float, ...] = (1.0, 0.7, 0.5, 0.5, 0.3)

_WORD = re.compile(r"[a-z0-9']+")
_STOP_WORDS = (
    "a an the and or but so to of in on at for with is are was were be been it its i you he she we they me my "
    "your that this there what how why do does did not no yes just really very um uh like well okay ok yeah mm hmm"
)
_STOP = frozenset(_STOP_WORDS.split())
_CONFIRM = re.compile(r"^\W*(?:yeah|yes|yep|right|exactly|definitely|true|mm-?hmm|uh-huh|correct)\b", re.IGNORECASE)
_DENSE_PATTERNS = (
    lx.ACKNOWLEDGEMENT, lx.EMPATHY, lx.INFORMATION, lx.ADVICE, lx.PROPOSAL, lx.HEDGE, lx.PRESSURE,
    lx.COMMITMENT_ASK, lx.NEXT_STEP, lx.COMPLEX_MARKERS,
)


def _vectorizers() -> tuple[object, object, object]:
    from sklearn.feature_extraction.text import HashingVectorizer

    word = HashingVectorizer(n_features=WORD_FEATURES, ngram_range=(1, 2), alternate_sign=False, norm=None,
                             token_pattern=r"(?u)\b\w[\w']*\b|\?")
    char = HashingVectorizer(n_features=CHAR_FEATURES, analyzer="char_wb", ngram_range=(2, 4),
                             alternate_sign=False, norm=None)
    prev = HashingVectorizer(n_features=PREV_FEATURES, ngram_range=(1, 1), alternate_sign=False, norm=None)
    return word, char, prev


def _own_tokens(text: str | None) -> str:
    return " ".join("t_" + w for w in _WORD.findall(text.lower())) if text else ""


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def dense_features(
    texts: Sequence[str], previous: Sequence[str | None], following: Sequence[str | None]
) -> np.ndarray:
    from sparring.scoring.tagging import question_kind, reflection_kind, sentences

    rows = []
    for text, prev, nxt in zip(texts, previous, following, strict=True):
        sents = sentences(text) or [text]
        q = [question_kind(s) for s in sents]
        r = [reflection_kind(s) for s in sents]
        words = len(text.split())
        cw, pw = _content_words(text), _content_words(prev or "")
        overlap = len(cw & pw) / len(cw) if cw else 0.0
        last = sents[-1].strip()
        row = [
            float(text.strip().endswith("?")),
            float("?" in text),
            float(q[-1] == "open_question"),
            float(q[-1] == "closed_question"),
            float(any(x == "open_question" for x in q)),
            float(any(x == "closed_question" for x in q)),
            float(any(r)),
            float(r[0] is not None),
            float(last.endswith(".")),
            float(np.log1p(words)),
            float(len(sents)),
            float(words <= 3),
            overlap,
            float(prev is None),
            float(bool(prev) and "?" in (prev or "")),
            float(np.log1p(len((prev or "").split()))),
            float(nxt is None),
            float(np.log1p(len((nxt or "").split()))),
            float(bool(nxt) and bool(_CONFIRM.match(nxt or ""))),
        ]
        row.extend(float(bool(p.search(text))) for p in _DENSE_PATTERNS)
        rows.append(row)
    return np.asarray(rows, dtype=np.float64)


#: words of one text (and of each neighbouring turn) the model reads at most: the first and the last half of a
#: longer one. A turn this long is a monologue, which the rules and its vectors already describe; hashing all of
#: a 2-million-word turn into character n-grams took gigabytes. Texts up to this length are read whole.
MODEL_MAX_WORDS = 1_000


def _bounded(text: str | None) -> str | None:
    """``text``, or its first and last ``MODEL_MAX_WORDS // 2`` words when it has more than ``MODEL_MAX_WORDS``
    (linear, and no list of all its words)."""
    if text is None or len(text) < MODEL_MAX_WORDS * 2:  # n words take at least 2n - 1 characters
        return text
    half = MODEL_MAX_WORDS // 2
    head = text.split(maxsplit=half)  # the first ``half`` words, then the rest of the text in one piece
    if len(head) <= half or len(head[half].split(maxsplit=half)) <= half:
        return text  # at most MODEL_MAX_WORDS words
    return " ".join(head[:half]) + " " + " ".join(text.rsplit(maxsplit=half)[1:])


def _digest(vector: np.ndarray) -> bytes:
    return hashlib.blake2b(np.asarray(vector, dtype=np.float32).tobytes(), digest_size=16).digest()


class TagModel:
    """Fit on (text, previous text, label) triples; predict class probabilities for ``LABELS``."""

    def __init__(self, c: float = 1.0, weights: Sequence[float] = BLOCK_WEIGHTS, emb_weight: float = 0.0):
        self.c = c
        self._cache: OrderedDict[tuple[str, str | None, str | None, str | None, bytes], np.ndarray] = OrderedDict()
        self.weights = tuple(float(x) for x in weights)
        #: weight of the sentence-vector block; 0 = a model without it (trained without vectors)
        self.emb_weight = float(emb_weight)
        self.idf_word: np.ndarray | None = None
        self.idf_char: np.ndarray | None = None
        self.idf_prev: np.ndarray | None = None
        self.idf_next: np.ndarray | None = None
        self.dense_mean: np.ndarray | None = None
        self.dense_scale: np.ndarray | None = None
        self.coef: np.ndarray | None = None
        self.intercept: np.ndarray | None = None

    # -- features -----------------------------------------------------------------------------------------------
    @staticmethod
    def _idf(counts: sp.csr_matrix) -> np.ndarray:
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        idf: np.ndarray = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float32)
        return idf

    @staticmethod
    def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
        m = counts.astype(np.float64)
        m.data = 1.0 + np.log(m.data)
        m = m @ sp.diags(idf.astype(np.float64))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1))).ravel()
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ m)

    def _counts(
        self, texts: Sequence[str], previous: Sequence[str | None], following: Sequence[str | None],
        own: Sequence[str | None],
    ) -> tuple[sp.csr_matrix, ...]:
        word, char, ctx = _vectorizers()
        # one bag for what came before: the other speaker's turn, plus the speaker's own previous turn as
        # marked words ("t_share"), normalised together
        before = [f"{p or ''} {_own_tokens(o)}" for p, o in zip(previous, own, strict=True)]
        return (word.transform(texts), char.transform(texts),  # type: ignore[attr-defined]
                ctx.transform(before),  # type: ignore[attr-defined]
                ctx.transform([n or "" for n in following]))  # type: ignore[attr-defined]

    @property
    def needs_vectors(self) -> bool:
        """True when predictions need each utterance's sentence vector (``sentence_vectors.utterance_vectors``)."""
        return self.emb_weight > 0

    def _features(
        self, texts: Sequence[str], previous: Sequence[str | None], following: Sequence[str | None],
        own: Sequence[str | None], vectors: np.ndarray | None = None,
    ) -> sp.csr_matrix:
        assert self.idf_word is not None and self.idf_char is not None and self.idf_prev is not None
        assert self.idf_next is not None and self.dense_mean is not None and self.dense_scale is not None
        cw, cc, cp, cn = self._counts(texts, previous, following, own)
        dense = (dense_features(texts, previous, following) - self.dense_mean) / self.dense_scale
        w = self.weights
        blocks = [
            self._tfidf(cw, self.idf_word) * w[0], self._tfidf(cc, self.idf_char) * w[1],
            self._tfidf(cp, self.idf_prev) * w[2], self._tfidf(cn, self.idf_next) * w[3], sp.csr_matrix(dense * w[4]),
        ]
        if self.needs_vectors:
            if vectors is None or len(vectors) != len(texts):
                raise ValueError(NEEDS_VECTORS)
            blocks.append(sp.csr_matrix(np.asarray(vectors, dtype=np.float64) * self.emb_weight))
        return sp.hstack(blocks).tocsr()

    # -- training and prediction --------------------------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        previous: Sequence[str | None],
        labels: Sequence[str],
        following: Sequence[str | None] | None = None,
        own_previous: Sequence[str | None] | None = None,
        vectors: np.ndarray | None = None,
    ) -> TagModel:
        """Train. With ``vectors`` (one sentence vector per text) the model also reads what each utterance means,
        weighted ``EMBEDDING_WEIGHT``, and then needs vectors at prediction time too."""
        from sklearn.linear_model import LogisticRegression

        unknown = sorted(set(labels) - set(LABELS))
        if unknown:
            raise ValueError(f"unknown labels {unknown}; expected {LABELS}")
        nxt = list(following) if following is not None else [None] * len(texts)
        own = list(own_previous) if own_previous is not None else [None] * len(texts)
        cw, cc, cp, cn = self._counts(texts, previous, nxt, own)
        self.idf_word, self.idf_char, self.idf_prev, self.idf_next = (self._idf(m) for m in (cw, cc, cp, cn))
        dense = dense_features(texts, previous, nxt)
        self.dense_mean = dense.mean(axis=0)
        scale = dense.std(axis=0)
        scale[scale == 0] = 1.0
        self.dense_scale = scale
        self.emb_weight = EMBEDDING_WEIGHT if vectors is not None else 0.0
        x = self._features(texts, previous, nxt, own, vectors)
        y = np.array([LABELS.index(label) for label in labels])
        clf = LogisticRegression(C=self.c, class_weight="balanced", max_iter=3000, solver="lbfgs")
        # fit on the hash columns that occur in training only (unseen columns would get weight 0 anyway):
        # the same model, several times faster to optimise
        used = np.unique(x.indices)
        clf.fit(x[:, used], y)
        coef = np.zeros((len(LABELS), x.shape[1]), dtype=np.float32)
        intercept = np.zeros(len(LABELS), dtype=np.float32)
        if len(clf.classes_) == 2:  # binary: sklearn keeps one row for classes_[1]; softmax([0, z]) = sigmoid(z)
            coef[clf.classes_[1], used] = clf.coef_[0]
            intercept[clf.classes_[1]] = clf.intercept_[0]
        else:
            for row, cls in enumerate(clf.classes_):
                coef[cls, used] = clf.coef_[row]
                intercept[cls] = clf.intercept_[row]
        missing = [i for i in range(len(LABELS)) if i not in set(clf.classes_)]
        intercept[missing] = -1e4
        self.coef, self.intercept = coef, intercept
        return self

    def predict_proba(
        self,
        texts: Sequence[str],
        previous: Sequence[str | None] | None = None,
        following: Sequence[str | None] | None = None,
        own_previous: Sequence[str | None] | None = None,
        vectors: np.ndarray | None = None,
    ) -> np.ndarray:
        """Probabilities of ``LABELS`` for each text; ``previous``/``following`` are the neighbouring turns by
        the other speaker (None when there is none, e.g. live, before the reply exists), ``own_previous`` the
        same speaker's previous turn ("Can I share something?" comes before information), ``vectors`` the
        texts' sentence vectors (required when ``needs_vectors``)."""
        if self.coef is None or self.intercept is None:
            raise RuntimeError("the tag model is not trained")
        if not texts:
            return np.zeros((0, len(LABELS)))
        prev = list(previous) if previous is not None else [None] * len(texts)
        nxt = list(following) if following is not None else [None] * len(texts)
        own = list(own_previous) if own_previous is not None else [None] * len(texts)
        if self.needs_vectors and (vectors is None or len(vectors) != len(texts)):
            raise ValueError(NEEDS_VECTORS)
        # the scorer asks for the same turns twice (tags, then metrics): remember recent answers. Every answer of
        # this call is taken before the cache is trimmed, so a call larger than the cache (a 20,000-turn
        # transcript) or one that evicts its own hits still gets all of them
        digests = [_digest(v) for v in vectors] if self.needs_vectors and vectors is not None else [b""] * len(texts)
        keys = list(zip(texts, prev, nxt, own, digests, strict=True))
        out = np.zeros((len(texts), len(LABELS)))
        rows: dict[tuple[str, str | None, str | None, str | None, bytes], int] = {}  # uncached key -> row of probs
        todo: list[int] = []  # the first position of each uncached key
        for i, k in enumerate(keys):
            hit = self._cache.get(k)
            if hit is not None:
                out[i] = hit
                self._cache.move_to_end(k)
            elif k not in rows:
                rows[k] = len(todo)
                todo.append(i)
        if todo:
            coef = self.coef.T.astype(np.float64)
            probs = np.zeros((len(todo), len(LABELS)))
            for lo in range(0, len(todo), PREDICT_BATCH):  # the feature matrix of one batch at a time
                part = todo[lo : lo + PREDICT_BATCH]
                feats = self._features([_bounded(texts[i]) or "" for i in part], [_bounded(prev[i]) for i in part],
                                       [_bounded(nxt[i]) for i in part], [_bounded(own[i]) for i in part],
                                       None if vectors is None else np.asarray(vectors)[part])
                logits = np.asarray(feats @ coef) + self.intercept
                logits -= logits.max(axis=1, keepdims=True)
                e = np.exp(logits)
                probs[lo : lo + len(part)] = e / e.sum(axis=1, keepdims=True)
            for i, k in enumerate(keys):
                row = rows.get(k)
                if row is not None:
                    out[i] = probs[row]
            for k, row in rows.items():
                self._cache[k] = probs[row]
            while len(self._cache) > PREDICTION_CACHE:
                self._cache.popitem(last=False)
        return out

    def predict(
        self,
        texts: Sequence[str],
        previous: Sequence[str | None] | None = None,
        following: Sequence[str | None] | None = None,
        own_previous: Sequence[str | None] | None = None,
        vectors: np.ndarray | None = None,
    ) -> list[str]:
        probs = self.predict_proba(texts, previous, following, own_previous, vectors)
        return [LABELS[i] for i in probs.argmax(axis=1)]

    # -- persistence ----------------------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        path = Path(path)
        assert self.coef is not None and self.intercept is not None and self.idf_word is not None
        assert self.idf_char is not None and self.idf_prev is not None and self.idf_next is not None
        assert self.dense_mean is not None and self.dense_scale is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            np.savez_compressed(
                f, version=np.array(FORMAT_VERSION), c=np.array(self.c), weights=np.array(self.weights),
                emb_weight=np.array(self.emb_weight),
                idf_word=self.idf_word.astype(np.float16),
                idf_char=self.idf_char.astype(np.float16), idf_prev=self.idf_prev.astype(np.float16),
                idf_next=self.idf_next.astype(np.float16),
                dense_mean=self.dense_mean, dense_scale=self.dense_scale, coef=self.coef.astype(np.float16),
                intercept=self.intercept,
            )

    @classmethod
    def load(cls, path: str | Path) -> TagModel:
        with np.load(path, allow_pickle=False) as data:
            version = int(data["version"])
            if version not in (2, FORMAT_VERSION):
                raise ValueError(f"{path}: tag model format {version}, expected 2 or {FORMAT_VERSION}")
            weights = tuple(data["weights"].tolist()) if "weights" in data.files else BLOCK_WEIGHTS
            emb = float(data["emb_weight"]) if "emb_weight" in data.files else 0.0
            m = cls(c=float(data["c"]), weights=weights, emb_weight=emb)
            m.idf_word = data["idf_word"].astype(np.float32)
            m.idf_char = data["idf_char"].astype(np.float32)
            m.idf_prev = data["idf_prev"].astype(np.float32)
            m.idf_next = data["idf_next"].astype(np.float32)
            m.dense_mean, m.dense_scale = data["dense_mean"], data["dense_scale"]
            m.coef = data["coef"].astype(np.float32)
            m.intercept = data["intercept"].astype(np.float32)
        return m


@lru_cache(maxsize=1)
def production_model() -> TagModel | None:
    """The shipped model trained on all of AnnoMI, or None when the weights file is absent."""
    return TagModel.load(MODEL_PATH) if MODEL_PATH.is_file() else None


_OVERRIDE: list[TagModel | None] = []


def active_model() -> TagModel | None:
    """The model the tagger uses now: the innermost ``use_model`` override, else the production model."""
    return _OVERRIDE[-1] if _OVERRIDE else production_model()


@contextmanager
def use_model(model: TagModel | None) -> Iterator[None]:
    """Tag with ``model`` (None = rules only) inside the block. The AnnoMI benchmark uses it so that every
    session is tagged by a model trained on the other folds, never by the shipped one."""
    _OVERRIDE.append(model)
    try:
        yield
    finally:
        _OVERRIDE.pop()


#: probability above which the model alone adds a tag the rules did not find
ADD_THRESHOLD = 0.6


def tag_probabilities(probs: np.ndarray, text: str) -> dict[str, float]:
    """Map the four class probabilities onto tagger tags (the question/reflection kind comes from the text)."""
    from sparring.scoring.tagging import question_kind, reflection_kind, sentences

    sents = sentences(text) or [text]
    q_kind = next((k for k in (question_kind(s) for s in sents) if k), None)
    if q_kind is None:
        q_kind = "open_question" if lx.QUESTION_WORD_START.match(text.strip()) else "closed_question"
    r_kind = next((k for k in (reflection_kind(s) for s in sents) if k), None)
    if r_kind is None:
        r_kind = "reflection_complex" if lx.COMPLEX_MARKERS.search(text) or len(text.split()) > 22 else \
            "reflection_simple"
    return {q_kind: float(probs[0]), r_kind: float(probs[1]), "information": float(probs[2])}


#: the most probable class adds its tag from this probability on ("other" adds nothing)
ARGMAX_THRESHOLD = 0.4


def tags_from_probabilities(probs: np.ndarray, text: str) -> set[str]:
    """Tags the model supports: any class at ``ADD_THRESHOLD`` or above, and the most probable class (if not
    "other") at ``ARGMAX_THRESHOLD`` or above."""
    mapped = list(tag_probabilities(probs, text).items())  # in LABELS order: question, reflection, input
    out = {tag for tag, p in mapped if p >= ADD_THRESHOLD}
    best = int(np.argmax(probs))
    if best < len(mapped) and float(probs[best]) >= ARGMAX_THRESHOLD:
        out.add(mapped[best][0])
    return out
