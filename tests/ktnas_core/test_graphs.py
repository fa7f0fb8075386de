"""Architecture graphs: one convention for every space."""

import networkx as nx
import numpy as np
import pytest

from ktnas_core.errors import InvalidArchitectureError
from ktnas_core.graphs import CELL_ADJACENCY, cell_matrices, to_graph
from ktnas_core.spaces import get_space

RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"


@pytest.mark.parametrize("space", ["nb201", "tnb101_micro"])
def test_cell_graph_convention(space):
    s = get_space(space)
    for i in (0, 77, len(s) - 1):
        arch = s.from_index(i)
        g = to_graph(arch)
        assert nx.is_directed_acyclic_graph(g)
        assert list(g) == list(range(8))
        assert g.nodes[0]["kind"] == "input" and g.nodes[7]["kind"] == "output"
        assert [g.nodes[n]["op"] for n in range(1, 7)] == list(arch.op_names)
        assert nx.to_numpy_array(g, nodelist=range(8), dtype=int).tolist() == CELL_ADJACENCY.tolist()
        assert g.graph["arch"] == str(arch) and g.graph["space"] == space


def test_cell_graph_wiring():
    g = to_graph(RESNET)
    # op node of edge i->j reads the op nodes of the edges that end in cell node i
    for n in range(1, 7):
        i, j = g.nodes[n]["edge"]
        preds = sorted(g.predecessors(n))
        expected = [0] if i == 0 else [m for m in range(1, 7) if g.nodes[m]["edge"][1] == i]
        assert preds == expected
        succ = sorted(g.successors(n))
        expected = [7] if j == 3 else [m for m in range(1, 7) if g.nodes[m]["edge"][0] == j]
        assert succ == expected
    # every path from input to output passes one op node per cell edge used
    assert len(list(nx.all_simple_paths(g, 0, 7))) == 4  # 0-3, 0-1-3, 0-2-3, 0-1-2-3


def test_cell_matrices():
    adj, ops = cell_matrices(RESNET)
    assert adj is CELL_ADJACENCY and not adj.flags.writeable
    assert ops.tolist() == [0, 4, 1, 4, 2, 1, 2, 6]  # nb201 op index + 1; output = 5 ops + 1
    with pytest.raises(InvalidArchitectureError, match="needs an NB201 or TransNAS micro cell"):
        cell_matrices(get_space("darts").sample(0))


def test_darts_graph():
    d = get_space("darts")
    genome = d.make([0, 1, 0, 6] + [2, 0, 3, 7] * 4 + [1, 0, 8, 8] + [0, 1, 2, 2] * 4)
    g = to_graph(genome)
    assert nx.is_directed_acyclic_graph(g)
    assert nx.number_weakly_connected_components(g) == 2
    normal = [n for n, a in g.nodes(data=True) if a["cell"] == "normal"]
    assert len(normal) == 2 + 10 + 1
    assert g.nodes["normal/b0a"]["op"] == "sep_conv_3x3" and g.nodes["normal/b0b"]["op"] == "skip_connect"
    # block 1 slot a reads input 2 = block 0's output: both op nodes of block 0
    assert sorted(g.predecessors("normal/b1a")) == ["normal/b0a", "normal/b0b"]
    assert sorted(g.predecessors("normal/b1b")) == ["normal/c_k-2"]
    assert g.in_degree("normal/output") == 10
    for _ in range(20):
        assert nx.is_directed_acyclic_graph(to_graph(d.sample(np.random.default_rng(_))))


def test_strings_and_errors():
    assert to_graph("64-41414-3_33_333").graph["space"] == "tnb101_micro"
    with pytest.raises(InvalidArchitectureError, match="is not a cell of nb201, tnb101_micro or darts"):
        to_graph("|nope~0|")
    with pytest.raises(InvalidArchitectureError, match="is not an architecture"):
        to_graph(3.5)
