"""A server-rendered SVG bar chart (ANL-2) readable without colour: each series has its own
fill pattern (solid, hatched, dotted) and its name in the legend, every bar carries its value
as text, and the page puts the same numbers in a table for screen readers."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .reports import Report

PATTERNS = ["solid", "hatch", "dots", "cross"]
WIDTH, HEIGHT, LEFT, TOP, BOTTOM = 720, 300, 48, 36, 70
MAX_GROUPS = 60


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    pattern: str
    value: str
    label: str


def _number(value) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


CHAR_W = 7.5  # an average character of the chart's 12px sans-serif, in SVG units


def _short(label: str, width: float) -> str:
    """``label`` cut to what fits under its group (at least 18 characters), with an ellipsis."""
    room = max(18, int(width / CHAR_W))
    return label if len(label) <= room else label[:room - 1] + "…"


def _bar_text(raw) -> str:
    """A bar's value as text; a count hidden by the small-count rule ("fewer than 5") reads "<5"
    on the bar, where the full words do not fit (the table under the chart keeps them)."""
    if raw is None:
        return ""
    text = str(raw)
    hidden = re.search(r"(\d+)\s*$", text) if _number(raw) is None else None
    return f"<{hidden.group(1)}" if hidden else text


def _legend(names: list[str]) -> list[dict]:
    """Legend entries side by side, each as wide as its swatch and its own name."""
    out, x = [], float(LEFT)
    for j, name in enumerate(names):
        out.append({"label": name, "pattern": PATTERNS[j % len(PATTERNS)], "x": round(x, 1)})
        x += 30 + CHAR_W * len(str(name))
    return out


def chart(report: Report) -> dict | None:
    """The geometry of the report's chart (for ``analytics/_chart.html``), or None without data."""
    if report.chart is None or not report.tables or not report.tables[0].rows:
        return None
    table = report.tables[0]
    labels = {c.key: str(c.label) for c in table.columns}
    rows = table.rows[-MAX_GROUPS:]
    series = report.chart.series
    values = [_number(r.get(s)) for r in rows for s in series]
    top = max([v for v in values if v is not None] + [1.0])
    plot_w, plot_h = WIDTH - LEFT - 10, HEIGHT - TOP - BOTTOM
    group_w = plot_w / len(rows)
    bar_w = max(2.0, min(40.0, group_w * 0.8 / len(series)))
    bars, ticks = [], []
    for i, row in enumerate(rows):
        gx = LEFT + i * group_w + (group_w - bar_w * len(series)) / 2
        for j, key in enumerate(series):
            raw = row.get(key)
            v = _number(raw) or 0.0
            h = plot_h * v / top
            bars.append(Bar(round(gx + j * bar_w, 1), round(TOP + plot_h - h, 1), round(bar_w - 1, 1), round(h, 1),
                            PATTERNS[j % len(PATTERNS)], _bar_text(raw), labels.get(key, key)))
        ticks.append({"x": round(LEFT + i * group_w + group_w / 2, 1), "label": _short(str(row.get(report.chart.x, "")), group_w)})
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "ticks": ticks, "axis_y": TOP + plot_h, "left": LEFT,
            "top": TOP, "max": round(top, 1), "unit": report.chart.unit, "rotate": len(rows) > 8,
            "legend": _legend([labels.get(k, k) for k in series]),
            "show_values": len(rows) * len(series) <= 40}
