"""The "law of 29" chart: an SVG bar chart of the conversion rate per exposure bucket.

Drawn with matplotlib's SVG backend (docs/measurement.md says why): one group of bars per
bucket, one bar for every exposed contact and one for each of the three most common channel
mixes. Text stays text (searchable, selectable), and the SVG carries no script.
"""

from __future__ import annotations

import io
from typing import Any

from goteo.engine.exposure_words import BUCKETS

MIXES_SHOWN = 3
COLOURS = ("#1f6f8b", "#e07a5f", "#81b29a", "#f2cc8f")


def exposure_chart(report: dict[str, Any]) -> bytes:
    """The SVG document of an ``exposure_curve`` report."""
    # matplotlib is loaded when a chart is first drawn, not with the web app: it adds about
    # 60 MB and a second or two to every process that imports it.
    from matplotlib import rc_context
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    series = [(f"all ({report['contacts']} contacts)", report)]
    series += [
        (f"{' + '.join(m['channels'])} ({m['contacts']})", m) for m in report["mixes"][:MIXES_SHOWN]
    ]
    # Text as text (not outlines), and the same ids for the same chart.
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "goteo", "font.size": 10}):
        figure = Figure(figsize=(8, 4), layout="constrained")
        FigureCanvasSVG(figure)
        axes = figure.add_subplot()
        width = 0.8 / len(series)
        for i, (label, table) in enumerate(series):
            rates = [b["conversion_rate"] for b in table["buckets"]]
            where = [x + (i - (len(series) - 1) / 2) * width for x in range(len(BUCKETS))]
            axes.bar(where, rates, width, label=label, color=COLOURS[i % len(COLOURS)])
        axes.set_xticks(range(len(BUCKETS)), [label for label, _, _ in BUCKETS])
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
        highest = max((b["conversion_rate"] for _, t in series for b in t["buckets"]), default=0)
        axes.set_ylim(0, min(1.0, max(0.05, highest * 1.15)))
        axes.set_xlabel("exposures before converting")
        axes.set_ylabel("converted")
        scope = report["campaign"] or "all campaigns"
        axes.set_title(f"Conversion rate by exposures ({scope})")
        axes.legend(loc="upper left", frameon=False)
        out = io.BytesIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
