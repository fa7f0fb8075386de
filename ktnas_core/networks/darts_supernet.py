"""The weight-sharing one-shot supernet of the DARTS-style space (EMT-NAS trains one per task).

It shares the skeleton of :class:`~ktnas_core.networks.darts.DartsNetwork` (stem, cells,
classifier) but each cell holds every operation on every edge; :meth:`DartsSupernet.extract`
copies the chosen modules into a discrete network.

Examples
--------
>>> import torch
>>> from ktnas_core.spaces import get_space
>>> genome = get_space("darts").sample(0)
>>> supernet = DartsSupernet(C=8, layers=5, in_channels=1).eval()
>>> x = torch.randn(2, 1, 28, 28)
>>> with torch.no_grad():
...     torch.allclose(supernet(x, genome), supernet.extract(genome).eval()(x), atol=1e-6)
True
"""

from __future__ import annotations

from torch import nn

from ..spaces.darts import DARTS_OPS, N_BLOCKS
from .darts import BaseCell, DartsNetwork, Skeleton, cell_blocks, coerce_genome, make_op

__all__ = ["DartsSupernet", "SuperCell"]


class SuperCell(BaseCell):
    """A supernet cell: ``edges[k][i][o]`` is op ``o`` from input ``i`` to block ``k``."""

    def __init__(self, c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool):
        super().__init__(c_pp, c_p, c, reduction, reduction_prev)
        self.edges = nn.ModuleList()
        for k in range(N_BLOCKS):
            ops = [nn.ModuleList(make_op(o, c, self._stride(i)) for o in DARTS_OPS) for i in range(k + 2)]
            self.edges.append(nn.ModuleList(ops))

    def picks(self, blocks) -> list:
        """The ten ``(module, input)`` pairs that ``blocks`` chooses."""
        return [(self.edges[k][i][o], i) for k, (ia, ib, oa, ob) in enumerate(blocks)
                for i, o in ((ia, oa), (ib, ob))]  # fmt: skip

    def forward(self, s0, s1, blocks, drop_prob: float = 0.0):
        return self._run(s0, s1, self.picks(blocks), drop_prob)


class DartsSupernet(Skeleton):
    """The weight-sharing one-shot supernet of the DARTS-style skeleton.

    Each cell holds one module per DARTS edge and operation: for block ``k``,
    input ``i`` in ``0..k+1`` and each of the 9 operations (180 modules per
    cell); stem, preprocessing, output projections and classifier are shared
    by all architectures.  ``forward(x, arch)`` runs only the modules that
    ``arch`` picks (one architecture per mini-batch, as EMT-NAS trains it);
    a block whose two slots pick the same input and op uses that module twice.
    BatchNorm is affine everywhere, as in the discrete network, so
    :meth:`extract` copies weights one to one.  Parameters as for
    :func:`build_darts_network` (no auxiliary head; drop-path is available
    but off by default).
    """

    def __init__(self, C: int = 16, layers: int = 8, num_classes: int = 10, in_channels: int = 3,
                 drop_path_prob: float = 0.0):  # fmt: skip
        super().__init__(SuperCell, C, layers, num_classes, in_channels, False, drop_path_prob)

    def forward(self, x, arch):
        blocks = cell_blocks(coerce_genome(arch))
        return self._run(x, lambda cell, s0, s1, p: cell(s0, s1, blocks[cell.reduction], p))

    def extract(self, arch, auxiliary: bool = False, drop_path_prob: float = 0.0) -> DartsNetwork:
        """A :class:`DartsNetwork` for ``arch`` whose weights and BatchNorm
        statistics are copies of this supernet's (stem, preprocessing, the
        chosen ops, output projections, classifier).

        It lives on the supernet's device and dtype and starts in the
        supernet's mode; an auxiliary head, if asked for, is freshly
        initialised.  Later training of either network leaves the other as is.
        """
        genome = coerce_genome(arch)
        net = DartsNetwork(genome, C=self.C, layers=self.layers, num_classes=self.num_classes,
                           in_channels=self.in_channels, auxiliary=auxiliary,
                           drop_path_prob=drop_path_prob)  # fmt: skip
        ref = next(self.parameters())
        net.to(device=ref.device, dtype=ref.dtype)
        blocks = cell_blocks(genome)
        pairs = [(net.stem, self.stem), (net.classifier, self.classifier)]
        for mine, theirs in zip(net.cells, self.cells):
            shared = ("preprocess0", "preprocess1", "project")
            pairs += [(getattr(mine, n), getattr(theirs, n)) for n in shared]
            chosen = theirs.picks(blocks[theirs.reduction])
            pairs += [(op, module) for op, (module, _) in zip(mine.ops, chosen)]
        for mine, theirs in pairs:
            mine.load_state_dict(theirs.state_dict())
        return net.train(self.training)
