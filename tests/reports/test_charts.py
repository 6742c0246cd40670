"""Server-side SVG charts: escaped labels, gaps for missing data, bars clamped to the scale, wrapped labels, one
number format, a table behind every chart, small multiples."""

from __future__ import annotations

import itertools
import re

from sparring.reports.charts import Series, bar_chart, line_chart, score_text, small_multiples, wrap_label


def test_line_chart_escapes_labels_and_breaks_lines_at_gaps() -> None:
    svg = str(line_chart("Trend <b>", ["w1", "w2", "w3", "w4"], [Series("skill <script>", [50, None, 70, 80])]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "Trend &lt;b&gt;" in svg
    polylines = re.findall(r'<polyline[^>]*points="([^"]+)"', svg)
    assert len(polylines) == 1 and len(polylines[0].split()) == 2  # w3-w4 joined; w1 stands alone
    assert svg.count("<circle") == 3


def test_line_chart_maps_values_to_height() -> None:
    svg = str(line_chart("t", ["a", "b"], [Series("s", [0, 100])], width=640, height=240))
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert ys[0] > ys[1]  # 0 is at the bottom, 100 at the top
    assert abs(ys[1] - 12) < 0.01 and abs(ys[0] - (240 - 28)) < 0.01


def test_bar_chart_clamps_and_colours_by_band() -> None:
    svg = str(bar_chart("b", [("weak", 20), ("mid", 55), ("strong", 90), ("over", 140)]))
    bar = r'<rect x="\d+" y="[\d.]+" width="([\d.]+)" height="15" rx="3" fill="#(?!eef)'
    widths = [float(w) for w in re.findall(bar, svg)]
    assert widths[3] == max(widths) and widths[0] < widths[1] < widths[2] <= widths[3]
    assert "#b42318" in svg and "#b08800" in svg and "#137a3a" in svg


def test_humanise_keeps_real_hyphens() -> None:
    from sparring.web.templating import humanise

    assert humanise("trade-offs") == "Trade-offs"
    assert humanise("de-escalation") == "De-escalation"
    assert humanise("hold-value") == "Hold value"
    assert humanise(None) == ""


def test_edge_labels_stay_inside_the_chart() -> None:
    svg = str(line_chart("t", ["28 Sep", "05 Oct", "16 Nov"], [Series("s", [1, 2, 3])]))
    anchors = re.findall(r'text-anchor="(\w+)"[^>]*><title>[^<]*</title>(\d\d \w{3})<', svg)
    assert anchors == [("start", "28 Sep"), ("middle", "05 Oct"), ("end", "16 Nov")]


def _bar_labels(svg: str) -> list[list[str]]:
    """The lines of each bar label (its <tspan>s)."""
    labels = re.findall(r"</title>((?:<tspan[^>]*>[^<]*</tspan>)+)</text>", svg)
    return [re.findall(r"<tspan[^>]*>([^<]*)</tspan>", t) for t in labels]


def test_long_bar_labels_wrap_instead_of_being_cut() -> None:
    long = "Follows up on an answer instead of moving to the next question on the list"
    svg = str(bar_chart("b", [(long, 40), ("Short", 60)]))
    lines = _bar_labels(svg)
    assert " ".join(lines[0]) == long and len(lines[0]) == 2 and all(len(x) <= 40 for x in lines[0])
    assert lines[1] == ["Short"]
    assert f"<title>{long}</title>" in svg
    # the wrapped row is taller: the second bar starts lower than one plain row further down
    ys = [float(y) for y in re.findall(r'<rect x="300" y="([\d.]+)" width="292"', svg)]
    assert ys[1] - ys[0] > 28


def test_a_label_past_three_lines_ends_in_an_ellipsis_with_the_full_text_kept() -> None:
    text = " ".join(["negotiation"] * 20)
    assert wrap_label(text, 40)[-1].endswith("…") and len(wrap_label(text, 40)) == 3
    assert wrap_label("x" * 30, 12) == ["x" * 11 + "-", "x" * 11 + "-", "x" * 8]
    svg = str(bar_chart("b", [(text, 10)]))
    assert f"<title>{text}</title>" in svg and f"<th scope=\"row\">{text}</th>" in svg


def test_one_number_format_whole_numbers_everywhere() -> None:
    assert [score_text(v) for v in (66.666, 100.0, 0.4, None)] == ["67", "100", "0", "—"]
    svg = str(line_chart("t", ["a", "b"], [Series("s", [66.666, 100.0])]))
    assert "66.7" not in svg and "<title>s: 67 (a)</title>" in svg and '<td class="num">67</td>' in svg
    bars = str(bar_chart("b", [("x", 66.666)]))
    assert ">67</text>" in bars and "66.7" not in bars


def test_every_chart_has_its_numbers_as_a_table() -> None:
    svg = str(line_chart("Overall", ["3 Nov", "5 Nov"], [Series("Overall", [50, None])],
                         x_details=["3 Nov 2026 · Renewal", "5 Nov 2026 · Pricing"]))
    table = svg[svg.index("<details"):]
    assert '<th scope="col" class="num">3 Nov 2026 · Renewal</th>' in table
    assert '<th scope="row">Overall</th><td class="num">50</td><td class="num">—</td>' in table
    assert "<details" not in str(line_chart("t", ["a"], [Series("s", [1])], table=False))
    bars = str(bar_chart("b", [("x", 10)], value_name="average"))
    assert '<th scope="col" class="num">average</th>' in bars
    assert '<th scope="row">x</th><td class="num">10</td>' in bars


def test_x_labels_are_thinned_so_they_never_overlap_and_the_newest_is_labelled() -> None:
    labels = [f"{d} Nov" for d in range(1, 31)]
    svg = str(line_chart("t", labels, [Series("s", [50.0] * 30)]))
    shown = re.findall(r"</title>(\d+ Nov)</text>", svg)
    assert shown[-1] == "30 Nov" and 4 <= len(shown) < 30
    xs = [float(x) for x in re.findall(r'<text x="([\d.]+)" y="232" font-size="11"', svg)]
    assert min(b - a for a, b in itertools.pairwise(xs)) >= 6 * 11 * 0.62  # room for "30 Nov"


def test_small_multiples_draw_every_series_with_the_highlight_first() -> None:
    series = [Series(f"Skill {c}", [50, 60, 70]) for c in "ABCDEF"] + [Series("Weak one", [20, 30, None])]
    html = str(small_multiples("Per skill", ["1 Nov", "2 Nov", "3 Nov"], series, highlight="Weak one"))
    names = re.findall(r'<span class="name">([^<]*)</span>', html)
    assert names[0] == "Weak one" and sorted(names) == sorted(s.name for s in series)
    assert html.count("<svg") == 7 and html.count('class="multiple weakest"') == 1
    first = html[: html.index("</figure>")]
    assert 'stroke="#b42318"' in first and '<span class="latest" title="latest score">30</span>' in first
    assert html.count("<details") == 1 and '<th scope="row">Weak one</th>' in html


def test_bar_chart_bands_set_the_colours() -> None:
    svg = str(bar_chart("c", [("on", 40), ("short", 35), ("far", 10)], bands=(40, 30)))
    fills = re.findall(r'<rect x="300" y="[\d.]+" width="[\d.]+" height="15" rx="3" fill="(#(?!eef)\w+)"', svg)
    assert fills == ["#137a3a", "#b08800", "#b42318"]
