"""The search dashboard's figure: regret of the best cell so far, against evaluations and against
simulated GPU-hours, with every trace made once (earlier runs, then a slot pair per task).

>>> fig = dashboard_figure()
>>> len(fig.data) == 2 + 2 * MAX_TASKS
True
"""

from __future__ import annotations

from plotly.subplots import make_subplots

from .style import FONT, FigureWidget

__all__ = ["MAX_EARLIER", "MAX_TASKS", "dashboard_figure", "draw_earlier", "reset_slots", "set_axes"]

MAX_TASKS = 7  # trace slots: every task of TransNAS-Bench-101 micro


def dashboard_figure() -> FigureWidget:
    """The empty figure (see the module docstring for its traces)."""
    fig = FigureWidget(make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                                        subplot_titles=("against evaluations", "against simulated GPU-hours")))
    fig.update_layout(template="plotly_white", font=FONT, height=430, width=1100, margin=dict(l=60, r=20, t=80, b=50),
                      title=dict(text="Regret of the best so far: press <b>Start</b> to run a search",
                                 font=dict(size=15), x=0.02, xanchor="left"),
                      legend=dict(orientation="h", x=0, y=-0.18, xanchor="left"))
    for col in (1, 2):  # earlier runs, faint; then a (evaluations, GPU-hours) pair of slots per task
        fig.add_scatter(x=[], y=[], mode="lines", line=dict(color="#9aa3b2", width=1), opacity=0.7,
                        name="earlier runs", legendgroup="earlier", showlegend=False, visible=False,
                        hovertemplate="%{text}<br>%{x:,.4g}: regret %{y:.4f}<extra></extra>", row=1, col=col)
    for _ in range(MAX_TASKS):
        for col in (1, 2):
            fig.add_scatter(x=[], y=[], mode="lines+markers", line_shape="hv", line=dict(width=2.5), marker_size=4,
                            visible=False, row=1, col=col)
    for col, title in ((1, "evaluations per task"), (2, "GPU-hours per task (simulated)")):
        fig.update_xaxes(title_text=title, row=1, col=col)
    fig.update_yaxes(title_text="regret: optimum − best so far", rangemode="tozero", row=1, col=1)
    for col in (1, 2):  # regret 0: the task's optimum (training: 100% accuracy); made once, never edited
        fig.add_hline(y=0, line=dict(color="#1f2a44", dash="dash", width=1.2), row=1, col=col,
                      annotation_text="optimum" if col == 1 else "", annotation_position="top left")
    return fig


def set_axes(fig: FigureWidget, training: bool) -> None:
    """Label the axes for a table run (simulated GPU-hours, regret against the table's optimum) or
    a training run (measured GPU-hours, validation error: 100% minus the best accuracy).

    >>> fig = dashboard_figure()
    >>> set_axes(fig, True)
    >>> fig.layout.annotations[1].text, fig.layout.xaxis2.title.text
    ('against measured GPU-hours', 'GPU-hours per task (measured)')
    """
    kind = "measured" if training else "simulated"
    fig.layout.annotations[1].text = f"against {kind} GPU-hours"
    fig.layout.xaxis2.title.text = f"GPU-hours per task ({kind})"
    fig.layout.yaxis.title.text = ("validation error, %: 100 − best accuracy so far" if training
                                   else "regret: optimum − best so far")


def reset_slots(fig: FigureWidget, tasks, label: str, colors) -> dict:
    """Empty the task slots, name and show one (evaluations, GPU-hours) pair per task, hide the
    rest; returns task -> that pair of traces."""
    pairs = {}
    for k in range(MAX_TASKS):
        pair = fig.data[2 + 2 * k], fig.data[3 + 2 * k]
        for col, tr in enumerate(pair):
            if k < len(tasks):
                t = tasks[k]
                tr.update(x=[], y=[], visible=True, name=t, legendgroup=t, showlegend=col == 0,
                          line_color=colors[k % len(colors)],
                          hovertemplate=f"{t} ({label})<br>%{{x:,.4g}}: regret %{{y:.4f}}<extra></extra>")
            else:
                tr.update(x=[], y=[], visible=False)
        if k < len(tasks):
            pairs[tasks[k]] = pair
    return pairs


#: earlier runs' curves kept for comparison (older ones are dropped: a long session stays light and legible)
MAX_EARLIER = 24


def draw_earlier(fig: FigureWidget, earlier: list) -> None:
    """Draw the earlier runs' curves, ``(name, x_evaluations, x_gpu_hours, regret)``, as the two
    faint traces (None separates the curves); drops all but the latest :data:`MAX_EARLIER` from
    ``earlier`` first, in place."""
    del earlier[:-MAX_EARLIER]
    for col, tr in enumerate(fig.data[:2]):
        xs, ys, text = [], [], []
        for name, x_ev, x_h, y in earlier:
            xs += (x_ev if col == 0 else x_h) + [None]
            ys += y + [None]
            text += [name] * len(y) + [None]
        tr.update(x=xs, y=ys, text=text, visible=bool(xs), showlegend=col == 0 and bool(xs))
