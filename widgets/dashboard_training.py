"""The search dashboard's real-training mode, and the HTML tables both modes share.

:class:`TrainingPanel` holds the controls of a search that trains its candidates: what is
trained (every NB201, DARTS-style or TransNAS-Bench-101 cell from scratch with
:class:`~ktnas_core.evaluation.training.TrainingEvaluator`, on one or more worker processes,
or DARTS-style cells scored by one weight-sharing supernet per task with
:class:`~ktnas_core.evaluation.supernet.SupernetEvaluator`), the data sets as tasks, epochs,
network width and depth, the subset sizes, the device line and the per-epoch progress
line.  ``on_epoch`` runs in the search's worker thread and only appends to a deque, which
:meth:`TrainingPanel.drain` empties on the kernel's event loop.

>>> panel = TrainingPanel()
>>> panel.tasks, panel.subset(), panel.epochs.value, panel.C.value, panel.N.value
(['digits', 'fashion-mnist'], {'train': 1000, 'valid': 300, 'test': 300}, 3, 8, 1)
>>> panel.kind.value = "supernet"
>>> panel.space, panel.N.value
('darts', 5)
>>> "&lt;x&gt;</td></tr></table>" in table_html(("a", "b"), [[1, "<x>"]])
True
"""

from __future__ import annotations

import base64
import collections
import csv
import html
import io
import json
import threading
from pathlib import Path

import ipywidgets as w

from ktnas_core.datasets import DATASETS, dataset_info
from ktnas_core.search.events import summarize_log
from ktnas_core.runs.runner import run_status
from ktnas_core.evaluation.training import DEFAULT_CELLS

from .style import COLORS

__all__ = ["TRAIN_TASKS", "SUBSET", "TRAIN_COLUMNS", "TrainingPanel", "available_datasets", "export_links", "field",
           "is_training", "link", "read_config", "results_html", "run_label", "table_html", "training_rows", "transfer_log_html"]

#: data sets ticked by default in training mode (both ship with the project or its system packages)
TRAIN_TASKS = ("digits", "fashion-mnist")
#: images per split used to train each candidate by default: seconds per candidate on a CPU
SUBSET = {"train": 1000, "valid": 300, "test": 300}
#: columns of a training run's results (and of its CSV / JSON export)
TRAIN_COLUMNS = ("task", "best_cell", "valid_accuracy", "test_accuracy", "params", "evals", "seconds", "status")
EPOCH_LINES = 1_000  # epoch reports kept between two pumps
#: what training mode can evaluate: label -> kind (a space trained from scratch, or the supernet)
CANDIDATE_KINDS = (("train NB201 cells", "nb201"), ("train DARTS-style cells", "darts"),
                   ("train TransNAS-Bench-101 cells", "tnb101_micro"), ("DARTS supernet (weight sharing)", "supernet"))
_CELLS_PER_KIND = {**DEFAULT_CELLS, "supernet": DEFAULT_CELLS["darts"]}  # default N per kind
_LABEL = {"RegularizedEvolution": "rea", "RandomSearch": "random"}  # per-task class -> strategy name


def field(cls, value, description: str, width: str = "240px", **kw):
    """A labelled control of the dashboard's width conventions."""
    return cls(value=value, description=description, style={"description_width": "110px"},
               layout=w.Layout(width=width), **kw)


def table_html(keys, rows, opacity=None, mono=False) -> str:
    """An HTML table of ``rows`` under the header ``keys`` (every value escaped)."""
    font = "font-family:monospace;font-size:11px;" if mono else ""
    head = "".join(f"<th style='padding:2px 6px'>{html.escape(k)}</th>" for k in keys)
    body = "".join(f"<tr style='opacity:{1 if opacity is None else opacity[i]}'>" + "".join(
        f"<td style='padding:2px 6px;max-width:560px;overflow-wrap:anywhere;{font}'>{html.escape(str(v))}</td>"
        for v in row) + "</tr>"
        for i, row in enumerate(rows))
    return f"<table style='border-collapse:collapse'><tr>{head}</tr>{body}</table>"


def link(name: str, mime: str, data: bytes) -> str:
    """A download link carrying ``data`` as a data URI."""
    return (f"<a download='{html.escape(name)}' href='data:{mime};base64,{base64.b64encode(data).decode()}' "
            f"style='margin-right:14px'>{html.escape(name)}</a>")


def export_links(stem: str, rows: list[dict], columns) -> str:
    """Download links of ``rows``: ``<stem>.csv`` (``columns``) and ``<stem>.json``."""
    writer = csv.DictWriter(buf := io.StringIO(), fieldnames=columns)
    writer.writeheader(), writer.writerows({k: "" if r[k] is None else r[k] for k in columns} for r in rows)
    return (link(f"{stem}.csv", "text/csv", buf.getvalue().encode()) +
            link(f"{stem}.json", "application/json", json.dumps(rows, indent=1).encode()))


def results_html(run_dir: Path, rows: list[dict], keys, show: dict, columns) -> str:
    """The results panel: ``keys`` of ``rows`` formatted by ``show``, and CSV (``columns``), JSON and
    event-log export links."""
    table = table_html(keys, [["-" if r[k] is None else show.get(k, str)(r[k]) for k in keys] for r in rows])
    links = export_links(run_dir.name, rows, columns) + link(
        f"{run_dir.name}-events.jsonl", "application/x-ndjson", (run_dir / "events.jsonl").read_bytes())
    return (f"<div style='font-size:13px'><b>Results</b> ({html.escape(rows[0]['status'] if rows else '-')})"
            f"{table}<div style='margin-top:6px'>export: {links}</div></div>")


def run_label(config: dict) -> str:
    """``"<strategy> seed <seed>"`` of a run's config."""
    label = config["strategy"]["label"]
    return f"{_LABEL.get(label, label)} seed {config['seed']}"


def read_config(run_dir) -> dict:
    """A run directory's ``config.json``, or {} where it is missing or unreadable (the callers' checks
    then say what is wrong)."""
    try:
        config = json.loads((Path(run_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def transfer_log_html(trace, n: int) -> str:
    """The latest ``n`` transfers (accepted, and rejected ones faint) of a run's trace."""
    rows = sorted([*list(trace.transfers.values())[-n:], *trace.rejected], key=lambda r: r["seq"])
    fmt = {"score": lambda v: "…" if v is None else f"{v:.3f}", "label": lambda v: "" if v is None else f"{v:+d}",
           "accepted": lambda v: "yes" if v else "no"}
    keys = ("generation", "cell", "source", "target", "phi", "accepted", "score", "label")
    table = table_html(keys, [[fmt.get(k, str)(r[k]) for k in keys] for r in rows[-n:]],
                       [1 if r["accepted"] else 0.55 for r in rows[-n:]], mono=True)
    return (f"<div style='font-size:13px'><b>Latest transfers</b> ({len(trace.transfers):,} accepted)"
            f"{table}</div>" if rows else "")


def available_datasets() -> list[str]:
    """:data:`TRAIN_TASKS`, then every other data set whose files :func:`dataset_info` finds."""
    names = list(TRAIN_TASKS)
    for name in DATASETS:
        if name not in names and any(Path(p).exists() for p in dataset_info(name)["paths"]):
            names.append(name)
    return names


def is_training(config: dict) -> bool:
    """Whether a run's config is that of a training run."""
    return isinstance(config.get("evaluator"), dict) and config["evaluator"].get("kind") in ("train", "supernet")


def training_rows(run_dir: Path, tasks, evaluator, status: str) -> list[dict]:
    """Per task: best cell (by validation accuracy), its test accuracy and parameters (from the
    evaluator's records or cache), evaluations and measured seconds, from the run's event log."""
    log = summarize_log(Path(run_dir) / "events.jsonl", tasks)
    rows = []
    for t in tasks:
        arch, score = log.best[t] or (None, None)
        try:
            d = evaluator.details(arch, t) if arch is not None and evaluator is not None else {}
        except Exception:  # noqa: BLE001 - a record that is gone (cache deleted): shown as "-"
            d = {}
        rows.append(dict(task=t, best_cell=arch, valid_accuracy=score, test_accuracy=d.get("test_accuracy"),
                         params=d.get("params"), evals=log.n_evals[t], seconds=round(log.cost_s[t], 3),
                         status=status))
    return rows


def device_html(device: str, note: str | None) -> str:
    """The device line: the GPU's name, or a warning that CPU training is slow."""
    if device == "cpu":
        text = (f"⚠ {note or 'training on CPU'}: every candidate is trained on the CPU, seconds to minutes "
                "each; the table look-up mode answers in seconds")
        return f"<div style='color:{COLORS['topk']};font-size:13px'>{html.escape(text)}</div>"
    import torch

    name = torch.cuda.get_device_name(device)
    return f"<div style='color:{COLORS['ink']};font-size:13px'>training on {html.escape(name)}</div>"


def epoch_html(info) -> str:
    """The progress line of one :class:`~ktnas_core.evaluation.training.EpochInfo`."""
    if info.arch == "supernet":
        text = (f"supernet of {info.task}: epoch {info.epoch} (annealing over {info.epochs}), loss "
                f"{info.train_loss:.3f}, best cell of the generation {info.valid_accuracy:.1f}% ({info.seconds:.1f} s)")
    else:
        text = (f"training cell {info.arch} on {info.task}: epoch {info.epoch}/{info.epochs}, "
                f"loss {info.train_loss:.3f}, valid {info.valid_accuracy:.1f}% ({info.seconds:.1f} s)")
    return f"<span style='color:{COLORS['muted']};font-family:monospace;font-size:11px'>{html.escape(text)}</span>"


class TrainingPanel:
    """The training-mode controls (``box``), the device line and the per-epoch progress line."""

    def __init__(self):
        names = available_datasets()
        self.task_boxes = w.HBox([w.Checkbox(t in TRAIN_TASKS, description=t, indent=False) for t in names],
                                 layout=w.Layout(flex_flow="row wrap"))
        self.epochs, self.C = field(w.IntText, 3, "Epochs"), field(w.IntText, 8, "Width C")
        self.N = field(w.IntText, 1, "Cells N")
        self.kind = field(w.Dropdown, "nb201", "Candidates", "400px", options=CANDIDATE_KINDS)
        self.workers = field(w.IntText, 1, "Workers")
        self.kind.observe(self._on_kind, "value")
        self.subset_boxes = {k: field(w.IntText, v, f"{k.capitalize()} images") for k, v in SUBSET.items()}
        self.device_line, self.epoch_text = w.HTML(), w.HTML()
        self.evaluator, self.stop_flag = None, None
        self._epochs: collections.deque = collections.deque(maxlen=EPOCH_LINES)
        row = dict(flex_flow="row wrap", grid_gap="6px 18px", align_items="center")
        self.box = w.VBox([w.HBox([w.Label("Data sets", layout=w.Layout(width="110px")), self.task_boxes],
                                  layout=w.Layout(**row)),
                           w.HBox([self.kind, self.workers], layout=w.Layout(**row)),
                           w.HBox([self.epochs, self.C, self.N], layout=w.Layout(**row)),
                           w.HBox(list(self.subset_boxes.values()), layout=w.Layout(**row)), self.device_line])

    @property
    def tasks(self) -> list[str]:
        """The ticked data sets."""
        return [c.description for c in self.task_boxes.children if c.value]

    def _on_kind(self, change) -> None:
        """Each kind's default cells; a supernet trains one epoch per generation (no Epochs), in this process."""
        self.N.value = _CELLS_PER_KIND[change["new"]]
        supernet = change["new"] == "supernet"
        self.epochs.layout.display = self.workers.layout.display = "none" if supernet else None

    @property
    def space(self) -> str:
        """The search space of the candidates (the supernet searches the DARTS-style space)."""
        return "darts" if self.kind.value == "supernet" else self.kind.value

    def subset(self) -> dict:
        """Images per split to train, validate and test each candidate on."""
        return {k: b.value for k, b in self.subset_boxes.items()}

    def show_device(self) -> None:
        """Show where training would run (before a run: asks torch, imported here)."""
        import torch

        gpu = torch.cuda.is_available()
        self.device_line.value = device_html("cuda" if gpu else "cpu", None if gpu else
                                             "no GPU: training on CPU will be slow")

    def make_evaluator(self, run_dir: Path, seed: int):
        """A new evaluator for the ticked data sets: a :class:`TrainingEvaluator` caching under
        ``run_dir/trained``, or a :class:`SupernetEvaluator` saving under ``run_dir/supernet``."""
        self.stop_flag, sub = threading.Event(), self.subset()
        datasets = {t: {"name": t, "subset": dict(sub)} for t in self.tasks}
        common = dict(C=self.C.value, seed=seed, stop=self.stop_flag, on_epoch=self._epochs.append)
        if self.kind.value == "supernet":
            from ktnas_core.evaluation.supernet import SupernetEvaluator

            return self._use(SupernetEvaluator(datasets, layers=self.N.value, state_dir=Path(run_dir) / "supernet",
                                               **common))
        from ktnas_core.evaluation.training import TrainingEvaluator

        workers = self.workers.value if self.workers.value != 1 else None
        return self._use(TrainingEvaluator(datasets, space=self.kind.value, epochs=self.epochs.value, N=self.N.value,
                                           workers=workers, cache_dir=Path(run_dir) / "trained", **common))

    def rebuild(self, config: dict):
        """The evaluator of a saved training run (``config.json``), with a fresh stop flag and this
        panel's epoch progress."""
        from ktnas_core.search import evaluator_from_config

        self.stop_flag = threading.Event()
        return self._use(evaluator_from_config(config["evaluator"], stop=self.stop_flag, on_epoch=self._epochs.append))

    def _use(self, ev):
        self.evaluator = ev
        self._epochs.clear()
        self.epoch_text.value = ""
        self.device_line.value = device_html(ev.device, ev.device_note)
        return ev

    def stop(self) -> None:
        """Cancel the candidate in training (the search then ends as stopped)."""
        if self.stop_flag is not None:
            self.stop_flag.set()

    def results_html(self, run_dir: Path, tasks) -> str:
        """The results panel of a training run: :func:`training_rows` and their exports."""
        rows = training_rows(run_dir, tasks, self.evaluator, run_status(run_dir))
        show = {**{k: (lambda v: f"{v:.2f}%") for k in ("valid_accuracy", "test_accuracy")},
                "params": lambda v: f"{v:,}", "seconds": lambda v: f"{v:.1f}"}
        return results_html(run_dir, rows, TRAIN_COLUMNS[:-1], show, TRAIN_COLUMNS)

    def drain(self) -> int:
        """Show the latest epoch report queued by the worker; returns how many were queued."""
        n = 0
        while self._epochs:
            info, n = self._epochs.popleft(), n + 1
            self.epoch_text.value = epoch_html(info)
        return n
