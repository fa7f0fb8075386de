"""The paper's DARTS-space protocol (Tables IV-VI): weight-sharing search, then retraining from scratch.

For each strategy (default: ``ktnas`` and the EMT-NAS-style ``emtnas``) and seed, a
multi-task search runs over the tasks with one :class:`~ktnas_core.evaluation.supernet.SupernetEvaluator`
supernet per task (one epoch per generation); every cell the search scored is then ranked
again by the final supernet (scores from early generations met a less trained supernet), the
top :data:`SHORTLIST` once more on every validation image (beyond the search's ``valid_batches``), and
each task's best cell by that final ranking and a random cell (the same for every strategy of a seed: the control) are retrained from scratch with
DARTS' recipe (:mod:`~ktnas_core.evaluation.trainer`, ``"darts"``: cutout, drop-path,
auxiliary head) on the task's training split and scored on its official test split.

Everything lands in a work folder, so the same call after a crash, a Ctrl-C or a stop
continues where it ended: searches resume from their run folders
(``<strategy>-seed<k>/run``, supernets in ``.../supernet``) and retrained cells come from
the cache (``trained/``).

Examples
--------
>>> sorted(TASK_SETS), PAPER_DARTS["mnist"]
(['cifar', 'medmnist', 'mnist'], (99.62, 0.17))
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from ..errors import ParameterError

__all__ = ["PAPER_DARTS", "PAPER_NO_TRANSFER", "TASK_SETS", "format_darts_table", "reproduce_darts",
           "summarize_darts"]

#: the paper's test accuracy (%) on the DARTS-style space, mean and std of 5 runs (std not given: None)
PAPER_DARTS = {"cifar10": (97.12, 0.10), "cifar100": (82.93, 0.19), "mnist": (99.62, 0.17),
               "fashion-mnist": (94.36, 0.46), "medmnist-pathmnist": (90.54, None),
               "medmnist-organamnist": (94.38, None), "medmnist-organcmnist": (91.57, None),
               "medmnist-organsmnist": (80.80, None)}
#: the paper's ablation without transfer (CIFAR only)
PAPER_NO_TRANSFER = {"cifar10": 96.64, "cifar100": 80.82}
#: the task groups the paper searches together
TASK_SETS = {"mnist": ("mnist", "fashion-mnist"), "cifar": ("cifar10", "cifar100"),
             "medmnist": ("medmnist-pathmnist", "medmnist-organamnist", "medmnist-organcmnist",
                          "medmnist-organsmnist")}
#: supernet search defaults (DARTS searched with C=16, 8 cells) and retraining defaults (DARTS' CIFAR network)
SEARCH_DEFAULTS = {"C": 16, "layers": 8, "batch_size": 64}
RETRAIN_DEFAULTS = {"epochs": 600, "C": 36, "N": 20, "batch_size": 96, "recipe": "darts", "lr": None}
#: the final ranking scores every cell a search met on the scoring images, then its top few on every validation image
SHORTLIST = 10


def _check_tasks(tasks: Sequence[str]) -> list[str]:
    from ..datasets import DATASETS

    tasks = list(tasks)
    bad = [t for t in tasks if t not in DATASETS]
    if isinstance(tasks, str) or len(tasks) < 1 or bad or len(set(tasks)) != len(tasks):
        raise ParameterError(f"tasks={tasks!r} must be distinct data set names; unknown: {bad}; allowed: "
                             f"{list(DATASETS)}")
    return tasks


def _best_cells(run_dir: Path, tasks: Sequence[str]) -> dict[str, tuple[str, float]]:
    from ..search.events import GenerationDone, read_events

    best: dict = {}
    for e in read_events(run_dir / "events.jsonl"):
        if isinstance(e, GenerationDone):
            best = e.best
    return {t: (best[t]["arch"], best[t]["score"]) for t in tasks if t in best}


def _search(work: Path, strategy: str, seed: int, tasks: list[str], datasets: dict, generations: int,
            population_size: int, search: dict, device: str, say: Callable[[str], None], stop) -> dict:
    from ..runs.driver import resume, run_search
    from ..search.events import GenerationDone
    from ..search.presets import make_strategy
    from ..runs.runner import FINISHED_REASONS, run_status
    from ..evaluation.supernet import SupernetEvaluator
    from ..evaluation.trainer import TrainingStopped

    run_dir = work / f"{strategy}-seed{seed}" / "run"
    ev = SupernetEvaluator(datasets, **search, schedule_epochs=generations, device=device, seed=seed,
                           state_dir=run_dir.parent / "supernet", stop=stop)
    t0 = time.perf_counter()

    def tell(event: Any) -> None:
        if isinstance(event, GenerationDone):
            best = ", ".join(f"{t} {b['score']:.1f}" for t, b in event.best.items())
            say(f"{strategy} seed {seed}: generation {event.generation + 1}/{generations}, supernet best {best}")

    saved = any((run_dir / name).exists() for name in ("checkpoint.json", "checkpoint.prev.json"))
    status = run_status(run_dir) if saved else None
    if status is None:
        if run_dir.exists():  # a run that died before its first checkpoint: start it again
            import shutil

            shutil.rmtree(run_dir)
        strat = make_strategy(strategy, "darts", tasks, population_size=population_size, n_offspring=population_size)
        result = run_search(strat, ev, max_generations=generations, seed=seed, run_dir=run_dir, callbacks=[tell],
                            stop=stop)
    elif status not in FINISHED_REASONS:
        say(f"{strategy} seed {seed}: resuming {run_dir}")
        result = resume(run_dir, evaluator=ev, callbacks=[tell], stop=stop)
    else:
        result = None
    if result is not None and result.reason == "stopped":
        raise TrainingStopped(f"the search stopped; call again with the same work folder to continue from {run_dir}")
    best = {}
    for task in tasks:  # the final ranking: every cell the search scored, by the final supernet
        cells = ev.scored_cells(task)
        finals = ev.rescore(cells, task)
        short = [cells[i] for i in sorted(range(len(cells)), key=lambda i: -finals[i])[:SHORTLIST]]
        wide = ev.rescore(short, task, all_valid=True)  # the top of many noisy scores is partly luck: look closer
        top = max(range(len(short)), key=wide.__getitem__)
        best[task] = (short[top], wide[top])
    say(f"{strategy} seed {seed}: final ranking by the trained supernets: "
        + ", ".join(f"{t} {s:.1f}" for t, (_, s) in best.items()))
    return {"best": best, "during_search": _best_cells(run_dir, tasks), "seconds": time.perf_counter() - t0,
            "run_dir": str(run_dir)}


def reproduce_darts(tasks: Sequence[str] = TASK_SETS["mnist"], *, strategies: Sequence[str] = ("ktnas", "emtnas"),
                    seeds: int = 1, generations: int = 20, population_size: int = 20, search: dict | None = None,
                    retrain: dict | None = None, retrain_seeds: int = 1, subset: int | dict | None = None,
                    device: str = "auto",
                    work_dir: str | Path = "runs/reproduce-darts", progress: Callable[[str], None] | None = None,
                    stop: Any = None) -> dict:
    """Search the DARTS-style space on ``tasks`` with each strategy and seed, then retrain what was found.

    Parameters
    ----------
    tasks : list of str
        Data set names searched together (:data:`TASK_SETS` has the paper's groups).
    strategies : list of str
        Presets of :func:`~ktnas_core.search.presets.make_strategy` (paper: KTNAS vs EMT-NAS).
    seeds, generations, population_size : int
        Seeds ``0..seeds-1``; generations of the GA; population (and children) per task.
    search : dict
        ``C``, ``layers``, ``batch_size``, ``valid_batches`` ... of the supernet (:data:`SEARCH_DEFAULTS`).
    retrain : dict
        ``epochs``, ``C``, ``N`` (cells), ``batch_size``, ``recipe``, ``lr`` of the retraining
        (:data:`RETRAIN_DEFAULTS`: DARTS' recipe and CIFAR network, 600 epochs as the paper on CIFAR;
        for quick checks lower the epochs, and on tiny subsets the ``"basic"`` recipe learns faster).
    retrain_seeds : int, default 1
        Times each found cell and each control is retrained (different initialisation and batch order);
        its test accuracy is the mean, so that the comparison with the control is not one draw of noise.
    subset : int, dict or None
        Images kept per split of every data set (``load_dataset``'s ``subset``), for quick runs.
    device : str
    work_dir : path
        Where runs, supernets and retrained cells are kept; calling again continues there.
    progress : callable(str) or None
        Told about every generation and every retraining epoch.
    stop : threading.Event or None
        Ends the work at the next batch (everything finished stays in ``work_dir``).

    Returns
    -------
    dict
        ``runs``: one record per (strategy, seed, task) with the found cell, its supernet score, its
        test accuracy (mean over ``retrain_seeds``; each in ``test_accuracies``) and parameters after
        retraining, and the random control's; ``seconds``.
    """
    from ..spaces import get_space
    from ..validation import check_int
    from ..evaluation.training import TrainingEvaluator

    tasks = _check_tasks(tasks)
    seeds, generations = check_int("seeds", seeds, 1, 1000), check_int("generations", generations, 1)
    population_size = check_int("population_size", population_size, 2)
    retrain_seeds = check_int("retrain_seeds", retrain_seeds, 1, 100)
    for name, given, allowed in (("search", search, ("C", "layers", "batch_size", "lr", "valid_batches", "pool_size",
                                                                 "warmup_epochs")),
                                 ("retrain", retrain, tuple(RETRAIN_DEFAULTS))):
        if given is not None and (not isinstance(given, dict) or set(given) - set(allowed)):
            raise ParameterError(f"{name}={given!r} must be a dict with keys among {list(allowed)}")
    search = {**SEARCH_DEFAULTS, **(search or {})}
    retrain = {**RETRAIN_DEFAULTS, **(retrain or {})}
    say = progress or (lambda message: None)
    work = Path(work_dir)
    datasets = {t: {"name": t, **({} if subset is None else {"subset": subset})} for t in tasks}
    t0, runs = time.perf_counter(), []
    for seed in range(seeds):
        trainers = [TrainingEvaluator(datasets, space="darts", **retrain, device=device, seed=seed + 1000 * r,
                                      cache_dir=work / "trained", stop=stop,
                                      on_epoch=lambda i: say(f"retraining on {i.task}: epoch {i.epoch}/{i.epochs}, "
                                                             f"validation {i.valid_accuracy:.2f} %"))
                    for r in range(retrain_seeds)]  # seeds below 1000: every (seed, r) trains apart
        control = str(get_space("darts").sample(10_000 + seed))
        for strategy in strategies:
            found = _search(work, strategy, seed, tasks, datasets, generations, population_size, search, device, say,
                            stop)
            for task in tasks:
                arch, supernet_score = found["best"][task]
                rows: dict = {}
                for role, cell in (("found", arch), ("random", control)):
                    for r, trainer in enumerate(trainers):
                        say(f"{strategy} seed {seed}: retraining the {role} cell on {task}"
                            + (f" ({r + 1}/{retrain_seeds})" if retrain_seeds > 1 else ""))
                        trainer.evaluate([cell], task)
                        rows.setdefault(role, []).append(trainer.details(cell, task))
                tests = {role: [d["test_accuracy"] for d in ds] for role, ds in rows.items()}
                runs.append({"strategy": strategy, "seed": seed, "task": task, "arch": arch,
                             "supernet_score": supernet_score, "best_during_search": found["during_search"][task][0],
                             "test_accuracy": statistics.fmean(tests["found"]), "test_accuracies": tests["found"],
                             "params": rows["found"][0]["params"],
                             "retrain_seconds": sum(d["seconds"] for d in rows["found"]),
                             "random_arch": control, "random_test_accuracy": statistics.fmean(tests["random"]),
                             "random_test_accuracies": tests["random"],
                             "random_params": rows["random"][0]["params"], "search_seconds": found["seconds"]})
    return {"tasks": tasks, "strategies": list(strategies), "seeds": seeds, "generations": generations,
            "population_size": population_size, "search": search, "retrain": retrain,
            "retrain_seeds": retrain_seeds, "subset": subset, "device": trainers[0].device, "runs": runs,
            "seconds": time.perf_counter() - t0}


def _mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summarize_darts(result: dict) -> list[dict]:
    """One row per (strategy, task): test accuracy mean and std, parameters, wins over the random control."""
    rows = []
    for strategy in result["strategies"]:
        for task in result["tasks"]:
            rs = [r for r in result["runs"] if (r["strategy"], r["task"]) == (strategy, task)]
            if not rs:
                continue
            mean, std = _mean_std([r["test_accuracy"] for r in rs])
            rmean, _ = _mean_std([r["random_test_accuracy"] for r in rs])
            rows.append({"strategy": strategy, "task": task, "test_mean": mean, "test_std": std,
                         "params_mean": statistics.fmean(r["params"] for r in rs), "random_test_mean": rmean,
                         "wins": sum(r["test_accuracy"] > r["random_test_accuracy"] for r in rs),
                         "ties": sum(r["test_accuracy"] == r["random_test_accuracy"] for r in rs), "runs": len(rs),
                         "paper": PAPER_DARTS.get(task) if strategy == "ktnas" else (
                             (PAPER_NO_TRANSFER[task], None) if strategy == "no-transfer" and task in
                             PAPER_NO_TRANSFER else None)})
    return rows


def format_darts_table(result: dict) -> str:
    """The summary as a fixed-width table, the paper's figure beside ours."""
    head = (f"{'strategy':<12} {'task':<22} {'test acc. %':>14} {'params':>10} {'random cell %':>14} "
            f"{'beats random':>13} {'paper %':>14}")
    lines = [head, "-" * len(head)]
    for r in summarize_darts(result):
        paper = "" if r["paper"] is None else f"{r['paper'][0]:.2f}" + (
            "" if r["paper"][1] is None else f" ± {r['paper'][1]:.2f}")
        lines.append(f"{r['strategy']:<12} {r['task']:<22} {r['test_mean']:>7.2f} ± {r['test_std']:<4.2f} "
                     f"{r['params_mean'] / 1e6:>9.3f}M {r['random_test_mean']:>14.2f} "
                     f"{r['wins']:>6} of {r['runs']:<4} {paper:>14}")
    g, p, rt = result["generations"], result["population_size"], result["retrain"]
    times = result.get("retrain_seeds", 1)
    lines.append(f"\nsearch: {g} generations x population {p}, supernet C={result['search']['C']} "
                 f"layers={result['search']['layers']}; retraining: {rt['epochs']} epochs, C={rt['C']} "
                 f"N={rt['N']}, {rt['recipe']} recipe" + (f", mean of {times} retrainings" if times > 1 else "")
                 + f"; device {result['device']}; subset {result['subset']}")
    return "\n".join(lines)
