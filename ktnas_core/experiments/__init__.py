"""The paper's experiments: their catalog, the reproduction of its tables, the DARTS protocol, ablations.

:mod:`~ktnas_core.experiments.catalog` lists the experiments and the paper's numbers;
:mod:`~ktnas_core.experiments.reproduce` runs them over many seeds and
:mod:`~ktnas_core.experiments.reproduce_report` tabulates and plots them, with
:mod:`~ktnas_core.experiments.stats` (intervals, paired tests);
:mod:`~ktnas_core.experiments.reproduce_darts` follows the DARTS search-then-retrain protocol;
:mod:`~ktnas_core.experiments.ablation` switches KTNAS's steps off one at a time;
:mod:`~ktnas_core.experiments.paper_results` holds reproductions for the app.  Submodules load
on use: ``from ktnas_core.experiments.reproduce import reproduce``.

Examples
--------
>>> from ktnas_core.experiments.catalog import experiment
>>> experiment("nb201").tasks
('cifar10', 'cifar100', 'ImageNet16-120')
"""
