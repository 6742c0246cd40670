"""Server-side SVG charts: trend lines and horizontal bars.

Drawn on the server so pages need no chart library, no build step and no JavaScript, print cleanly and stay
readable to screen readers (every chart carries a <title> and a text table alternative in the page).
The output is a ``markupsafe.Markup`` string; every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

LABEL_CHARS = 40  # a bar label that fits the 300-unit label column
PALETTE = ("#2450d8", "#d9480f", "#137a3a", "#7b2cbf", "#b08800", "#0b7285", "#c2255c", "#495057")


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[float | None]  # one value per x position; None = no data there


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    y_max: float = 100.0,
    width: int = 640,
    height: int = 240,
) -> Markup:
    """A line chart of several series over the same x positions (e.g. reps or weeks), y from 0 to y_max."""
    left, right, top, bottom = 38, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(x_labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i / (n - 1)) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - max(0.0, min(v, y_max)) / y_max)

    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for k in range(5):
        v = y_max * k / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e3e7ee"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" fill="#556070">'
            f"{_fmt(v)}</text>"
        )
    step = max(1, (n + 7) // 8)
    for i, label in enumerate(x_labels):
        if i % step == 0 or i == n - 1:
            # the outermost labels are anchored inwards so they never run off the chart's edge
            anchor = "end" if i == n - 1 and n > 1 else "start" if i == 0 and n > 1 else "middle"
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 8}" font-size="11" text-anchor="{anchor}" fill="#556070">'
                f"{escape(label)}</text>"
            )
    for si, s in enumerate(series):
        colour = PALETTE[si % len(PALETTE)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, point in enumerate(s.points):
            if point is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            v = point
            segment.append(f"{x(i):.1f},{y(v):.1f}")
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.2" fill="{colour}">'
                f"<title>{escape(s.name)}: {_fmt(v)} ({escape(x_labels[i] if i < len(x_labels) else '')})</title>"
                "</circle>"
            )
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="2.2" stroke-linejoin="round" '
                    f'points="{" ".join(seg)}"/>'
                )
    parts.append("</svg>")
    legend = "".join(
        f'<span><i style="background:{PALETTE[i % len(PALETTE)]}"></i>{escape(s.name)}</span>'
        for i, s in enumerate(series)
    )
    return Markup(f'<div class="chart">{"".join(parts)}<div class="legend">{legend}</div></div>')


def bar_chart(title: str, bars: Sequence[tuple[str, float]], max_value: float = 100.0, width: int = 640,
              label_width: int = 300, marker: tuple[float, str] | None = None,
              bands: tuple[float, float] | None = None) -> Markup:
    """Horizontal bars with their values, e.g. average score per criterion. ``label_width`` is the label column
    (a narrow chart for phones: e.g. ``width=360, label_width=120``); ``marker`` draws a dashed line across the bars
    at a value with its label (e.g. the completion expected by now). A bar is green from ``bands[0]``, amber from
    ``bands[1]``, red below (default: 70 % and 45 % of ``max_value``)."""
    row, label_w, pad = 28, label_width, 8
    top = 18 if marker is not None else 0
    height = max(row * len(bars) + pad * 2 + top, 40)
    plot_w = width - label_w - 48
    chars = max(6, LABEL_CHARS * label_w // 300)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(bars):
        yy = top + pad + i * row
        w = plot_w * max(0.0, min(value, max_value)) / max_value if max_value else 0
        green, amber = bands if bands is not None else (0.7 * max_value, 0.45 * max_value)
        colour = "#137a3a" if value >= green else "#b08800" if value >= amber else "#b42318"
        # ~7 px per character at this size: longer labels are cut (the full text is the hover title)
        short = label if len(label) <= chars else label[: chars - 1].rstrip() + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{yy + 17}" font-size="12.5" text-anchor="end" fill="#1b2330">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
            f'<rect x="{label_w}" y="{yy + 5}" width="{plot_w}" height="15" rx="3" fill="#eef1f6"/>'
            f'<rect x="{label_w}" y="{yy + 5}" width="{w:.1f}" height="15" rx="3" fill="{colour}">'
            f"<title>{escape(label)}: {_fmt(value)}</title></rect>"
            f'<text x="{label_w + plot_w + 6}" y="{yy + 17}" font-size="12" fill="#1b2330">{_fmt(value)}</text>'
        )
    if marker is not None and max_value:
        value, text = marker
        mx = label_w + plot_w * max(0.0, min(value, max_value)) / max_value
        anchor = "end" if mx > label_w + plot_w * 0.6 else "start"
        parts.append(
            f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{top}" y2="{height - pad + 2}" stroke="#1b2330" '
            f'stroke-width="1.5" stroke-dasharray="4 3"><title>{escape(text)}: {_fmt(value)}</title></line>'
            f'<text x="{mx + (-4 if anchor == "end" else 4):.1f}" y="{top - 5}" font-size="11.5" '
            f'text-anchor="{anchor}" fill="#1b2330">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup(f'<div class="chart">{"".join(parts)}</div>')
