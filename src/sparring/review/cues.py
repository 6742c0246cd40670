"""The word cues and acts of the call-moment finder, loaded from ``review/data/cues.yaml`` (its header gives the
matching rules; docs/moments.md explains each part).

    from sparring.review.cues import load_cues
    cues = load_cues()
    cues.objection_topic("Honestly it's way over our budget.")   # "price"
    cues.pain.search("We're drowning in spreadsheets")            # True

A file that does not fit the expected shape is a ``CueError`` naming the file and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from sparring.nlp.acts import ACT_NAMES

CUES_PATH = Path(__file__).parent / "data" / "cues.yaml"
OBJECTION_TOPICS = ("price", "competitor", "timing", "authority", "need")
HANDLING_QUALITIES = ("good", "fair", "poor")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


class CueError(ValueError):
    """The cue file is missing a field or holds a value of the wrong shape (the message names file and field)."""


_CONTRACTIONS = tuple((re.compile(a), b) for a, b in (
    (r"\bwon't\b", "will not"), (r"\bcan't\b", "can not"), (r"\bcannot\b", "can not"), (r"\bshan't\b", "shall not"),
    (r"n't\b", " not"), (r"'ll\b", " will"), (r"'re\b", " are"), (r"'m\b", " am"), (r"'ve\b", " have"),
    (r"'d\b", " would"),
))


def normalise(text: str) -> str:
    """Lower case, straight apostrophes and contractions spelled out ("won't" -> "will not", "we'll" -> "we
    will"): the form both the cues and the text are matched in, so one spelling of a cue covers both."""
    low = text.translate(_APOSTROPHES).lower()
    if "'" in low or "cannot" in low:
        for pattern, full in _CONTRACTIONS:
            low = pattern.sub(full, low)
    return low


class Phrases:
    """Whole-word, case-insensitive matching of a list of cue phrases (``*`` at the end matches a word ending)."""

    def __init__(self, phrases: Sequence[str], whole: Sequence[str] = ()):
        self.phrases = tuple(phrases)
        parts = [self._pattern(p) for p in phrases]
        self._any = re.compile(r"(?<![\w'])(?:" + "|".join(parts) + r")(?![\w'])") if parts else None
        self._whole = frozenset(normalise(w).strip() for w in whole)

    @staticmethod
    def _pattern(phrase: str) -> str:
        words = normalise(phrase).strip().split()
        out = [re.escape(w[:-1]) + r"[\w'-]*" if w.endswith("*") else re.escape(w) for w in words]
        return r"\s+".join(out)

    def find(self, text: str, whole: bool = True) -> re.Match[str] | None:
        """The first cue in ``text``, or None (``whole=False`` leaves out the whole-sentence cues)."""
        low = normalise(text)
        if whole and self._whole and low.strip(" .!?,;:-\"'") in self._whole:
            return re.search(r"\S.*\S|\S", low)
        return self._any.search(low) if self._any is not None else None

    def search(self, text: str) -> bool:
        return self.find(text) is not None


@dataclass(frozen=True)
class Objection:
    name: str
    label: str
    phrases: Phrases
    topic: Phrases


@dataclass(frozen=True)
class Handling:
    name: str
    quality: str
    acts: frozenset[str]


@dataclass(frozen=True)
class BearsOn:
    acts: tuple[str, ...]
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class Cues:
    objections: tuple[Objection, ...]
    resistance: Phrases
    not_objection: Phrases
    pain: Phrases
    competitor_mention: Phrases
    negative: Phrases
    negative_acts: frozenset[str]
    acceptance: Phrases
    acceptance_acts: frozenset[str]
    commitment: Phrases
    rep_words: Mapping[str, Phrases]
    handling: tuple[Handling, ...]
    explore_acts: frozenset[str]
    topic_change: Phrases
    commitment_acts: frozenset[str]
    bears_on: Mapping[str, BearsOn]

    def objection_topic(self, sentence: str) -> tuple[str, str] | None:
        """The objection ``sentence`` raises, as (topic, the cue words), or None: a topic's phrase, or one of its
        topic words together with a resistance marker; never a sentence with a ``not_objection`` phrase."""
        if self.not_objection.search(sentence):
            return None
        for o in self.objections:
            m = o.phrases.find(sentence)
            if m is not None:
                return o.name, m.group(0)
        marker = self.resistance.find(sentence)
        if marker is None:
            return None
        for o in self.objections:
            m = o.topic.find(sentence)
            if m is not None:
                return o.name, m.group(0)
        return None

    def label(self, topic: str) -> str:
        return next(o.label for o in self.objections if o.name == topic)


def _field(data: Mapping[str, Any], key: str, where: str, kind: type = list) -> Any:
    if key not in data:
        raise CueError(f"{CUES_PATH.name}: {where}{key}: missing")
    value: Any = data[key]
    if not isinstance(value, kind):
        raise CueError(f"{CUES_PATH.name}: {where}{key}: expected a {kind.__name__}, got {type(value).__name__}")
    if kind is list:
        items: list[Any] = data[key]
        bad = next((i for i, v in enumerate(items) if not isinstance(v, str) or not v.strip()), None)
        if bad is not None:
            raise CueError(f"{CUES_PATH.name}: {where}{key}[{bad}]: {items[bad]!r} is not a non-empty string "
                           "(quote words YAML reads as booleans or numbers, e.g. \"no\")")
    return value


def _acts(data: Mapping[str, Any], key: str, where: str) -> frozenset[str]:
    names = _field(data, key, where)
    unknown = [n for n in names if n not in ACT_NAMES]
    if unknown:
        raise CueError(f"{CUES_PATH.name}: {where}{key}: unknown act(s) {', '.join(unknown)} "
                       "(see sparring/nlp/acts.py)")
    return frozenset(names)


def _rep_words(data: Mapping[str, Any]) -> dict[str, Phrases]:
    unknown = [a for a in data if a not in ACT_NAMES]
    if unknown:
        raise CueError(f"{CUES_PATH.name}: rep_acts_by_words: unknown act(s) {', '.join(unknown)} "
                       "(see sparring/nlp/acts.py)")
    return {act: Phrases(_field(data, act, "rep_acts_by_words.")) for act in data}


def parse_cues(data: Any) -> Cues:
    """Cues from the parsed YAML document (``CueError`` names the field that is wrong)."""
    if not isinstance(data, dict):
        raise CueError(f"{CUES_PATH.name}: expected a mapping at the top level")
    objections_raw = _field(data, "objections", "", dict)
    missing = [t for t in OBJECTION_TOPICS if t not in objections_raw]
    if missing:
        raise CueError(f"{CUES_PATH.name}: objections: missing topic(s) {', '.join(missing)}")
    objections = []
    for name, spec in objections_raw.items():
        where = f"objections.{name}."
        if not isinstance(spec, dict):
            raise CueError(f"{CUES_PATH.name}: objections.{name}: expected a mapping")
        objections.append(Objection(name, str(_field(spec, "label", where, str)),
                                    Phrases(_field(spec, "phrases", where)), Phrases(_field(spec, "topic", where))))
    negative = _field(data, "negative_reaction", "", dict)
    acceptance = _field(data, "acceptance", "", dict)
    handling = []
    for name, spec in _field(data, "handling", "", dict).items():
        where = f"handling.{name}."
        if not isinstance(spec, dict):
            raise CueError(f"{CUES_PATH.name}: handling.{name}: expected a mapping")
        quality = _field(spec, "quality", where, str)
        if quality not in HANDLING_QUALITIES:
            raise CueError(f"{CUES_PATH.name}: {where}quality: {quality!r} is not one of "
                           f"{', '.join(HANDLING_QUALITIES)}")
        handling.append(Handling(name, quality, _acts(spec, "acts", where)))
    bears_on = {}
    for kind, spec in _field(data, "bears_on", "", dict).items():
        where = f"bears_on.{kind}."
        if not isinstance(spec, dict):
            raise CueError(f"{CUES_PATH.name}: bears_on.{kind}: expected a mapping")
        bears_on[kind] = BearsOn(tuple(sorted(_acts(spec, "acts", where), key=spec["acts"].index)),
                                 tuple(_field(spec, "metrics", where)))
    return Cues(
        objections=tuple(objections),
        resistance=Phrases(_field(data, "resistance", "")),
        not_objection=Phrases(_field(data, "not_objection", "")),
        pain=Phrases(_field(_field(data, "pain", "", dict), "phrases", "pain.")),
        competitor_mention=Phrases(_field(_field(data, "competitor_mention", "", dict), "phrases",
                                          "competitor_mention.")),
        negative=Phrases(_field(negative, "phrases", "negative_reaction."),
                         _field(negative, "whole", "negative_reaction.") if "whole" in negative else ()),
        negative_acts=_acts(negative, "acts", "negative_reaction."),
        acceptance=Phrases(_field(acceptance, "phrases", "acceptance.")),
        acceptance_acts=_acts(acceptance, "acts", "acceptance."),
        commitment=Phrases(_field(_field(data, "commitment", "", dict), "phrases", "commitment.")),
        rep_words=_rep_words(_field(data, "rep_acts_by_words", "", dict)),
        handling=tuple(handling),
        explore_acts=_acts(data, "explore_acts", ""),
        topic_change=Phrases(_field(data, "topic_change", "")),
        commitment_acts=_acts(data, "commitment_acts", ""),
        bears_on=bears_on,
    )


@lru_cache(maxsize=4)
def load_cues(path: Path = CUES_PATH) -> Cues:
    """The cue file (cached per path). ``CueError`` names the file and field when it is malformed."""
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is there: 10x faster
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except OSError as exc:
        raise CueError(f"{path}: cannot read the cue file ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise CueError(f"{path}: not valid YAML ({exc})") from exc
    return parse_cues(data)
