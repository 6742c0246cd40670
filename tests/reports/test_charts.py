"""Server-side SVG charts: escaped labels, gaps for missing data, bars clamped to the scale."""

from __future__ import annotations

import re

from sparring.reports.charts import Series, bar_chart, line_chart


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
    anchors = re.findall(r'text-anchor="(\w+)"[^>]*>(\d\d \w{3})<', svg)
    assert anchors == [("start", "28 Sep"), ("middle", "05 Oct"), ("end", "16 Nov")]


def test_long_bar_labels_are_cut_with_the_full_text_as_title() -> None:
    long = "Ties the renewal to measured outcomes the customer already got from the product"
    svg = str(bar_chart("b", [(long, 40)]))
    shown = re.search(r"</title>([^<]*)</text>", svg)
    assert shown is not None and shown.group(1).endswith("…") and len(shown.group(1)) <= 40
    assert f"<title>{long}</title>" in svg


def test_bar_chart_marker_and_a_narrow_label_column() -> None:
    svg = str(bar_chart("c", [("Ava Lindqvist", 75), ("Farah Haddad", 0)], width=360, label_width=120,
                        marker=(40, "expected by now")))
    assert 'viewBox="0 0 360 ' in svg
    plot_w = 360 - 120 - 48
    line = re.search(r'<line x1="([\d.]+)" x2="[\d.]+" y1="18" y2="[\d.]+" stroke="#1b2330"[^>]*stroke-dasharray',
                     svg)
    assert line is not None and abs(float(line.group(1)) - (120 + plot_w * 0.4)) < 0.1
    assert ">expected by now</text>" in svg and "<title>expected by now: 40</title>" in svg
    bars = [float(y) for y in re.findall(r'<rect x="120" y="([\d.]+)" width="192"', svg)]
    assert bars[0] > 18  # the bars start below the marker's label
    shown = re.findall(r"</title>([^<]*)</text>", svg)
    assert shown[0] == "Ava Lindqvist" and shown[1] == "Farah Haddad"  # 16 characters fit in 120 units
    assert "<line" not in str(bar_chart("c", [("a", 1)]))


def test_bar_chart_bands_set_the_colours() -> None:
    svg = str(bar_chart("c", [("on", 40), ("short", 35), ("far", 10)], bands=(40, 30)))
    fills = re.findall(r'<rect x="300" y="[\d.]+" width="[\d.]+" height="15" rx="3" fill="(#(?!eef)\w+)"', svg)
    assert fills == ["#137a3a", "#b08800", "#b42318"]
