"""The class report's figures, as PNG bytes: scores, pass rates, mistakes by chapter.

Drawn on bare matplotlib figures (no pyplot, no GUI backend); labels are
drawn as plain text (no mathtext), since some come from what students' code raised.
"""

import io
from collections import Counter

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mlpcourse.course.class_summary import ClassSummary, counts_by_chapter
from mlpcourse.grader.inert import inert

#: Colour per chapter, in chapter order; the stacked bars reuse a longer cycle.
COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
#: Mistakes drawn as their own band in the stacked bars; the rest are "other".
BANDS = 8
RC = {"text.parse_math": False, "font.size": 9}


def png(figure: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return buffer.getvalue()


def score_histogram(summary: ClassSummary) -> bytes:
    """How many students got each score."""
    with rc_context(RC):
        figure = Figure(figsize=(6, 2.6))
        ax = figure.subplots()
        top = max(summary.max_score, 1.0)
        bins = np.linspace(0, top, min(int(top), 25) + 1)
        ax.hist(list(summary.scores.values()), bins=bins, color=COLORS[0], edgecolor="white")
        ax.set_xlabel(f"score (out of {summary.max_score:g})")
        ax.set_ylabel("students")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(f"Score distribution ({len(summary.scores)} graded)")
        ax.grid(True, axis="y", alpha=0.3)
        return png(figure)


def pass_rates(summary: ClassSummary) -> bytes:
    """The share of graded students who passed each function, coloured by chapter."""
    chapters = [c.chapter for c in summary.chapters]
    rates = [f for f in summary.functions if f.graded]
    with rc_context(RC):
        figure = Figure(figsize=(6, 0.22 * len(rates) + 0.8))
        ax = figure.subplots()
        colors = [COLORS[chapters.index(f.chapter) % len(COLORS)] for f in rates]
        ax.barh(range(len(rates)), [100 * f.rate for f in rates], color=colors)
        ax.set_yticks(range(len(rates)), [inert(f.function) for f in rates])
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of graded students who passed")
        ax.set_title("Pass rate per function")
        ax.grid(True, axis="x", alpha=0.3)
        return png(figure)


def mistakes_by_chapter(summary: ClassSummary) -> bytes:
    """Stacked bars: how many mistakes of each kind were made in each chapter."""
    by_chapter = counts_by_chapter(summary)
    overall: Counter = sum(by_chapter.values(), Counter())
    bands = [label for label, _ in overall.most_common(BANDS)]
    chapters = list(by_chapter)
    with rc_context(RC):
        figure = Figure(figsize=(7.5, 3.2))
        ax = figure.subplots()
        bottom = np.zeros(len(chapters))
        for k, band in enumerate([*bands, "other"]):
            heights = np.array(
                [
                    by_chapter[c][band]
                    if band != "other"
                    else sum(n for label, n in by_chapter[c].items() if label not in bands)
                    for c in chapters
                ],
                dtype=float,
            )
            if not heights.any():
                continue
            shown = inert(band)  # a label may hold what a student's code raised
            shown = shown if len(shown) <= 50 else shown[:49] + "…"
            color = COLORS[k % len(COLORS)] if band != "other" else "#cccccc"
            ax.bar(chapters, heights, bottom=bottom, label=shown, color=color)
            bottom += heights
        ax.set_ylabel("mistakes (student × function)")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("Misconceptions by chapter")
        ax.tick_params(axis="x", labelrotation=20)
        ax.grid(True, axis="y", alpha=0.3)
        if bands:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return png(figure)
