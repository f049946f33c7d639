"""Geometry of the spend-over-time stacked bar chart, drawn as SVG by the template (no JavaScript)."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

# Okabe–Ito: told apart by people with the common colour-vision deficiencies; "Other" is grey.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#332288", "#882255", "#44AA99",
           "#117733", "#AA4499"]
OTHER_COLOUR = "#8A8F98"
WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 44


def nice_ceiling(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 2.5 or 5 × a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _period_label(period, group_by: str) -> str:
    if group_by == "month":
        return period.strftime("%b %Y")
    return period.strftime("%d %b")


def stacked_bars(spend: dict[str, Any]) -> dict[str, Any]:
    """Bars (one per period, a segment per series, largest series at the bottom), axis ticks and labels."""
    series = spend["series"]
    periods = spend["periods"]
    colours = {s["key"]: (OTHER_COLOUR if s["key"] == "__other__" else PALETTE[i % len(PALETTE)])
               for i, s in enumerate(series)}
    top = nice_ceiling(max((t["cost"] for t in spend["totals"]), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    band = plot_w / max(len(periods), 1)
    bar_w = max(band * 0.72, 1.0)
    every = max(1, math.ceil(len(periods) / 12))  # at most ~12 x labels
    bars = []
    for index, period in enumerate(periods):
        x = LEFT + index * band + (band - bar_w) / 2
        y = TOP + plot_h
        segments = []
        for s in series:
            cost = s["points"][index]["cost"]
            if cost <= 0:
                continue
            h = plot_h * cost / top
            y -= h
            segments.append({"x": round(x, 2), "y": round(y, 2), "width": round(bar_w, 2), "height": round(h, 2),
                             "colour": colours[s["key"]], "label": s["label"], "cost": cost})
        bars.append({"period": period, "label": _period_label(period, spend["groupBy"]),
                     "show_label": index % every == 0, "label_x": round(LEFT + index * band + band / 2, 2),
                     "segments": segments, "total": spend["totals"][index]["cost"]})
    ticks = [{"value": top * i / 4, "y": round(TOP + plot_h - plot_h * i / 4, 2)} for i in range(5)]
    for tick in ticks:
        tick["text"] = f"{Decimal(str(tick['value'])):,.2f}"
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
            "baseline": TOP + plot_h, "label_y": HEIGHT - BOTTOM + 18, "bars": bars, "ticks": ticks,
            "legend": [{"label": s["label"], "colour": colours[s["key"]], "total": s["total"], "share": s["share"]}
                       for s in series]}
