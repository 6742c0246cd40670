"""Which rubric scores an imported call: the call's type from a short list of rules, then the type's rubric
(docs/calls.md, "Routing"; issue 13 item 2).

A rule names a call type and up to four conditions; a rule matches when every condition it states holds:
- ``title``: one of these words or phrases is in the call's title (case-insensitive, whole words);
- ``words``: these words or phrases occur at least ``min_count`` times in the turns of ``speaker``
  (``counterpart``, ``learner`` — the rep — or ``any``);
- ``acts``: at least ``min_share`` of the rep's turns make one of these moves, as the scorer's phrase rules tag
  them (``sparring.scoring.tagging.rule_tags``: ``open_question``, ``reflection_simple``, ``empathy``, ...);
- ``objections``: at least this many of the counterpart's turns raise an objection as the moment finder reads one
  (the word cues of review/data/cues.yaml, one per turn: price, competitor, timing, authority, need), of at least
  ``objection_topics`` different topics and in at least ``objection_share`` of the counterpart's turns.
The first rule that matches decides; no match gives the default type (``discovery``). ``--rubric`` always wins
over the rules (the call type is still reported).

The built-in rules (``DEFAULT_RULES``) look at the title first (what the calendar called the meeting is the best
evidence there is), then at what was said. They are starting points, not measured classifiers: an installation
states its own in the config file, checked before the built-ins (``default_rules = false`` drops those):

    [calls]
    default_type = "discovery"
    [calls.rubrics]                 # call type -> rubric id; SPARRING_CALL_RUBRICS (JSON) wins over this table
    renewal = "acme-renewal"
    [[calls.rules]]
    type = "renewal"
    title = ["QBR", "account review"]

Core code: it reads a conversation and the config file, never storage or the web.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sparring.configfile import ConfigError, config_path, line_of, read_config
from sparring.conversation.model import Conversation
from sparring.kernel.problems import Problem
from sparring.settings import Settings

#: call type -> built-in rubric id (CONTRACT.md, "Built-in content ids")
DEFAULT_RUBRICS: dict[str, str] = {
    "discovery": "discovery",
    "renewal": "renewal-value",
    "objection-heavy": "sales-objection-handling",
    "coaching": "coaching-conversation",
    "consulting": "consulting-pushback",
    "feedback": "feedback-conversation",
}
DEFAULT_TYPE = "discovery"

Speaker = Literal["counterpart", "learner", "any"]


class Rule(BaseModel):
    """One routing rule (module docstring). At least one condition is required."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=60, description="the call type this rule gives")
    title: list[str] = Field(default_factory=list, max_length=100)
    words: list[str] = Field(default_factory=list, max_length=200)
    min_count: int = Field(default=1, ge=1, le=1000)
    speaker: Speaker = "any"
    acts: list[str] = Field(default_factory=list, max_length=30)
    min_share: float = Field(default=0.3, gt=0, le=1)
    objections: int = Field(default=0, ge=0, le=1000)
    objection_topics: int = Field(default=1, ge=1, le=5)
    objection_share: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _has_a_condition(self) -> Rule:
        if not (self.title or self.words or self.acts or self.objections):
            raise ValueError("a rule needs at least one of title, words, acts or objections")
        return self

    def describe(self) -> str:
        parts = []
        if self.title:
            parts.append(f"title mentions {_listed(self.title)}")
        if self.words:
            who = {"any": "anyone", "counterpart": "the counterpart", "learner": "the rep"}[self.speaker]
            parts.append(f"{who} said {_listed(self.words)} at least {self.min_count} time(s)")
        if self.acts:
            parts.append(f"at least {self.min_share:.0%} of the rep's turns are {_listed(self.acts)}")
        if self.objections:
            share = f", {self.objection_share:.0%} of their turns or more" if self.objection_share else ""
            parts.append(f"the counterpart raised objections in at least {self.objections} turns "
                         f"({self.objection_topics}+ topics{share})")
        return " and ".join(parts)


def _listed(items: Sequence[str], most: int = 4) -> str:
    shown = ", ".join(f"'{i}'" for i in items[:most])
    return shown + (f" (or {len(items) - most} more)" if len(items) > most else "")


_OBJECTIONS = ["too expensive", "expensive", "over budget", "no budget", "price is", "pricing", "cheaper",
               "competitor", "already use", "already have", "happy with our current", "not interested",
               "not the right time", "next quarter", "next year", "not a priority", "check with my",
               "run it by", "sign off", "don't see the need", "don't need"]

#: the built-in rules, in order: titles first, then what was said
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(type="renewal", title=["renewal", "renew", "QBR", "business review", "account review"]),
    Rule(type="coaching", title=["coaching", "1:1", "one-on-one", "1-on-1", "mentoring"]),
    Rule(type="feedback", title=["feedback", "performance review", "appraisal"]),
    Rule(type="consulting", title=["consulting", "engagement", "statement of work", "SOW", "steering"]),
    Rule(type="discovery", title=["discovery", "intro call", "introduction", "first call"]),
    Rule(type="renewal", words=["renewal", "renew", "contract ends", "up for renewal", "cancel", "churn"],
         min_count=2),
    Rule(type="consulting", words=["statement of work", "scope", "deliverable", "recommendation", "engagement"],
         min_count=3),
    Rule(type="objection-heavy", words=_OBJECTIONS, min_count=3, speaker="counterpart"),
    # the moment finder's objection cues read objections the word list above misses ("the per-user fee is very
    # high", "we have Expensio for four years", "must be approved by our CEO"); thresholds in docs/calls.md
    Rule(type="objection-heavy", objections=3, objection_topics=2, objection_share=0.15),
)


class Routing(BaseModel):
    """The rules, the rubric of each call type, and the type of a call no rule matches."""

    rules: list[Rule] = Field(default_factory=lambda: list(DEFAULT_RULES))
    rubrics: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_RUBRICS))
    default_type: str = DEFAULT_TYPE

    def rubric_for(self, call_type: str) -> str:
        return self.rubrics.get(call_type) or self.rubrics[self.default_type]


class Route(BaseModel):
    """Where a call goes: its type, the rubric that scores it, and why, in words a user can read."""

    call_type: str
    rubric: str
    reason: str
    #: the index of the rule that matched in ``Routing.rules``; None for the default or ``--rubric``
    rule: int | None = None


@lru_cache(maxsize=512)
def _phrase(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word.strip())}(?!\w)", re.IGNORECASE)


def _count(texts: Iterable[str], words: Sequence[str]) -> int:
    pats = [_phrase(w) for w in words if w.strip()]
    return sum(len(p.findall(t)) for t in texts for p in pats)


def _act_share(texts: Sequence[str], acts: Sequence[str]) -> float:
    if not texts:
        return 0.0
    from sparring.scoring.tagging import rule_tags  # phrase rules only: no model is loaded

    wanted = set(acts)
    return sum(1 for t in texts if rule_tags(t) & wanted) / len(texts)


def matches(rule: Rule, conversation: Conversation) -> bool:
    if rule.title and not any(_phrase(w).search(conversation.title or "") for w in rule.title if w.strip()):
        return False
    if rule.words:
        texts = [t.text for t in conversation.turns if rule.speaker == "any" or t.role == rule.speaker]
        if _count(texts, rule.words) < rule.min_count:
            return False
    if rule.acts:
        rep = [t.text for t in conversation.turns if t.role == "learner"]
        if _act_share(rep, rule.acts) < rule.min_share:
            return False
    if rule.objections:
        said = [t.text for t in conversation.turns if t.role == "counterpart"]
        topics = objection_topics(said)
        if (len(topics) < rule.objections or len(set(topics)) < rule.objection_topics
                or len(topics) < rule.objection_share * len(said)):
            return False
    return True


def objection_topics(texts: Sequence[str]) -> list[str]:
    """The objection topic each of ``texts`` (the counterpart's turns) raises, one per turn at most, as the moment
    finder reads them (``review.cues``: the first sentence with an objection cue)."""
    from sparring.review.cues import load_cues
    from sparring.scoring.segments import split_sentences

    cues = load_cues()
    out = []
    for text in texts:
        for start, end in split_sentences(text):
            hit = cues.objection_topic(text[start:end])
            if hit is not None:
                out.append(hit[0])
                break
    return out


def route_call(conversation: Conversation, routing: Routing | None = None, rubric: str | None = None) -> Route:
    """The call type of ``conversation`` by ``routing``'s rules and its rubric; ``rubric`` (``--rubric``) wins."""
    routing = routing or Routing()
    call_type, index = routing.default_type, None
    why = f"no routing rule matched; the default type is {routing.default_type}"
    for i, rule in enumerate(routing.rules):
        if matches(rule, conversation):
            call_type, index, why = rule.type, i, f"{rule.type}: {rule.describe()}"
            break
    if rubric is not None:
        return Route(call_type=call_type, rubric=rubric, reason=f"rubric {rubric} given with --rubric "
                                                                  f"(call type by the rules: {call_type})")
    chosen = routing.rubric_for(call_type)
    return Route(call_type=call_type, rubric=chosen, rule=index, reason=f"{why}; {call_type} calls are scored "
                                                                        f"with {chosen}")


def _rule_line(path: Path | None, index: int, key: str | None) -> int:
    """The line of ``key`` in the ``index``-th ``[[calls.rules]]`` table of the file, else of its header (0 when
    unknown)."""
    if path is None:
        return 0
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 0
    headers = [n for n, ln in enumerate(lines, start=1) if re.match(r"\s*\[\[\s*calls\.rules\s*\]\]", ln)]
    if index >= len(headers):
        return 0
    start = headers[index]
    for n in range(start + 1, len(lines) + 1):
        text = lines[n - 1].strip()
        if text.startswith("["):
            break
        if key and re.match(rf"\"?{re.escape(key)}\"?\s*=", text):
            return n
    return start


def _problems(exc: ValidationError, path: Path | None, index: int) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        key = str(err["loc"][0]) if err["loc"] else None
        out.append(Problem(str(path or "settings"), _rule_line(path, index, key),
                           f"calls.rules[{index}]{'.' if loc else ''}{loc}", err["msg"].removeprefix("Value error, ")))
    return out


def build_routing(table: Mapping[str, Any], *, env_rubrics: Mapping[str, str] | None = None,
                  env_default: str | None = None, path: Path | None = None) -> Routing:
    """Routing from a config file's ``[calls]`` table and the settings (which win). ConfigError naming the file,
    line and key for anything wrong: an unknown key, a rule without a condition, a type with no rubric."""
    known = {"default_type", "rubrics", "rules", "default_rules"}
    problems = [Problem(str(path or "settings"), line_of(path, k) if path else 0, f"calls.{k}",
                        f"unknown key (known: {', '.join(sorted(known))})") for k in table if k not in known]
    rules: list[tuple[int, Rule]] = []  # with their index in the file's list
    raw_rules = table.get("rules", [])
    if not isinstance(raw_rules, list):
        problems.append(Problem(str(path or "settings"), line_of(path, "rules") if path else 0, "calls.rules",
                                "expected a list of [[calls.rules]] tables"))
        raw_rules = []
    for i, raw in enumerate(raw_rules):
        try:
            rules.append((i, Rule.model_validate(raw)))
        except ValidationError as exc:
            problems.extend(_problems(exc, path, i))
    use_defaults = table.get("default_rules", True)
    if not isinstance(use_defaults, bool):
        problems.append(Problem(str(path or "settings"), line_of(path, "default_rules") if path else 0,
                                "calls.default_rules", "must be true or false"))
        use_defaults = True
    rubrics = dict(DEFAULT_RUBRICS)
    raw_rubrics = table.get("rubrics", {})
    if not isinstance(raw_rubrics, dict) or not all(isinstance(v, str) and v for v in raw_rubrics.values()):
        problems.append(Problem(str(path or "settings"), line_of(path, "rubrics") if path else 0, "calls.rubrics",
                                "expected a table of call type = \"rubric id\""))
    else:
        rubrics.update(raw_rubrics)
    rubrics.update(env_rubrics or {})
    default_type = env_default or table.get("default_type", DEFAULT_TYPE)
    if not isinstance(default_type, str) or default_type not in rubrics:
        problems.append(Problem(str(path or "settings"), line_of(path, "default_type") if path else 0,
                                "calls.default_type", f"{default_type!r} has no rubric (add it to [calls.rubrics])"))
        default_type = DEFAULT_TYPE
    for i, rule in rules:
        if rule.type not in rubrics:
            problems.append(Problem(str(path or "settings"), _rule_line(path, i, "type"), f"calls.rules[{i}].type",
                                    f"no rubric for call type '{rule.type}' (add it to [calls.rubrics])"))
    if problems:
        raise ConfigError(problems)
    return Routing(rules=[r for _i, r in rules] + (list(DEFAULT_RULES) if use_defaults else []), rubrics=rubrics,
                   default_type=default_type)


def load_routing(settings: Settings) -> Routing:
    """The routing of an installation: the config file's ``[calls]`` table (``SPARRING_CONFIG``) under the
    settings ``call_rubrics`` / ``call_default_type``, over the defaults."""
    data = read_config(settings.config) if settings.config else read_config()
    path = settings.config or config_path()
    table = data.get("calls", {})
    if not isinstance(table, dict):
        raise ConfigError([Problem(str(path), line_of(path, "calls") if path else 0, "calls",
                                   "expected a [calls] table")])
    return build_routing(table, env_rubrics=settings.call_rubrics, env_default=settings.call_default_type,
                         path=path)
