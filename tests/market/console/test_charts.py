"""Server-side SVG charts: well-formed, labelled, and faithful to the numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from market.console.charts import (
    MAX_X_LABELS,
    ChartText,
    Series,
    bar_chart,
    format_number,
    line_chart,
    nice_ticks,
)

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def test_ticks_are_round_and_cover_the_maximum() -> None:
    assert nice_ticks(87) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(5) == [0, 1, 2, 3, 4, 5]
    assert nice_ticks(0.3) == [0, 0.1, 0.2, 0.3]
    assert nice_ticks(0) == [0, 1]


def test_numbers_read_naturally() -> None:
    assert format_number(12345) == "12,345"
    assert format_number(0.25) == "0.25"
    assert format_number(2.0) == "2"


def test_a_line_chart_is_labelled_for_assistive_technology() -> None:
    svg = _parse(
        line_chart(
            [Series("calls", [("11-01", 3), ("11-02", 7)])],
            ChartText("Calls per day", "From 3 to 7 calls", "Day", "Calls"),
        )
    )
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None
    assert title.text == "Calls per day"
    assert desc is not None
    assert desc.text == "From 3 to 7 calls"
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert {"Day", "Calls", "11-01", "11-02"} <= set(texts)


def test_each_point_carries_its_exact_value() -> None:
    svg = _parse(
        line_chart(
            [Series("rows", [("a", 1), ("b", 1500)]), Series("calls", [("a", 2), ("b", 4)])],
            ChartText("t", "d", "x", "y"),
        )
    )
    tooltips = [c.findtext(f"{SVG}title") for c in svg.iter(f"{SVG}circle")]
    assert tooltips == ["rows · a: 1", "rows · b: 1,500", "calls · a: 2", "calls · b: 4"]
    assert [p.get("data-series") for p in svg.iter(f"{SVG}polyline")] == ["rows", "calls"]


def test_bars_are_proportional_to_their_values() -> None:
    svg = _parse(
        bar_chart(
            [("2026-10", 50), ("2026-11", 100)],
            ChartText("Revenue", "d", "Month", "CNY"),
        )
    )
    bars = list(svg.iter(f"{SVG}rect"))
    heights = [float(b.get("height", "0")) for b in bars]
    assert heights[1] == 2 * heights[0]
    assert [b.findtext(f"{SVG}title") for b in bars] == ["2026-10: 50", "2026-11: 100"]


def test_text_is_escaped() -> None:
    markup = bar_chart(
        [("<b>", 1)],
        ChartText("a & b", "<script>", "x", "y"),
    )
    assert "<script>" not in str(markup)
    assert _parse(markup).findtext(f"{SVG}title") == "a & b"


def test_an_empty_chart_still_draws_its_axes() -> None:
    svg = _parse(
        line_chart(
            [],
            ChartText("t", "d", "Day", "Calls"),
        )
    )
    assert {"Day", "Calls"} <= {t.text for t in svg.iter(f"{SVG}text")}


def test_long_axes_show_evenly_spaced_labels_ending_with_the_latest() -> None:
    points = [(f"d{n:02d}", float(n)) for n in range(30)]
    svg = _parse(bar_chart(points, ChartText("t", "d", "x", "y")))
    shown = [t.text for t in svg.iter(f"{SVG}text") if (t.text or "").startswith("d")]
    assert shown[-1] == "d29"
    assert 2 <= len(shown) <= 8
    numbers = [int(label[1:]) for label in shown]
    assert len({b - a for a, b in zip(numbers, numbers[1:], strict=False)}) == 1


def test_x_labels_are_thinned_without_crowding_the_last_one() -> None:
    points = [(f"11-{day:02d}", float(day)) for day in range(1, 31)]
    svg = _parse(bar_chart(points, ChartText("t", "d", "day", "n")))
    days = [t.text for t in svg.iter(f"{SVG}text") if (t.text or "").startswith("11-")]
    assert days[-1] == "11-30"
    assert "11-29" not in days  # a stride label this close to the last would overlap it
    assert len(days) <= MAX_X_LABELS + 1


def test_legend_entries_are_placed_after_the_previous_name_not_on_top_of_it() -> None:
    names = ["海淀区社会保险参保登记数据集", "Enterprise registry (monthly)", "其他"]
    chart = line_chart(
        [Series(name, [("11-01", 1.0), ("11-02", 2.0)]) for name in names],
        ChartText("t", "d", "day", "calls"),
    )
    svg = _parse(chart)
    entries = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert [t.text for t in entries] == names
    starts = [float(t.get("x", 0)) for t in entries]
    # The first name is 14 CJK characters at a 12px font: at least 168px before the next.
    assert starts[1] - starts[0] >= 14 * 12
    assert starts[2] - starts[1] >= len(names[1]) * 6
