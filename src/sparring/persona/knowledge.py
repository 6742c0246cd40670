"""What the persona knows, and when it will say it: answering a learner's question from the scenario's
``knowledge`` section (docs/content-format.md, "knowledge").

``match`` ranks the knowledge entries by how close the question comes to each (cosine similarity of the offline
MiniLM embeddings, ``sparring.nlp.embeddings``, over the entry's ``about``, ``also_answers`` and ``answer``);
``answer`` decides what the persona says:

- ``share``: the best entry is close enough and its ``share_when`` holds: the entry's ``answer``;
- ``guarded``: close enough, but ``share_when`` does not hold (trust too low, ...): a guarded line;
- ``already_told``: close enough, and the persona has told it before: a brief re-statement, not news;
- ``unknown``: no entry is close enough: "I don't know" in the persona's words (``unknown_lines``).

**What "close enough" means.** Each entry has its own bar: raw cosine levels differ a lot between entries (an
entry about "the budget" sits closer to any business question than one about "the 2021 routing tool"), so one
global cut lets generic questions through for some entries and misses paraphrases for others. The bar of an
entry is ``max(MIN_SCORE, background + MARGIN)``, where ``background`` is the ``BACKGROUND_RANK``-th highest
similarity of the entry to a shipped set of background questions (``data/knowledge_background.yaml``: small
talk, general knowledge and other trades' questions that no persona's facts answer). How the constants were
chosen is written down in docs/scoring-validity.md ("Knowledge answers"); the calibration questions live in
tests/persona/test_knowledge.py and are not the shipped background set.

Everything is deterministic (no randomness; choices among lines are by hash of the question) and cached per
scenario: after warm-up a question whose sentences the engine has already embedded is matched in well under a
millisecond (one matrix product), and a fresh question costs one model call for its sentences.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import yaml

from sparring.content.scenario import Condition, KnowledgeEntry, Scenario
from sparring.nlp.embeddings import embed
from sparring.persona.rules import Facts, holds

KnowledgeKind = Literal["share", "guarded", "unknown", "already_told"]

#: no entry is matched below this cosine, however low its background
MIN_SCORE = 0.45
#: how far above its background a question must come to match an entry
MARGIN = 0.05
#: the background level of an entry: its k-th highest similarity to the background questions (k = this)
BACKGROUND_RANK = 1
#: the answer text counts a little less than the questions (``about``, ``also_answers``): a statement sits
#: closer to any question on its topic than a question does, so it is scored lower by this much
ANSWER_DISCOUNT = 0.05
#: a persona line this close to an entry's answer tells that fact (``told_by``): chosen by reading every pair of
#: library persona line and answer above 0.55 (docs/scoring-validity.md); from 0.70 up, each pair is the same fact
TOLD_MIN = 0.70
#: at most this many sentences of a turn are read (the questions first), each cut to this many words
MAX_PARTS = 4
MAX_PART_WORDS = 40

#: scenario versions whose knowledge index is kept in memory (a few hundred KB at most)
MAX_INDEXES = 64

BACKGROUND_PATH = Path(__file__).parent / "data" / "knowledge_background.yaml"

#: said when the persona does not know, unless the scenario has its own ``unknown_lines``
DEFAULT_UNKNOWN_LINES: tuple[str, ...] = (
    "I don't know, honestly.",
    "No idea, to be honest.",
    "That I couldn't tell you.",
    "I'm not sure. It's not something I'd know.",
    "Honestly, I don't know that one.",
)
#: said for an entry held back without guarded lines of its own, unless the scenario has ``guarded_lines``
DEFAULT_GUARDED_LINES: tuple[str, ...] = (
    "I'd rather not get into that yet.",
    "Let's leave that for now.",
    "That's not something I want to go into right now.",
)
#: how a re-statement starts when an entry has no ``again`` line of its own
#: a told fact is restated ("Like I said, …") only for a question at least this close to it; a question merely near
#: a told fact is about something else. Chosen on live play and the development split (2026-12-07): repeats that
#: read as non sequiturs came at 0.47-0.57, fitting ones ("what bothers you about what the doctor said?" -> the
#: blood-pressure fear) at 0.59-0.60
TOLD_AGAIN_MIN = 0.58
AGAIN_PREFIXES: tuple[str, ...] = ("Like I said, ", "As I said, ", "Again, ")
#: first words lower-cased after "Like I said, " even when the scenario never writes them in lower case
_COMMON_STARTS_TEXT = (
    "the a an our my we it it's that this there they their he she his her you your no yes not about every most some "
    "all just only between honestly truth if when since before after so and but one two three four five six seven "
    "eight nine ten eleven twelve twenty thirty forty fifty sixty seventy eighty ninety hundred nobody everyone "
    "nothing something like well look sure"
)
COMMON_STARTS = frozenset(_COMMON_STARTS_TEXT.split())
#: a default re-statement is at least this many words of the answer (whole sentences)
AGAIN_MIN_WORDS = 5


@dataclass(frozen=True)
class KnowledgeAnswer:
    """What the persona says to a question. ``lines`` are the candidates, best first (``line`` is the first);
    a caller that must not repeat itself takes the first one it has not said yet."""

    entry: str | None
    kind: KnowledgeKind
    lines: tuple[str, ...]
    score: float

    @property
    def line(self) -> str:
        return self.lines[0]


@dataclass(frozen=True)
class _Index:
    entries: tuple[KnowledgeEntry, ...]
    owners: np.ndarray  # (T,) entry index of each text row
    offsets: np.ndarray  # (T,) subtracted from the row's cosine (ANSWER_DISCOUNT on answer rows)
    matrix: np.ndarray  # (T, 384)
    bars: np.ndarray  # (E,) the score an entry needs
    answers: np.ndarray  # (E, 384) each entry's answer


_LOCK = threading.Lock()
_indexes: dict[tuple[object, ...], _Index] = {}
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
_INTERROGATIVE = re.compile(
    r"^(?:so|and|but|ok(?:ay)?|right|well)?[,\s]*(?:what|what's|whats|how|how's|why|who|who's|whom|whose|which|"
    r"when|where|is|are|was|were|do|does|did|can|could|would|will|have|has|had|should|tell me|walk me|"
    # an indirect question asks too ("I'm curious what you made of what the doctor said.")
    r"i'm curious|i am curious|i wonder|i was wondering|i'd (?:like|love) to (?:know|hear|understand)|"
    r"help me understand)\b",
    re.IGNORECASE,
)


def question_parts(question: str) -> list[str]:
    """The sentences of a turn that ask something (all sentences when none does), at most ``MAX_PARTS``, each
    cut to ``MAX_PART_WORDS`` words: "Fair point. What is the eighty based on?" is matched on its question,
    not on the acknowledgement. These are the strings ``match`` embeds (a caller that embedded them already
    makes the match free)."""
    sentences = [s.strip() for s in _SENTENCE_END.split(question.strip()) if s.strip()]
    if len(sentences) == 1 and len(question.split()) <= MAX_PART_WORDS:
        return [question]  # as given: the act reader embedded this very text, so its vector is cached
    asking = [s for s in sentences if s.endswith("?") or _INTERROGATIVE.match(s)]
    parts = asking or sentences
    return [" ".join(p.split()[:MAX_PART_WORDS]) for p in parts[:MAX_PARTS]]


def asks(text: str) -> bool:
    """Some sentence of ``text`` asks something (ends with "?" or opens like a question): the rule
    ``question_parts`` picks the asking sentences by."""
    return any(s.strip().endswith("?") or _INTERROGATIVE.match(s.strip())
               for s in _SENTENCE_END.split(text.strip()) if s.strip())


@lru_cache(maxsize=1)
def background_questions() -> tuple[str, ...]:
    data = yaml.safe_load(BACKGROUND_PATH.read_text(encoding="utf-8"))
    return tuple(str(q) for q in data["questions"])


_PRONOUNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(a), b)
    for a, b in (
        (r"\b(?:he|she) (?:is|was)\b", "you are"),
        (r"\b(?:he|she) has\b", "you have"),
        (r"\b(?:he|she) does\b", "you do"),
        (r"\b(?:he|she)'s\b", "you're"),
        (r"\b(?:he|she)\b", "you"),
        (r"\b(?:himself|herself)\b", "yourself"),
        (r"\bhim\b", "you"),
        (r"\b(?:his|her)\b", "your"),
    )
)


def second_person(about: str) -> str:
    """An ``about`` line as the learner would ask it: "what worries him about his drivers" -> "what worries you
    about your drivers" (questions to the persona say "you"; the cosine of a third-person line to them is lower
    by ~0.03, enough to lose the match)."""
    for pattern, repl in _PRONOUNS:
        about = pattern.sub(repl, about)
    return about


def _key(scenario: Scenario) -> tuple[object, ...]:
    return (scenario.id, tuple((e.id, e.about, tuple(e.also_answers), e.answer) for e in scenario.knowledge))


def _build(entries: tuple[KnowledgeEntry, ...]) -> _Index:
    texts: list[str] = []
    owners: list[int] = []
    offsets: list[float] = []
    for i, e in enumerate(entries):
        about = second_person(e.about)
        for t in (about, f"Can you tell me {about}?", *e.also_answers):
            texts.append(t)
            owners.append(i)
            offsets.append(0.0)
        texts.append(e.answer)
        owners.append(i)
        offsets.append(ANSWER_DISCOUNT)
    matrix = embed(texts)
    owner_arr = np.array(owners, dtype=np.int64)
    offset_arr = np.array(offsets, dtype=np.float32)
    bg = embed(list(background_questions()))
    scores = _entry_scores(bg @ matrix.T - offset_arr, owner_arr, len(entries))  # (B, E)
    k = min(BACKGROUND_RANK, scores.shape[0])
    level = np.sort(scores, axis=0)[-k, :]
    bars = np.maximum(MIN_SCORE, level.astype(np.float64) + MARGIN)
    answers = matrix[offset_arr == ANSWER_DISCOUNT]
    return _Index(entries, owner_arr, offset_arr, matrix, bars, answers)


def _entry_scores(sims: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    """(Q, T) row similarities -> (Q, E): each entry's best row."""
    out = np.full((sims.shape[0], n), -1.0, dtype=np.float32)
    for i in range(n):
        out[:, i] = sims[:, owners == i].max(axis=1)
    return out


def _index(scenario: Scenario) -> _Index:
    key = _key(scenario)
    hit = _indexes.get(key)
    if hit is not None:
        return hit
    with _LOCK:
        hit = _indexes.get(key)
        if hit is None:
            hit = _build(tuple(scenario.knowledge))
            _indexes[key] = hit
            while len(_indexes) > MAX_INDEXES:  # edited content makes new versions; forget the oldest
                del _indexes[next(iter(_indexes))]
    return hit


def warm_up(scenario: Scenario) -> None:
    """Embed the scenario's knowledge and its background bars now, so the first question is as fast as the rest."""
    if scenario.knowledge:
        _index(scenario)


def _scores(scenario: Scenario, question: str) -> tuple[_Index, np.ndarray] | None:
    if not scenario.knowledge:
        return None
    parts = question_parts(question)
    if not parts:
        return None
    index = _index(scenario)
    sims = embed(parts) @ index.matrix.T - index.offsets  # (P, T)
    return index, _entry_scores(sims, index.owners, len(index.entries)).max(axis=0)


def match(scenario: Scenario, question: str) -> list[tuple[KnowledgeEntry, float]]:
    """Every knowledge entry with its similarity to the question, best first (ties in authored order). The
    scores are raw; ``answer`` decides what counts as a match (``bar``)."""
    found = _scores(scenario, question)
    if found is None:
        return []
    index, scores = found
    order = sorted(range(len(index.entries)), key=lambda i: (-float(scores[i]), i))
    return [(index.entries[i], round(float(scores[i]), 4)) for i in order]


def told_by(scenario: Scenario, line: str) -> frozenset[str]:
    """The knowledge entries a persona line has already told (an objection line, a background beat, an eased
    line that says the same fact as an entry's answer), so a later question about them is answered as
    ``already_told``, not as news. A line that is an entry's answer tells that entry."""
    return told_by_lines(scenario, [line])[line]


def told_by_lines(scenario: Scenario, lines: Sequence[str]) -> dict[str, frozenset[str]]:
    """``told_by`` of many lines, embedded in one model call (the warm-up reads every authored line at once)."""
    lines = list(dict.fromkeys(lines))
    if not scenario.knowledge:
        return dict.fromkeys(lines, frozenset())
    said = [line for line in lines if line.strip()]
    out: dict[str, frozenset[str]] = dict.fromkeys(lines, frozenset())
    if not said:
        return out
    index = _index(scenario)
    sims = embed(said) @ index.answers.T  # (L, E)
    for row, line in zip(sims, said, strict=True):
        exact = {e.id for e in index.entries if e.answer == line or e.answer in line}
        close = {index.entries[i].id for i in range(len(index.entries)) if row[i] >= TOLD_MIN}
        out[line] = frozenset(exact | close)
    return out


def bar(scenario: Scenario, entry_id: str) -> float:
    """The score a question needs to match this entry (see the module doc)."""
    index = _index(scenario)
    for i, e in enumerate(index.entries):
        if e.id == entry_id:
            return float(index.bars[i])
    raise KeyError(entry_id)


def _order(pool: Sequence[str], seed: str) -> tuple[str, ...]:
    """The pool rotated by a hash of the seed: deterministic, and varied between questions."""
    if not pool:
        return ()
    h = int.from_bytes(hashlib.sha256(seed.encode("utf-8")).digest()[:8], "big") % len(pool)
    return (*pool[h:], *pool[:h])


def _lowered(sentence: str, scenario: Scenario) -> str:
    """The sentence with its first letter lower-cased, so it can follow "Like I said, ", unless its first word is
    "I" or a name: a word the scenario writes capitalised in mid-sentence ("Marcus", "Priya", "MedSlot")."""
    first = re.match(r"[A-Za-z']+", sentence)
    if not first:
        return sentence
    word = first.group(0)
    if word == "I" or word.startswith("I'") or (word.isupper() and len(word) > 1) or word in _names(scenario):
        return sentence
    if word.lower() in COMMON_STARTS or word.lower() in _lower_words(scenario):
        return sentence[0].lower() + sentence[1:]
    return sentence  # a word never seen in lower case ("Bradford and Leeds ..."): maybe a name, keep it


@lru_cache(maxsize=64)
def _names_in(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"(?<=[a-z0-9,;] )([A-Z][A-Za-z']*)", text))


@lru_cache(maxsize=64)
def _lower_in(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[A-Za-z']+", text) if w.islower())


def _scenario_text(scenario: Scenario) -> str:
    parts = [scenario.brief, scenario.learner_role, scenario.persona.name, scenario.persona.company or "",
             *scenario.persona.background, *scenario.persona.hidden_agenda, *scenario.opening_lines]
    parts += [f"{e.about}. {e.answer}" for e in scenario.knowledge]
    return ". ".join(parts)


def _names(scenario: Scenario) -> frozenset[str]:
    return _names_in(_scenario_text(scenario)) | frozenset(scenario.persona.name.split())


def _lower_words(scenario: Scenario) -> frozenset[str]:
    return _lower_in(_scenario_text(scenario))


def again_lines(scenario: Scenario, entry: KnowledgeEntry) -> tuple[str, ...]:
    """Brief re-statements of an entry already told: its ``again`` line, else its first sentence after
    "Like I said, " (and the other prefixes, as alternatives)."""
    sentences = _SENTENCE_END.split(entry.answer.strip())
    first = sentences[0]
    for more in sentences[1:]:  # "Honestly? That the drivers ..." is not a re-statement on its own
        if len(first.split()) >= AGAIN_MIN_WORDS:
            break
        first = f"{first} {more}"
    made = tuple(p + _lowered(first, scenario) for p in AGAIN_PREFIXES)
    return (entry.again, *made) if entry.again else made


def _facts(facts_or_values: Facts | Mapping[str, float]) -> Facts:
    if isinstance(facts_or_values, Facts):
        return facts_or_values
    return Facts(values=dict(facts_or_values), turn=0, moves=[], eased=[], counts={})


def answer(
    scenario: Scenario,
    facts_or_state_values: Facts | Mapping[str, float],
    question: str,
    told: frozenset[str] = frozenset(),
    *,
    shift: float = 0.0,
) -> KnowledgeAnswer:
    """What the persona says to ``question``. ``facts_or_state_values`` is the engine's ``Facts`` (every part
    of a ``share_when`` condition is judged) or just the hidden state values (then ``turn_at_least``,
    ``learner_move``, ``after_objection`` ... are judged as at turn 0 with nothing eased). ``told`` holds the
    ids of entries the persona has already shared in this rep. ``shift`` is the difficulty's
    ``threshold_shift`` (harder levels need more trust before they share)."""
    seed = f"{scenario.id}|{' '.join(question.lower().split())}"
    found = _scores(scenario, question)
    if found is not None:
        index, scores = found
        passing = [i for i in range(len(index.entries)) if scores[i] >= index.bars[i]
                   and not others_view(index.entries[i], question)]
        best = min(passing or range(len(index.entries)), key=lambda i: (-float(scores[i]), i))
        wanted = {answer_type(part) for part in question_parts(question)} - {None}
        best = _typed(index, scores, passing, best, wanted)
        score = round(float(scores[best]), 4)
        if passing:
            entry = index.entries[best]
            if entry.id in told:
                # a question about something new that sits next to a told fact gets the new one ("Was the eighty
                # her figure?" after the trial results were told is about the budget's origin), and a told fact
                # is restated only for a question clearly about it; otherwise the persona does not know, which
                # reads better than "As I said, …" to a question it does not answer (live play, 2026-12-07)
                # a told fact of the very kind asked for ("who signs?" after the signer was named) is restated:
                # the learner asks again, and another fact would be a non sequitur
                typed_told = bool(_entry_types(entry) & wanted)
                fresh = [i for i in passing if index.entries[i].id not in told
                         and float(scores[i]) >= float(scores[best]) - MARGIN
                         and (not typed_told or _entry_types(index.entries[i]) & wanted)]
                if fresh:
                    best = min(fresh, key=lambda i: (-float(scores[i]), i))
                    entry, score = index.entries[best], round(float(scores[best]), 4)
                elif score >= TOLD_AGAIN_MIN or typed_told:
                    return KnowledgeAnswer(entry.id, "already_told", again_lines(scenario, entry), score)
                else:
                    pool = scenario.unknown_lines or DEFAULT_UNKNOWN_LINES
                    return KnowledgeAnswer(None, "unknown", _order(pool, seed), score)
            if holds(entry.share_when, _facts(facts_or_state_values), shift):
                return KnowledgeAnswer(entry.id, "share", (entry.answer,), score)
            pool = entry.guarded or scenario.guarded_lines or DEFAULT_GUARDED_LINES
            return KnowledgeAnswer(entry.id, "guarded", _order(pool, seed), score)
    else:
        score = 0.0
    pool = scenario.unknown_lines or DEFAULT_UNKNOWN_LINES
    return KnowledgeAnswer(None, "unknown", _order(pool, seed), score)


#: a question after the persona's own view or feeling ("How do you feel about your drinking yourself?")
OWN_VIEW = re.compile(
    r"\b(?:how|what) (?:do|did|does|would) you (?:feel|think|make of|reckon)\b|"
    r"\bhow (?:does|did|do|would) (?:that|it|this) (?:make you )?feel\b|\byourself\b|"
    r"\byour (?:own )?(?:view|opinion|take|feelings?)\b",
    re.IGNORECASE,
)
#: an entry about what someone else thinks, says, feels or wants ("what his wife and daughters think about his
#: drinking", "what customers say in the cancellation survey"): the holder of the view is the group captured
_OTHERS_VIEW = re.compile(
    r"\b(?:what|how) ((?:[\w'-]+ ){0,4}?[\w'-]+) (?:think|thinks|say|says|feel|feels|want|wants)\b", re.IGNORECASE)
#: holders that are the persona itself (``about`` speaks of it in the third person) or that name nobody
_SELF_OR_NOBODY = frozenset({"he", "she", "they", "it", "you", "him", "her", "them", "people", "everyone", "one"})
_HOLDER_FILLER = frozenset({"the", "his", "her", "their", "its", "and", "a", "an", "of", "other", "own"})


def others_view(entry: KnowledgeEntry, question: str) -> bool:
    """``entry`` tells what someone else thinks or wants, and ``question`` asks for the persona's own view without
    naming that someone: "How do you feel about your drinking yourself?" is not answered by what his wife thinks
    (blind review of the development split, 2026-12-07: the commonest neighbouring fact). The sentence model finds
    the two close (same topic, a verb of thinking); who holds the view is what differs."""
    if not OWN_VIEW.search(question):
        return False
    held = _OTHERS_VIEW.search(entry.about)
    if held is None:
        return False
    holder = [w for w in held.group(1).lower().split() if w not in _HOLDER_FILLER]
    if not holder or any(w in _SELF_OR_NOBODY for w in holder):
        return False
    asked = re.findall(r"[a-z']+", question.lower())
    return not any(a[:4] == w[:4] for w in holder for a in asked if len(w) > 2)


#: what kind of answer a question wants, by the question word it opens with: a person or an amount. Only these two:
#: an entry about "who signs" or "how big the fleet is" says so in its ``about``, while a time or a place is often
#: the answer of an entry phrased otherwise ("Graham's weekly staffing call" answers "When is he thinking about
#: staffing?"), so preferring entries that say "when" would pick the wrong one
ANSWER_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("person", re.compile(r"(?:who|whom|whose)\b", re.IGNORECASE)),
    ("amount", re.compile(r"how (?:many|much|big)\b", re.IGNORECASE)),
)
#: words before the question word that do not change it ("so who…", "and how many…")
_LEAD = re.compile(r"^(?:(?:so|and|but|ok|okay|well|right|then|sorry|just|also)\W+)*", re.IGNORECASE)
#: how far under the best match an entry of the asked answer type may score and still be chosen
TYPE_MARGIN = 0.12


def answer_type(text: str) -> str | None:
    """The answer type a question or an ``about`` line asks for by the word it opens with (after any lead-in
    before a colon: "The main one is: who signs?"), or None ("what", "how", "why", "when" and yes/no questions
    are left to the sentence model)."""
    opening = _LEAD.sub("", text.rsplit(":", 1)[-1].strip())
    return next((kind for kind, pattern in ANSWER_TYPES if pattern.match(opening)), None)


def _entry_types(entry: KnowledgeEntry) -> frozenset[str]:
    found = (answer_type(second_person(entry.about)), *(answer_type(q) for q in entry.also_answers))
    return frozenset(t for t in found if t)


def _typed(index: _Index, scores: np.ndarray, passing: Sequence[int], best: int, wanted: set[str | None]) -> int:
    """``best``, or a passing entry that answers the kind of thing the question asks for when ``best`` does not:
    "Who ultimately signs off on this, is it you, or someone in finance?" wants a person, and the entry about who
    signs is chosen over the one about how finance decides, though the sentence model finds the finance words
    closer (live play). Only within ``TYPE_MARGIN`` of the best score, and only for the typed question words
    (``wanted``: the answer types the turn's question parts ask for)."""
    if not wanted or best not in passing or _entry_types(index.entries[best]) & wanted:
        return best
    typed = [i for i in passing if _entry_types(index.entries[i]) & wanted
             and float(scores[i]) >= float(scores[best]) - TYPE_MARGIN]
    return min(typed, key=lambda i: (-float(scores[i]), i)) if typed else best


def _condition_words(cond: Condition, shift: float) -> str:
    """A share_when condition in words, for a prompt ("your trust is at least 0.60 and ...")."""
    parts = [f"your {k} is at least {v + shift:.2f}" for k, v in cond.state_above.items()]
    parts += [f"your {k} is at most {v:.2f}" for k, v in cond.state_below.items()]
    if cond.turn_at_least is not None:
        parts.append(f"the learner has taken at least {cond.turn_at_least} turns")
    if cond.after_objection is not None:
        parts.append(f"your concern [{cond.after_objection}] has been eased")
    if cond.objections_eased:
        parts.append("all your concerns have been eased")
    if cond.learner_move:
        parts.append(f"the learner's last turn was one of: {', '.join(cond.learner_move)}")
    parts += [f"the learner has made {m} at least {n} times" for m, n in cond.move_count_at_least.items()]
    return " and ".join(parts)


def knowledge_brief(scenario: Scenario, shift: float = 0.0) -> str:
    """The knowledge section as prompt text for an LLM persona: what it knows, and when it will say it.
    Empty when the scenario has no knowledge."""
    if not scenario.knowledge:
        return ""
    rows = ["What you know, and when you say it (answer questions from this; never invent other facts: if asked "
            "something not listed here or in your background, say you don't know, in your own words):"]
    for e in scenario.knowledge:
        row = f"- {e.about}: \"{e.answer}\""
        if e.share_when != Condition():
            held = e.guarded or scenario.guarded_lines or list(DEFAULT_GUARDED_LINES)
            when = _condition_words(e.share_when, shift)
            row += f" Only say this when {when}; until then deflect, e.g. \"{held[0]}\""
        rows.append(row)
    return "\n".join(rows)
