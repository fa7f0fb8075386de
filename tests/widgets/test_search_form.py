"""The search dashboard's configuration form: which knobs each strategy shows."""

from __future__ import annotations

import pytest

from widgets.search_form import SearchForm


@pytest.fixture
def form():
    return SearchForm()


@pytest.mark.parametrize("algorithm, knobs, ranking, evolution", [
    ("ktnas", "flex", None, "flex"), ("ktnas-onehot", "flex", None, "flex"),
    ("random-transfer", "flex", "none", "flex"), ("rea", "none", "none", "flex"), ("random", "none", "none", "none")])
def test_knobs_show_only_for_strategies_that_use_them(form, algorithm, knobs, ranking, evolution):
    form.algorithm.value = algorithm
    assert form.knobs.layout.display == knobs
    assert form.top.layout.display == form.window.layout.display == form.embedding.layout.display == ranking
    assert form.evolution_knobs.layout.display == evolution
    assert form.budget.layout.display is None  # each control owns its layout
    if algorithm == "ktnas-onehot":
        assert form.embedding.value == "onehot"
