"""Plotly figures for pages, built as plain dicts (Plotly's figure JSON) and drawn in the
browser by ``static/app.js`` with the plotly.min.js of the installed plotly package.

Plain dicts, not ``plotly.graph_objects``: validating graph objects costs milliseconds per
figure and pages must answer fast; the JSON schema is the same.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

PALETTE = {
    "plan": "#005b96",
    "forecast": "#8a5a00",
    "performed": "#1e6b35",
    "inflow": "#7b3294",
    "waiting": "#a4262c",
    "need": "#52606d",
}


def line(name: str, x: Sequence[Any], y: Sequence[float | None], color: str,
         dash: str = "solid", kind: str = "scatter") -> dict[str, Any]:
    """One trace: a line (``kind="scatter"``) or bars (``kind="bar"``)."""
    trace: dict[str, Any] = {"type": kind, "name": name, "x": list(x), "y": list(y)}
    if kind == "scatter":
        trace["mode"] = "lines"
        trace["line"] = {"color": color, "dash": dash, "width": 2}
    else:
        trace["marker"] = {"color": color}
    return trace


def figure(fig_id: str, traces: list[dict[str, Any]], title: str = "", y_title: str = "",
           layout: dict[str, Any] | None = None, lang: str = "sv") -> dict[str, str]:
    """What templates need: the element id and the figure as JSON text."""
    base: dict[str, Any] = {
        "title": {"text": title},
        "margin": {"l": 60, "r": 20, "t": 40 if title else 10, "b": 40},
        "legend": {"orientation": "h"},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "separators": separators(lang),
        "hovermode": "x unified",
    }
    base.update(layout or {})
    text = json.dumps({"data": traces, "layout": base}, separators=(",", ":"))
    return {"id": fig_id, "json": text.replace("</", "<\\/")}


def separators(lang: str) -> str:
    """Plotly's decimal and thousands separators: ``", "`` (sv) or ``".,"`` (en)."""
    return ", " if lang == "sv" else ".,"
