"""Guided lessons: one view with numbered steps beside it (the lesson notebooks call these).

>>> lesson = ranking_disorder_lesson()
>>> type(lesson.children[1]).__name__
'DisorderView'
"""

from __future__ import annotations

import ipywidgets as w

from .app import MAP_METHOD, link_map_to_cell, link_search_to_map
from .cell_view import CellView
from .disorder_view import DisorderView
from .embedding_map import EmbeddingMap
from .search_dashboard import SearchDashboard
from .style import COLORS, SyncedBox

__all__ = ["ranking_disorder_lesson", "embeddings_lesson", "search_lesson", "STEPS"]

#: the steps of each lesson (HTML), in order
STEPS = {
    "ranking_disorder": [
        "Each dot is one of the 15,625 NAS-Bench-201 cells: across, its rank on CIFAR-10; up, its rank on "
        "ImageNet16-120 (1 = best, by validation accuracy). A cell on the dashed diagonal ranks the same on both.",
        "Read the line above the plots: Kendall &tau; is 0.83, so the tasks agree on the broad order. "
        "Now look at the <b>orange</b> dots, CIFAR-10's top 1%: fewer than half of them are in ImageNet16-120's "
        "top 1%. Tick <i>log-scale ranks</i> to zoom on the best cells.",
        "The bump chart on the right follows CIFAR-10's best cells to their ranks on the target: grey lines are "
        "cells that fall out of the target's top-k. This is <b>ranking disorder</b>.",
        "Click a square of the heatmap to pick another pair (rows are sources, columns targets).",
        "Switch the benchmark to TransNAS-Bench-101 micro and pick <i>segmentsemantic</i> &rarr; "
        "<i>autoencoder</i>: &tau; falls to about 0.06. Ask: which source task would you trust to suggest "
        "cells for which target? That question is what transfer rank answers from data, during a search.",
    ],
    "embeddings": [
        "Every cell of the space is a point; cells whose node2vec embeddings are close sit close on this map "
        "(PCA: the two main directions of the embedding). "
        "Colour by <i>rank</i> on a task: good cells gather in regions, which is why a cell's neighbours "
        "predict its quality.",
        "Click a point: the cell view on the right draws it, with its score and rank on every task.",
        "Tick <i>compare</i> in the cell view: it picks the one-edge neighbour whose ranks move most "
        "differently across tasks. One edge can move a cell by thousands of ranks on one task and not on another.",
        "Colour by <i>disorder</i> between two tasks: red and blue regions rank higher on one task than on the "
        "other. Transfer rank votes with the nearest neighbours in this embedding, so it can learn which regions "
        "transfer well to a target.",
        "Switch to UMAP: equivalent cells share one vector, so they gather in tight islands. Try arch2vec, "
        "change the UMAP parameters and press <i>Recompute</i> (it runs in the background and is cached).",
    ],
    "search": [
        "Leave NAS-Bench-201, its three tasks and <i>ktnas</i>; tick <i>stop a task at its optimum</i>, set the "
        "budget to 2000 and press <b>Start</b>. The search runs on the shipped table in a few seconds.",
        "Read the transfer log: each row is a cell sent from a source task's population to a target, its transfer "
        "rank &phi;, whether it was accepted, its score on the target, and later its label (+1 if one of its "
        "children reached the target's top 20%).",
        "Now pick <i>no-transfer</i> (the same searcher, each task alone) and Start again: the earlier run stays "
        "as faint curves. Compare how many evaluations each needs to bring its regret to 0 (the task's best "
        "cell found).",
        "Try <i>random-transfer</i> and <i>rea</i>, and several seeds: the paper's Table II is the mean over "
        "10 seeds of exactly this (<code>ktnas reproduce nb201</code>).",
    ],
}


def _steps(key: str, title: str) -> w.HTML:
    items = "".join(f"<li style='margin:0 0 6px 0'>{s}</li>" for s in STEPS[key])
    return w.HTML(f"<div style='color:{COLORS['ink']};font-size:14px;line-height:1.5;max-width:1200px'>"
                  f"<div style='font-size:18px;font-weight:600;margin:0 0 6px 0'>{title}</div>"
                  f"<ol style='padding-left:22px;margin:0'>{items}</ol></div>",
                  layout=w.Layout(margin="0 0 8px 0", padding="8px 12px", border_left=f"4px solid {COLORS['cells']}"))


def ranking_disorder_lesson(benchmark: str = "nb201") -> SyncedBox:
    """Lesson 1: the disorder explorer with the steps a teacher walks through."""
    view = DisorderView(benchmark)
    view.select(view.benchmark.tasks[0], view.benchmark.tasks[-1])
    return SyncedBox([_steps("ranking_disorder", "Ranking disorder in five steps"), view])


def embeddings_lesson(benchmark: str = "nb201") -> SyncedBox:
    """Lesson 2: the embedding map linked to the cell view."""
    emap, cell = EmbeddingMap(benchmark, method=MAP_METHOD), CellView(benchmark)
    emap.set_color("rank", emap.benchmark.tasks[0])
    link_map_to_cell(emap, cell)
    return SyncedBox([_steps("embeddings", "Architecture embeddings"),
                      w.HBox([emap, cell], layout=w.Layout(flex_flow="row wrap", grid_gap="16px"))])


def search_lesson(runs_dir: str = "runs") -> SyncedBox:
    """Lesson 3: the search dashboard and its map, with the steps to compare KTNAS and baselines."""
    dashboard, emap = SearchDashboard(runs_dir), EmbeddingMap("nb201", method=MAP_METHOD)
    link_search_to_map(dashboard, emap)
    return SyncedBox([_steps("search", "Multi-task search with transfer rank"), dashboard, emap])
