"""Server-side SVG charts: trend lines, small multiples and horizontal bars, each with its numbers as a table.

Drawn on the server so pages need no chart library, no build step and no JavaScript, print cleanly and stay
readable to screen readers: every chart carries a <title>, and (unless ``table=False``) a ``<details>`` table with
the same numbers right below it. The output is a ``markupsafe.Markup`` string; every label is escaped.

One number format everywhere (docs/number-format.md): a score is a whole number from 0 to 100 (``score_text``),
the same on the axes, in the tooltips, in the tables and in the pages' own figures. Labels are never cut without
their full text: bar labels wrap onto up to three lines, and x labels that are shortened keep the full text in
the tooltip and in the table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

LABEL_CHARS = 40  # characters of a bar label line that fit the 300-unit label column
LABEL_LINES = 3  # a bar label wraps onto at most this many lines; past that the last line ends in "…"
PALETTE = ("#2450d8", "#d9480f", "#137a3a", "#7b2cbf", "#b08800", "#0b7285", "#c2255c", "#495057")
AXIS = "#556070"


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[float | None]  # one value per x position; None = no data there


def score_text(value: float | None) -> str:
    """A score (0-100) as people read it everywhere: a whole number ("67", "100"), "—" when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.0f}"


_fmt = score_text


def wrap_label(text: str, chars: int, lines: int = LABEL_LINES) -> list[str]:
    """``text`` broken at spaces into lines of at most ``chars`` characters; at most ``lines`` lines, the last one
    ending in "…" if the text did not fit (a word longer than a line is split)."""
    words = text.split()
    out: list[str] = []
    current = ""
    for word in words:
        while len(word) > chars:
            if current:
                out.append(current)
                current = ""
            out.append(word[: chars - 1] + "-")
            word = word[chars - 1:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= chars:
            current = f"{current} {word}"
        else:
            out.append(current)
            current = word
    if current:
        out.append(current)
    if len(out) > lines:
        last = " ".join(out[lines - 1:])
        out = [*out[: lines - 1], last[: chars - 1].rstrip() + "…"]
    return out or [""]


def data_table(caption: str, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[float | None]]],
               first_column: str = "") -> Markup:
    """The numbers behind a chart as a table in a closed ``<details>``: one row per series (or bar), one column
    per x position, every value in ``score_text`` format."""
    head = "".join(f'<th scope="col" class="num">{escape(c)}</th>' for c in columns)
    corner = f'<th scope="col">{escape(first_column)}</th>' if first_column else "<td></td>"
    body = "".join(
        f'<tr><th scope="row">{escape(name)}</th>'
        + "".join(f'<td class="num">{score_text(v)}</td>' for v in values) + "</tr>"
        for name, values in rows
    )
    return Markup(
        f'<details class="chart-table"><summary>{escape(caption)}: the numbers</summary>'
        f'<div class="table-scroll" tabindex="0" role="region" aria-label="{escape(caption)}">'
        f'<table><caption class="sr-only">{escape(caption)}</caption>'
        f"<thead><tr>{corner}{head}</tr></thead><tbody>{body}</tbody>"
        "</table></div></details>"
    )


def _label_step(labels: Sequence[str], plot_w: float, font: float) -> int:
    """Show every ``step``-th x label so that neighbours never overlap (about 0.6 em per character)."""
    widest = max((len(label) for label in labels), default=1) * font * 0.62 + 2 * font
    n = max(len(labels), 1)
    per_label = plot_w / max(n - 1, 1)
    return max(1, math.ceil(widest / per_label)) if n > 1 else 1


def _svg_open(width: int, height: int, title: str) -> str:
    return (f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>')


def _plot(parts: list[str], x_labels: Sequence[str], x_details: Sequence[str], series: Sequence[tuple[Series, str]],
          box: tuple[float, float, float, float], y_max: float, font: float, ticks: int, height: int,
          width: float) -> None:
    """Grid, axis labels, lines and points of a line chart inside ``box`` (left, top, plot width, plot height)."""
    left, top, plot_w, plot_h = box
    n = max(len(x_labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i / (n - 1)) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h * (1 - max(0.0, min(v, y_max)) / y_max)

    for k in range(ticks + 1):
        v = y_max * k / ticks
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e3e7ee"/>'
            f'<text x="{left - 6}" y="{y(v) + font / 3:.1f}" font-size="{font}" text-anchor="end" fill="{AXIS}">'
            f"{score_text(v)}</text>"
        )
    step = _label_step(x_labels, plot_w, font)
    last = n - 1
    for i, label in enumerate(x_labels):
        # always the last label; the step counts back from it so the newest point is labelled
        if (last - i) % step == 0:
            anchor = "end" if i == last and n > 1 else "start" if i == 0 and n > 1 else "middle"
            full = x_details[i] if i < len(x_details) else label
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 8}" font-size="{font}" text-anchor="{anchor}" fill="{AXIS}">'
                f"<title>{escape(full)}</title>{escape(label)}</text>"
            )
    for s, colour in series:
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, point in enumerate(s.points):
            if point is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(point):.1f}")
            detail = x_details[i] if i < len(x_details) else (x_labels[i] if i < len(x_labels) else "")
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(point):.1f}" r="3.2" fill="{colour}">'
                f"<title>{escape(s.name)}: {score_text(point)} ({escape(detail)})</title></circle>"
            )
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{colour}" stroke-width="2.2" stroke-linejoin="round" '
                    f'points="{" ".join(seg)}"/>'
                )


def line_chart(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    y_max: float = 100.0,
    width: int = 640,
    height: int = 240,
    x_details: Sequence[str] = (),
    table: bool = True,
    x_name: str = "",
    font: float = 11,
) -> Markup:
    """A line chart of several series over the same x positions (e.g. reps or weeks), y from 0 to y_max.
    ``x_labels`` are the short axis labels (a date); ``x_details`` the full text of each position (date and
    scenario) for the tooltips and the table's column heads. Labels that would overlap are thinned out; the
    table below the chart has every position."""
    left, right, top, bottom = round(font * 3.4), 14, 12, round(font * 2.5)
    parts = [_svg_open(width, height, title)]
    coloured = [(s, PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)]
    _plot(parts, x_labels, x_details, coloured, (left, top, width - left - right, height - top - bottom), y_max,
          font, 4, height, width)
    parts.append("</svg>")
    legend = "".join(f'<span><i style="background:{c}"></i>{escape(s.name)}</span>' for s, c in coloured)
    out = Markup(f'<div class="chart">{"".join(parts)}<div class="legend">{legend}</div></div>')
    if table:
        columns = list(x_details) if len(x_details) == len(x_labels) else list(x_labels)
        out += data_table(title, columns, [(s.name, s.points) for s in series], x_name)
    return out


def small_multiples(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    x_details: Sequence[str] = (),
    highlight: str | None = None,
    y_max: float = 100.0,
    table: bool = True,
    x_name: str = "",
) -> Markup:
    """One small chart per series on the same 0-``y_max`` scale, in a grid that reflows from four columns to one:
    readable where one chart with many lines would be spaghetti. The series named ``highlight`` (the weakest
    skill) comes first, drawn in red and marked "weakest"; every series is drawn, none is dropped. Each panel's
    name is HTML text above it, so it wraps instead of being cut; the latest value is beside it."""
    ordered = sorted(series, key=lambda s: s.name != highlight)
    width, height = 300, 130
    panels = []
    for s in ordered:
        weakest = s.name == highlight
        colour = "#b42318" if weakest else PALETTE[0]
        parts = [_svg_open(width, height, f"{s.name}: {title}")]
        _plot(parts, x_labels, x_details, [(s, colour)], (34, 10, width - 34 - 14, height - 10 - 30), y_max,
              13, 2, height, width)
        parts.append("</svg>")
        latest = next((v for v in reversed(s.points) if v is not None), None)
        tag = ' <span class="badge fail">weakest</span>' if weakest else ""
        panels.append(
            f'<figure class="multiple{" weakest" if weakest else ""}"><figcaption><span class="name">'
            f'{escape(s.name)}</span>{tag} <span class="latest" title="latest score">{score_text(latest)}</span>'
            f'</figcaption>{"".join(parts)}</figure>'
        )
    out = Markup(f'<div class="chart multiples" role="group" aria-label="{escape(title)}">{"".join(panels)}</div>')
    if table:
        columns = list(x_details) if len(x_details) == len(x_labels) else list(x_labels)
        out += data_table(title, columns, [(s.name, s.points) for s in ordered], x_name)
    return out


def bar_chart(title: str, bars: Sequence[tuple[str, float]], max_value: float = 100.0, width: int = 640,
              label_width: int = 300, marker: tuple[float, str] | None = None,
              bands: tuple[float, float] | None = None, table: bool = True, value_name: str = "score",
              font: float = 12.5) -> Markup:
    """Horizontal bars with their values, e.g. average score per criterion. ``label_width`` is the label column
    (a narrow chart for phones: e.g. ``width=360, label_width=120``); a label longer than a line of it wraps onto up
    to three lines (the full text is the hover title and is in the table). ``marker`` draws a dashed line across
    the bars at a value with its label (e.g. the completion expected by now). A bar is green from ``bands[0]``,
    amber from ``bands[1]``, red below (default: 70 % and 45 % of ``max_value``)."""
    line_h, pad = round(font * 1.2), 8
    label_w = label_width
    top = 18 if marker is not None else 0
    chars = max(6, int(LABEL_CHARS * label_w * 12.5 / (300 * font)))
    wrapped = [wrap_label(label, chars) for label, _ in bars]
    rows = [max(28, round(font * 2.2), 13 + line_h * len(w)) for w in wrapped]
    height = max(sum(rows) + pad * 2 + top, 40)
    plot_w = width - label_w - round(font * 3.8)
    parts = [_svg_open(width, height, title)]
    yy = top + pad
    green, amber = bands if bands is not None else (0.7 * max_value, 0.45 * max_value)
    for (label, value), lines, row in zip(bars, wrapped, rows, strict=True):
        w = plot_w * max(0.0, min(value, max_value)) / max_value if max_value else 0
        colour = "#137a3a" if value >= green else "#b08800" if value >= amber else "#b42318"
        mid = yy + row / 2  # the bar and the label block are centred on the row
        first = mid + font * 0.36 - line_h * (len(lines) - 1) / 2
        spans = "".join(
            f'<tspan x="{label_w - 8}" y="{first + k * line_h:.1f}">{escape(text)}</tspan>'
            for k, text in enumerate(lines)
        )
        parts.append(
            f'<text x="{label_w - 8}" y="{first:.1f}" font-size="{font}" text-anchor="end" fill="#1b2330">'
            f"<title>{escape(label)}</title>{spans}</text>"
            f'<rect x="{label_w}" y="{mid - 7.5:.1f}" width="{plot_w}" height="15" rx="3" fill="#eef1f6"/>'
            f'<rect x="{label_w}" y="{mid - 7.5:.1f}" width="{w:.1f}" height="15" rx="3" fill="{colour}">'
            f"<title>{escape(label)}: {score_text(value)}</title></rect>"
            f'<text x="{label_w + plot_w + 6}" y="{mid + font * 0.36:.1f}" font-size="{font}" fill="#1b2330">'
            f"{score_text(value)}</text>"
        )
        yy += row
    if marker is not None and max_value:
        value, text = marker
        mx = label_w + plot_w * max(0.0, min(value, max_value)) / max_value
        anchor = "end" if mx > label_w + plot_w * 0.6 else "start"
        parts.append(
            f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{top}" y2="{height - pad + 2}" stroke="#1b2330" '
            f'stroke-width="1.5" stroke-dasharray="4 3"><title>{escape(text)}: {score_text(value)}</title></line>'
            f'<text x="{mx + (-4 if anchor == "end" else 4):.1f}" y="{top - 5}" font-size="11.5" '
            f'text-anchor="{anchor}" fill="#1b2330">{escape(text)}</text>'
        )
    parts.append("</svg>")
    out = Markup(f'<div class="chart">{"".join(parts)}</div>')
    if table:
        out += data_table(title, [value_name], [(label, [value]) for label, value in bars])
    return out
