"""The dashboard's training mode beyond NB201: DARTS-style cells scored by a weight-sharing supernet
per task, and the candidate kinds' effect on the controls (tiny supernets on scikit-learn's digits, CPU)."""

from __future__ import annotations

import json

import pytest

from ktnas_core.search import Evaluated, read_events
from ktnas_core.evaluation.supernet import SupernetEvaluator
from widgets.search_dashboard import SearchDashboard

from .test_search_dashboard import links, pump_until_done, training_mode

pytestmark = pytest.mark.training  # real PyTorch training: left out of `make test-fast`


def test_candidate_kind_sets_space_cells_and_embedding(tmp_path):
    dash = SearchDashboard(tmp_path / "runs")
    dash.evaluation.value = "train"
    panel = dash.training
    assert (panel.space, panel.N.value, dash.embedding.value) == ("nb201", 1, "node2vec")
    panel.kind.value = "darts"
    assert (panel.space, panel.N.value, dash.embedding.value) == ("darts", 5, "onehot")  # Table I: one-hot
    panel.kind.value = "supernet"
    assert (panel.space, panel.N.value) == ("darts", 5)
    panel.kind.value = "tnb101_micro"
    assert (panel.space, panel.N.value) == ("tnb101_micro", 1)


def test_supernet_run_shows_epochs_and_results_and_saves_its_supernets(tmp_path):
    dash = SearchDashboard(tmp_path / "runs")
    seen = training_mode(dash, tasks=("digits",), budget=8, algorithm="ktnas")
    dash.training.kind.value = "supernet"
    dash.training.N.value = 3
    dash.population.value, dash.tournament.value = 4, 2
    handle = dash.start()
    assert handle is not None, dash.status.value
    assert isinstance(dash.training.evaluator, SupernetEvaluator)
    pump_until_done(dash, handle, timeout=300)
    assert handle.state == "finished", dash.status.value
    assert handle.config["evaluator"]["kind"] == "supernet" and handle.result.tasks["digits"].n_evals == 8
    assert any(v.startswith("supernet of digits: epoch 1") for v in seen)
    assert len(list((handle.run_dir / "supernet").glob("supernet-*.pt"))) == 1
    files = links(dash.results.value)
    row, = json.loads(files[f"{handle.run_dir.name}.json"])
    assert row["best_cell"].startswith("normal:") and row["evals"] == 8 and row["test_accuracy"] is None
    best = max(e.score for e in read_events(handle.run_dir / "events.jsonl") if isinstance(e, Evaluated))
    assert row["valid_accuracy"] == best
