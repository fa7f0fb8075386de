"""Which tasks send cells and which receive them, for the search dashboard.

>>> roles = TaskRoles()
>>> roles.sources.value = "cifar10"
>>> roles.overrides()
{'sources': ['cifar10']}
"""

from __future__ import annotations

import ipywidgets as w

__all__ = ["TaskRoles"]


class TaskRoles(w.HBox):
    """Two comma-separated task lists: the tasks that send cells and those that receive them
    (blank: every task). The search checks the names and reports unknown ones."""

    def __init__(self, **kwargs):
        style, layout = {"description_width": "110px"}, w.Layout(width="330px")
        self.sources = w.Text(description="Transfer from", placeholder="all tasks", style=style, layout=layout)
        self.targets = w.Text(description="Transfer into", placeholder="all tasks", style=style, layout=layout)
        kwargs.setdefault("layout", w.Layout(flex_flow="row wrap", grid_gap="6px 18px"))
        super().__init__([self.sources, self.targets], **kwargs)

    def overrides(self) -> dict:
        """``sources`` / ``targets`` keyword arguments of the strategy (only the non-blank ones)."""
        out = {}
        for name, box in (("sources", self.sources), ("targets", self.targets)):
            names = [t.strip() for t in box.value.split(",") if t.strip()]
            if names:
                out[name] = names
        return out
