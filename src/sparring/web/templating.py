"""Jinja2 filters shared by every page."""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2 import Environment

from sparring.reports.charts import score_text


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M")


def day(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%d %b")


def score(value: float | None) -> str:
    """A score as every page and chart shows it: a whole number 0-100 (docs/number-format.md)."""
    return score_text(value)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def verdict_class(verdict: str | None) -> str:
    return {"n/a": "na"}.get(verdict or "", verdict or "na")


#: slugs whose hyphen belongs in the English word
_HYPHENATED = ("trade-offs", "trade-off", "de-escalation", "follow-up", "one-on-one")


def humanise(value: str | None) -> str:
    """A slug as words for people: 'hold-value' -> 'Hold value', 'de-escalation' -> 'De-escalation'."""
    text = " ".join(w for w in (value or "").replace("_", "-").split("-") if w)
    for word in _HYPHENATED:
        text = text.replace(word.replace("-", " "), word)
    return text.capitalize()


def configure(env: Environment) -> None:
    from sparring.scoring.explain import engine_label, metric_label, metric_value

    env.filters.update(when=when, day=day, score=score, pct=pct, verdict_class=verdict_class, humanise=humanise,
                       engine_label=engine_label, metric_label=metric_label)
    env.globals.update(metric_value=metric_value)
