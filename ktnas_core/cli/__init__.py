"""The ``ktnas`` command: :func:`main` (:mod:`~ktnas_core.cli.main`) with its subcommands.

:mod:`~ktnas_core.cli.main` builds the parser and runs ``info`` and ``disorder``;
:mod:`~ktnas_core.cli.search` adds ``run``, ``resume`` and ``report``,
:mod:`~ktnas_core.cli.train` the training options of ``run``, :mod:`~ktnas_core.cli.reproduce`
the ``reproduce`` command; :mod:`~ktnas_core.cli.args` checks values they share.
``python -m ktnas_core.cli`` is the same as ``ktnas``.

Examples
--------
>>> from ktnas_core.cli import main
>>> main(["info", "nb201"])  # doctest: +ELLIPSIS
NAS-Bench-201 (nb201): 15,625 cells, 3 tasks
...
0
"""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
