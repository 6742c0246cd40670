"""Rubric lint: warnings about criteria that are vague, hard to score or hard to act on.

The loader rejects rubrics that are invalid; the lint flags rubrics that are valid but weak: a criterion with no
example lines (the embedded scorer then has only its name to go on), a scale whose anchors do not describe
behaviour, two behaviours folded into one criterion ("Acknowledges and reframes …"), vague words ("handles it
well"), signals that are not tags, ``better_line`` placeholders that do not exist, examples that contradict each
other, and a rubric whose tests never show a failing rep.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sparring.content.rubric import Criterion, Rubric
from sparring.content.yamlsource import LocatedYaml, parse_yaml
from sparring.kernel.problems import Problem
from sparring.scoring.feedback import PLACEHOLDERS

#: when every positive example is longer than this, short spoken replies match them poorly
LONG_EXAMPLE_WORDS = 12
RATIO_METRICS = frozenset({"talk_share", "open_question_share", "filler_rate"})
VAGUE_WORDS = (
    "good", "well", "properly", "appropriate", "appropriately", "effectively", "effective", "nice", "professional",
    "professionally", "adequate", "adequately", "correctly", "right way", "great",
)  # fmt: skip
_VAGUE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in VAGUE_WORDS) + r")\b", re.I)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")
#: verbs rubric names commonly start clauses with, beyond the regular "-s" forms
_IRREGULAR_VERBS = frozenset({"does", "has", "is", "gets", "lets", "sets", "puts", "keeps", "says", "makes", "takes"})
_NOT_VERBS = frozenset({"its", "this", "his", "hers", "yours", "ours", "theirs", "less", "unless", "across", "various",
                        "process", "business", "success", "progress", "access", "status", "focus", "bonus", "risks",
                        "needs", "goals", "terms", "results", "options", "numbers", "costs", "concerns", "steps",
                        "challenges", "questions", "objections", "examples", "outcomes", "priorities", "benefits",
                        "features", "issues", "expectations", "feelings", "emotions", "ideas", "values", "actions",
                        "decisions", "owners", "dates", "problems", "changes", "customers", "clients"})


@dataclass(frozen=True)
class LintWarning(Problem):
    """A rubric lint finding: located and printed like a problem (``FILE:LINE: field: message``), but advice, not
    an error."""


def _looks_like_verb(word: str) -> bool:
    w = word.lower().strip(",.;:")
    if w in _IRREGULAR_VERBS:
        return True
    return len(w) > 3 and w.endswith("s") and not w.endswith("ss") and w not in _NOT_VERBS


def two_behaviours(name: str) -> str | None:
    """Why ``name`` seems to fold two behaviours into one criterion, or None."""
    if re.search(r"\b(?:as well as|and also|and then|, then)\b", name, re.I):
        return "joins two behaviours ('as well as', 'and then')"
    words = name.split()
    if not words or not _looks_like_verb(words[0]):
        return None
    for m in re.finditer(r"\s(?:and|&|or)\s+(\w+)", name):
        if _looks_like_verb(m.group(1)):
            return f"'{words[0]} … and {m.group(1)}' reads as two behaviours; split them so each can be scored"
    return None


def _criterion_warnings(c: Criterion, known_tags: frozenset[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    why = two_behaviours(c.name) if c.kind != "blocker" else None  # a rule may list forbidden variants
    if why:
        out.append(("name", why))
    vague = _VAGUE.search(c.name)
    if vague and c.kind != "metric":
        out.append(("name", f"'{vague.group(0)}' is vague: name the observable behaviour instead"))
    if c.kind in ("check", "scale", "blocker"):
        if not c.examples_positive:
            out.append(("examples_positive", "no example lines: the embedded scorer can only compare with the name "
                                             "and description; give 2-4 varied lines"))  # fmt: skip
        elif len(c.examples_positive) < 2:
            out.append(("examples_positive", "only one example line: give 2-4 varied lines"))
        elif c.kind != "blocker" and min(len(e.split()) for e in c.examples_positive) > LONG_EXAMPLE_WORDS:
            out.append(("examples_positive", "every example is long and specific: add one short, generic line "
                                             "(\"That must have been hard.\") so short replies match too"))  # fmt: skip
        if c.kind != "blocker" and not c.examples_negative:
            out.append(("examples_negative", "no negative example: one near-miss line sharpens the verdict"))
        for line in set(c.examples_positive) & set(c.examples_negative):
            out.append(("examples_negative", f"'{line}' is both a positive and a negative example"))
    if c.kind == "scale" and c.anchors:
        texts = [c.anchors[level].strip() for level in sorted(c.anchors)]
        for level, text in zip(sorted(c.anchors), texts, strict=True):
            if len(text.split()) < 4:
                out.append((f"anchors.{level}", f"anchor '{text}' is too short to describe behaviour"))
        if len({t.lower() for t in texts}) < len(texts):
            out.append(("anchors", "two levels share the same description"))
    if c.kind == "check" and not c.met_when and not c.description and len(c.examples_positive) < 3:
        out.append(("met_when", "say when the behaviour counts as met (or give at least three examples)"))
    if c.kind == "metric" and c.target is not None:
        hi = c.target.max
        if c.metric in RATIO_METRICS and ((hi is not None and hi > 1) or (c.target.min or 0) > 1):
            out.append(("target", f"{c.metric} is a ratio between 0 and 1; this band can never be met"))
    unknown = [s for s in c.signals if s not in known_tags]
    if unknown:
        out.append(("signals", f"unknown act(s) {', '.join(unknown)} (known: {', '.join(sorted(known_tags))})"))
    idle = [s for s in c.signals if s in ("filler", "hedge")]
    if idle:
        out.append(("signals", f"{', '.join(idle)} no longer match(es) any act: name the acts that show the behaviour"))
    if c.better_line:
        bad = [p for p in _PLACEHOLDER.findall(c.better_line) if p not in PLACEHOLDERS]
        if bad:
            out.append(("better_line", f"unknown placeholder(s) {', '.join(bad)} (known: {', '.join(PLACEHOLDERS)})"))
    if c.weight == 0 and c.kind != "blocker":
        out.append(("weight", "weight 0: this criterion never counts towards the total"))
    return out


def lint_rubric(rubric: Rubric, path: Path | None = None, source: LocatedYaml | None = None) -> list[LintWarning]:
    """Every warning for ``rubric``; lines come from ``source`` (or ``path``, re-parsed) when known."""
    from sparring.nlp.act_aliases import KNOWN_SIGNALS as TAGS

    if source is None and path is not None and path.is_file():
        source = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    file = str(path) if path is not None else rubric.id

    def line(*loc: str | int) -> int:
        return source.line_for(tuple(loc)) if source is not None else 0

    warnings: list[LintWarning] = []
    for i, c in enumerate(rubric.criteria):
        for fld, message in _criterion_warnings(c, frozenset(TAGS)):
            loc: list[str | int] = ["criteria", i, *fld.split(".")]  # mapping keys, e.g. anchors."1", are strings
            warnings.append(LintWarning(file, line(*loc), f"criteria[{i}].{fld} ({c.id})", message))
    if not rubric.tests:
        warnings.append(LintWarning(file, line("tests"), "tests", "no rubric tests: add a strong and a weak transcript "
                                                                  "with the verdicts they must get"))  # fmt: skip
    else:
        if not any(t.expect.get("passed") is False for t in rubric.tests):
            warnings.append(LintWarning(file, line("tests"), "tests", "no test expects a failing rep (passed: false)"))
        if not any(t.expect.get("passed") is True for t in rubric.tests):
            warnings.append(LintWarning(file, line("tests"), "tests", "no test expects a passing rep (passed: true)"))
    return warnings
