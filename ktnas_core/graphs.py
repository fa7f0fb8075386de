"""Architectures as graphs, with operations as labelled nodes.

Convention (the usual NAS-Bench-201 one, used by arch2vec and the app's cell
view): a cell of NB201 or TransNAS-Bench-101 micro becomes a DAG of 8 nodes:

* node 0, ``kind="input"``, ``op="input"``: the cell input;
* nodes 1..6, ``kind="op"``: one per edge of the cell, in string order
  (edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3), ``op`` = its operation name,
  ``edge`` = ``(i, j)``;
* node 7, ``kind="output"``, ``op="output"``: the cell output.

An operation node on edge ``i -> j`` reads the input node (``i = 0``) or the
operation nodes of every edge that ends in cell node ``i``; it feeds the
operation nodes of every edge that starts at ``j``, or the output (``j = 3``).
``none`` operations are kept as nodes (their label says ``none``), so every
cell has the same 8 nodes and 10 edges and only labels differ.

A DARTS-style genome becomes one graph with two components, ``normal`` and
``reduce`` (node attribute ``cell``): per cell two input nodes (``c_{k-2}``,
``c_{k-1}``), one operation node per (block, slot), and one output node that
concatenates all five blocks.  Operation nodes of block ``k`` read the
operation nodes of the block they take as input (or a cell input).

Examples
--------
>>> from ktnas_core.graphs import to_graph
>>> g = to_graph("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|")
>>> g.number_of_nodes(), g.number_of_edges()
(8, 10)
>>> [g.nodes[n]["op"] for n in g]
['input', 'nor_conv_3x3', 'none', 'nor_conv_3x3', 'skip_connect', 'none', 'skip_connect', 'output']
>>> sorted(g.predecessors(3))  # edge 1->2 reads what edge 0->1 produced
[1]
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from .errors import InvalidArchitectureError
from .spaces import get_space
from .spaces.cell import EDGES, CellArchitecture
from .spaces.darts import CELLS, DARTS_OPS, DartsGenome

__all__ = ["CELL_ADJACENCY", "to_graph", "cell_matrices"]

N_CELL_NODES = len(EDGES) + 2


def _cell_adjacency() -> np.ndarray:
    adj = np.zeros((N_CELL_NODES, N_CELL_NODES), dtype=np.int8)
    for a, (i, j) in enumerate(EDGES, start=1):
        if i == 0:
            adj[0, a] = 1
        for b, (k, _) in enumerate(EDGES, start=1):
            if k == j:
                adj[a, b] = 1
        if j == 3:
            adj[a, N_CELL_NODES - 1] = 1
    adj.flags.writeable = False
    return adj


#: the fixed 8x8 adjacency of every NB201 / TransNAS micro cell graph (row -> column)
CELL_ADJACENCY = _cell_adjacency()


def _coerce(arch: Any):
    if isinstance(arch, (CellArchitecture, DartsGenome)):
        return arch
    if isinstance(arch, str):
        for name in ("nb201", "tnb101_micro", "darts"):
            try:
                return get_space(name).parse(arch)
            except InvalidArchitectureError:
                continue
        raise InvalidArchitectureError(
            f"{arch!r} is not a cell of nb201, tnb101_micro or darts; pass an architecture object "
            "or a canonical string"
        )
    raise InvalidArchitectureError(f"{arch!r} (type {type(arch).__name__}) is not an architecture")


def to_graph(arch: Any) -> nx.DiGraph:
    """The graph of ``arch`` (an architecture or its canonical string); see module doc."""
    arch = _coerce(arch)
    if isinstance(arch, DartsGenome):
        return _darts_graph(arch)
    g = nx.DiGraph(space=arch.space_name, arch=str(arch))
    g.add_node(0, kind="input", op="input")
    for a, ((i, j), name) in enumerate(zip(EDGES, arch.op_names), start=1):
        g.add_node(a, kind="op", op=name, edge=(i, j))
    g.add_node(N_CELL_NODES - 1, kind="output", op="output")
    g.add_edges_from((int(u), int(v)) for u, v in zip(*np.nonzero(CELL_ADJACENCY)))
    return g


def cell_matrices(arch: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(adjacency, op_index)`` of a cell graph: the fixed 8x8 adjacency and,
    per node, an operation id (0 = input, 1..k = the space's ops, k+1 = output).

    Examples
    --------
    >>> adj, ops = cell_matrices("64-41414-3_33_333")
    >>> adj.shape, ops.tolist()
    ((8, 8), [0, 4, 4, 4, 4, 4, 4, 5])
    """
    arch = _coerce(arch)
    if not isinstance(arch, CellArchitecture):
        raise InvalidArchitectureError(f"cell_matrices needs an NB201 or TransNAS micro cell, not {arch!r}")
    n_ops = len(arch.space.ops)
    return CELL_ADJACENCY, np.array([0, *(o + 1 for o in arch.ops), n_ops + 1], dtype=np.int64)


def _darts_graph(arch: DartsGenome) -> nx.DiGraph:
    g = nx.DiGraph(space="darts", arch=str(arch))
    for c, cell in enumerate(CELLS):
        inputs = {0: f"{cell}/c_k-2", 1: f"{cell}/c_k-1"}
        for k, name in inputs.items():
            g.add_node(name, kind="input", op="input", cell=cell)
        out = f"{cell}/output"
        block_ops: dict[int, list[str]] = {}
        genes = arch.genome[c * 20:(c + 1) * 20]
        for b in range(5):
            ia, ib, oa, ob = genes[4 * b:4 * b + 4]
            nodes = []
            for slot, (inp, op) in enumerate(((ia, oa), (ib, ob))):
                node = f"{cell}/b{b}{'ab'[slot]}"
                g.add_node(node, kind="op", op=DARTS_OPS[op], cell=cell, block=b, input=inp)
                sources = [inputs[inp]] if inp < 2 else block_ops[inp - 2]
                g.add_edges_from((s, node) for s in sources)
                nodes.append(node)
            block_ops[b] = nodes
        g.add_node(out, kind="output", op="output", cell=cell)
        g.add_edges_from((n, out) for nodes in block_ops.values() for n in nodes)
    return g
