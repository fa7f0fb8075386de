"""The search dashboard's configuration form: what to search, on what, how long, with which knobs.

:class:`SearchForm` holds the controls (evaluation mode, benchmark, strategy, tasks, budget, seed,
the evolution and transfer knobs, the roles of the tasks, and the :class:`TrainingPanel` of
training mode), shows only the knobs the chosen strategy uses, and turns its values into the
strategy and evaluator of a run.  Running and drawing the run is
:class:`~widgets.search_dashboard.SearchDashboard`'s part.

>>> form = SearchForm()
>>> form.algorithm.value = "rea"
>>> form.tasks, form.overrides(), form.run_name()
(['cifar10', 'cifar100', 'ImageNet16-120'], {'population_size': 10, 'tournament_size': 5}, 'rea-nb201-s0')
>>> form.knobs.layout.display
'none'
"""

from __future__ import annotations

import ipywidgets as w

from ktnas_core import benchmarks
from ktnas_core.errors import ParameterError
from ktnas_core.experiments.catalog import EXPERIMENTS
from ktnas_core.search import TableEvaluator, make_strategy
from ktnas_core.search.presets import BASE, STRATEGY_NAMES, VARIANTS
from ktnas_core.search.transfer import EMBEDDINGS

from .dashboard_roles import TaskRoles
from .dashboard_training import TrainingPanel, field as _field
from .style import BENCHMARK_CHOICES

__all__ = ["SearchForm", "DEFAULT_TASKS", "RANKING", "TRANSFERRING"]

#: tasks ticked by default per benchmark: the paper's three
DEFAULT_TASKS = {e.benchmark: e.tasks for e in EXPERIMENTS.values()}
#: strategies that transfer (n_transfer applies) and those ranking transfers (top, window, embedding)
TRANSFERRING = tuple(n for n, v in VARIANTS.items() if v.get("transfer") in ("rank", "random", "best"))
RANKING = tuple(n for n, v in VARIANTS.items() if v.get("transfer") == "rank")
#: the form's controls, which the dashboard also offers as its own attributes (``dash.algorithm``, ...)
CONTROLS = ("evaluation", "training", "benchmark", "algorithm", "task_boxes", "budget", "seed", "stop_on_optimum",
            "population", "tournament", "n_transfer", "top", "window", "embedding", "roles", "knobs",
            "evolution_knobs", "table_tasks")
ROW = dict(flex_flow="row wrap", grid_gap="6px 18px", align_items="center")


class SearchForm:
    """The controls that configure a search, and what they make.

    Parameters
    ----------
    training : bool, default True
        Whether training mode may be chosen (a shared demo only looks scores up).
    safe : callable, optional
        Runs each handler of a control's change: the dashboard's shows an error in its status line
        instead of raising.  Default: call it.

    Attributes
    ----------
    rows : list of ipywidgets.HBox
        The form laid out in rows, for the dashboard to show.
    """

    def __init__(self, training: bool = True, safe=None):
        self.evaluation = _field(w.Dropdown, "table", "Evaluation", "320px", options=[
            ("table look-up", "table"), ("train every candidate", "train")])
        self.training = TrainingPanel()  # data sets, epochs, C, N, subsets, device and epoch lines
        self.benchmark = _field(w.Dropdown, "nb201", "Benchmark", "400px", options=BENCHMARK_CHOICES)
        self.algorithm = _field(w.Dropdown, "ktnas", "Algorithm", options=STRATEGY_NAMES)
        self.task_boxes = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.budget, self.seed = _field(w.IntText, 100, "Budget / task"), _field(w.IntText, 0, "Seed")
        self.stop_on_optimum = w.Checkbox(False, description="stop a task at its optimum", indent=False)
        self.population, self.tournament = _field(w.IntText, 10, "Population"), _field(w.IntText, 5, "Tournament")
        self.n_transfer, self.top = _field(w.IntText, 4, "Transfers n"), _field(w.FloatText, 0.2, "Top r")
        self.window = _field(w.IntText, 5, "Window m")
        self.embedding = _field(w.Dropdown, "node2vec", "Embedding", options=list(EMBEDDINGS))
        self.roles = TaskRoles()  # which tasks send and which receive transferred cells
        self.evaluation.disabled = not training
        self.knobs = w.HBox([self.n_transfer, self.top, self.window, self.embedding, self.roles],
                            layout=w.Layout(**ROW))
        self.evolution_knobs = w.HBox([self.population, self.tournament], layout=w.Layout(**ROW))
        self.table_tasks = w.HBox([w.Label("Tasks", layout=w.Layout(width="110px")), self.task_boxes],
                                  layout=w.Layout(**ROW))
        self.rows = [w.HBox(c, layout=w.Layout(**ROW)) for c in (
            [self.evaluation, self.benchmark, self.algorithm, self.seed], [self.table_tasks, self.training.box],
            [self.budget, self.evolution_knobs, self.stop_on_optimum], [self.knobs])]
        safe = safe or (lambda fn: fn())
        for widget, handler in ((self.benchmark, self._on_benchmark), (self.algorithm, self._on_algorithm),
                                (self.evaluation, self._on_evaluation), (self.training.kind, self._on_algorithm)):
            widget.observe(lambda _, handler=handler: safe(handler), names="value")
        self._on_benchmark()
        self._on_evaluation()

    @property
    def training_mode(self) -> bool:
        """Whether Start trains every candidate (else it looks scores up in the benchmark's table)."""
        return self.evaluation.value == "train"

    @property
    def tasks(self) -> list[str]:
        """The ticked tasks: the benchmark's (in its order), or in training mode the data sets."""
        return self.training.tasks if self.training_mode else [c.description for c in self.task_boxes.children
                                                               if c.value]

    @property
    def space(self) -> str:
        """The search space: the table's, or in training mode that of the cells trained."""
        return self.training.space if self.training_mode else self.benchmark.value

    def _on_evaluation(self) -> None:
        train = self.training_mode
        if train:
            self.benchmark.value = "nb201"  # the space training builds networks of
            self.training.show_device()
        if self.budget.value == (100 if train else 10):  # each default suits its mode: seconds on a CPU
            self.budget.value = 10 if train else 100
        self.benchmark.disabled = train
        self.table_tasks.layout.display, self.training.box.layout.display = ("none", "flex") if train else ("flex",
                                                                                                            "none")
        self.stop_on_optimum.layout.display = "none" if train else None

    def _on_benchmark(self) -> None:
        tasks = benchmarks.load(self.benchmark.value).tasks
        default = DEFAULT_TASKS.get(self.benchmark.value, tasks)
        self.task_boxes.children = [w.Checkbox(t in default, description=t, indent=False) for t in tasks]
        self._on_algorithm()

    def _on_algorithm(self) -> None:
        name, space = self.algorithm.value, self.space
        self.knobs.layout.display = "flex" if name in TRANSFERRING else "none"
        for knob in (self.top, self.window, self.embedding):
            knob.layout.display = None if name in RANKING else "none"
        self.evolution_knobs.layout.display = "none" if name == "random" else "flex"
        self.embedding.value = {**BASE[space], **VARIANTS.get(name, {})}.get("embedding", "node2vec")

    def overrides(self) -> dict:
        """The strategy's keyword arguments that the shown knobs set."""
        name = self.algorithm.value
        kw = {} if name == "random" else {"population_size": self.population.value,
                                          "tournament_size": self.tournament.value}
        if name in TRANSFERRING:
            kw.update(n_transfer=self.n_transfer.value, **self.roles.overrides())
        if name in RANKING:
            kw.update(top=self.top.value, window=self.window.value, embedding=self.embedding.value)
        return kw

    def check_tasks(self) -> None:
        """Raise :class:`~ktnas_core.errors.ParameterError` if no task (data set) is ticked."""
        if not self.tasks:
            train = self.training_mode
            names = [c.description for c in (self.training if train else self).task_boxes.children]
            raise ParameterError(f"no {'data set' if train else 'task'} is ticked; tick some of {names}")

    def make_strategy(self):
        """The strategy the form describes (its errors name the bad value)."""
        return make_strategy(self.algorithm.value, self.space, self.tasks, **self.overrides())

    def run_name(self) -> str:
        """The stem of the run directory: strategy, benchmark (or ``train``) and seed."""
        return f"{self.algorithm.value}-{'train' if self.training_mode else self.benchmark.value}-s{self.seed.value}"

    def make_evaluator(self, run_dir):
        """The evaluator of the run in ``run_dir``: the training panel's, or the benchmark's table."""
        if self.training_mode:
            return self.training.make_evaluator(run_dir, self.seed.value)
        return TableEvaluator(self.benchmark.value)
