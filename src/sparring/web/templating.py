"""Jinja2 filters shared by every page."""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2 import Environment


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
    return "—" if value is None else f"{value:.0f}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def verdict_class(verdict: str | None) -> str:
    return {"n/a": "na"}.get(verdict or "", verdict or "na")


def humanise(value: str | None) -> str:
    return (value or "").replace("-", " ").replace("_", " ").strip().capitalize()


def configure(env: Environment) -> None:
    env.filters.update(when=when, day=day, score=score, pct=pct, verdict_class=verdict_class, humanise=humanise)
