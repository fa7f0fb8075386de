"""The dashboard's transfer roles: which tasks send cells and which receive them."""

from __future__ import annotations

from ktnas_core.search import Transferred, read_events
from widgets import SearchDashboard


def test_roles_reach_the_search_and_bad_names_are_reported(tmp_path):
    dash = SearchDashboard(tmp_path / "runs")
    dash.algorithm.value, dash.budget.value = "ktnas", 40
    dash.roles.sources.value, dash.roles.targets.value = "cifar100", "cifar10, ImageNet16-120"
    handle = dash.start()
    assert handle is not None and handle.wait(60)
    dash.pump()
    transfers = [e for e in read_events(handle.run_dir / "events.jsonl") if isinstance(e, Transferred)]
    assert transfers and {e.source for e in transfers} == {"cifar100"}
    assert {e.target for e in transfers} == {"cifar10", "ImageNet16-120"}
    assert handle.config["strategy"]["params"]["targets"] == ["cifar10", "ImageNet16-120"]
    dash.roles.targets.value = "svhn"
    assert dash.start() is None
    assert "targets=[&#x27;svhn&#x27;] must be a list of the run&#x27;s tasks" in dash.status.value  # HTML-escaped
    dash.algorithm.value = "rea"
    assert dash.knobs.layout.display == "none"  # no transfer, no roles
