"""Measure how fast NB201 networks train: images per second, on the CPU and (when present) on CUDA.

Two settings, each on real data:

* ``nb201``: the NAS-Bench-201 network itself (C=16, N=5) on Fashion-MNIST 28x28
  (Debian's ``dataset-fashion-mnist``; the setting is skipped with a note when the files
  are missing);
* ``small``: the CPU setting of :class:`~ktnas_core.evaluation.training.TrainingEvaluator`
  (C=8, N=1) on scikit-learn's 8x8 digits.

Images/s counts training steps only (forward, backward, SGD step, as the evaluator
runs them, with bfloat16/float16 autocast on CUDA), after warm-up steps.  For the small
setting it also reports the wall seconds of one whole candidate of the evaluator's
defaults (5 epochs on the digits train split, validation after each epoch, test at the end).

It then trains the same ``--candidates`` cells (the small setting, ``--epochs`` each) one
after another in this process, on a 2-worker process pool and on a 2-worker Dask
``LocalCluster`` (when ``distributed`` is installed), side by side in one run, and reports
each path's wall seconds and its speed-up over the serial path.  The pool and the cluster
are started (and each worker has loaded the data set) before the clock starts; their start
seconds are reported apart.  The scores of the three paths must agree (checked).

Usage::

    python benchmarks/bench_train.py [--steps 20] [--threads 1] [--candidates 8] [--epochs 2] [--workers 2]
                                     [--settings nb201,small] [--dask-profiler both|on|off] [--json]

``--settings`` names the images/s settings to measure (``none``: only the parallel paths);
``--dask-profiler`` which Dask clusters run: with Dask's stack profiler (its default), without
it, or both side by side (the default here, to show what the profiler costs).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
SETTINGS = {"nb201": {"C": 16, "N": 5, "dataset": "fashion-mnist"},
            "small": {"C": 8, "N": 1, "dataset": "digits"}}


def images_per_second(setting: str, device: str, steps: int, batch_size: int, threads: int) -> dict:
    import torch

    from ktnas_core.datasets import load_dataset
    from ktnas_core.networks.nb201 import build_nb201_network, count_parameters
    from ktnas_core.torch_session import torch_session

    spec = SETTINGS[setting]
    ds = load_dataset(spec["dataset"], subset={"train": batch_size * 8, "valid": 1, "test": 1})
    x = torch.as_tensor(ds.x_train).to(device)
    y = torch.as_tensor(ds.y_train).to(device)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1).contiguous()
    cuda = device != "cpu"
    amp = (torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16) if cuda else None
    with torch_session(0, threads=threads, device=device) as torch:
        model = build_nb201_network(CELL, C=spec["C"], N=spec["N"], num_classes=ds.num_classes).to(device)
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
        scaler = torch.amp.GradScaler("cuda", enabled=amp is torch.float16)
        model.train()

        def step(i):
            s = (i * batch_size) % (len(y) - batch_size + 1)
            with torch.autocast("cuda", dtype=amp or torch.float16, enabled=amp is not None):
                loss = torch.nn.functional.cross_entropy(model(x[s:s + batch_size]), y[s:s + batch_size])
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()

        for i in range(max(3, steps // 5)):
            step(i)
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for i in range(steps):
            step(i)
        if cuda:
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
    return {"setting": setting, "device": device, "dataset": ds.name, "image_size": ds.image_size,
            "C": spec["C"], "N": spec["N"], "params": count_parameters(model), "batch_size": batch_size,
            "steps": steps, "amp": None if amp is None else str(amp).replace("torch.", ""),
            "images_per_s": steps * batch_size / seconds}


def candidate_seconds(device: str, threads: int) -> float:
    from ktnas_core.evaluation.training import TrainingEvaluator

    ev = TrainingEvaluator({"digits": "digits"}, device=device, threads=threads)
    ev.evaluate(["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"], "digits")  # warm-up
    e, = ev.evaluate([CELL], "digits")
    return e.cost_s


def parallel_speedup(candidates: int, epochs: int, workers: int, dask_profiler: str = "both") -> dict:
    """Wall seconds to train ``candidates`` small cells serially, on a process pool and on Dask."""
    from ktnas_core.evaluation.trainer import process_pool
    from ktnas_core.evaluation.training import TrainingEvaluator
    from ktnas_core.spaces import get_space

    space = get_space("nb201")
    cells = list(dict.fromkeys(str(space.sample(i)) for i in range(4 * candidates)))[:candidates]
    settings = dict(epochs=epochs, C=8, N=1, device="cpu")
    data = {"digits": "digits"}
    TrainingEvaluator(data, **settings).evaluate(cells[:1], "digits")  # warm-up: data, kernels

    def timed(start_s, **kw):
        """The path's record (wall seconds, start, this process's CPU meanwhile, training inside the workers)
        and its scores."""
        ev = TrainingEvaluator(data, **settings, **kw)
        t0, c0 = time.perf_counter(), time.process_time()
        scores = [e.score for e in ev.evaluate(cells, "digits")]
        return {"seconds": time.perf_counter() - t0, "start_s": start_s,
                "coordinator_cpu_s": time.process_time() - c0,  # all threads of this process
                "train_s": sum(ev.details(c, "digits")["seconds"] for c in cells)}, scores

    out = {"candidates": candidates, "epochs": epochs, "workers": workers, "paths": {}}
    out["paths"]["serial"], serial_scores = timed(0.0)
    t0 = time.perf_counter()
    pool = process_pool(workers, devices=["cpu"] * workers)
    warm = [pool.submit(_warm_worker, i) for i in range(workers)]
    for f in warm:
        f.result()
    start = time.perf_counter() - t0
    try:
        out["paths"]["process pool"], scores = timed(start, executor=pool)
    finally:
        pool.shutdown()
    assert scores == serial_scores, "the process pool's scores differ from the serial ones"
    try:
        import distributed
    except ImportError:
        out["skipped"] = "dask: distributed is not installed"
    else:
        import dask

        on, off = ("dask LocalCluster", True), ("dask, no profiler", False)
        for name, profile in {"on": (on,), "off": (off,), "both": (on, off)}[dask_profiler]:
            t0 = time.perf_counter()  # Dask workers sample their threads' stacks every 10 ms unless told not to
            with dask.config.set({"distributed.worker.profile.enabled": profile}), distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
                    distributed.Client(cluster) as client:
                client.run(_warm_worker, 0)
                start = time.perf_counter() - t0
                out["paths"][name], scores = timed(start, executor=client.get_executor())
            assert scores == serial_scores, "the Dask cluster's scores differ from the serial ones"
    for r in out["paths"].values():
        r["speedup"] = out["paths"]["serial"]["seconds"] / r["seconds"]
    return out


def _warm_worker(_):
    """Import torch, load the data set and train once in a worker before the clock starts."""
    from ktnas_core.evaluation.trainer import TrainJob, train_candidate

    train_candidate(TrainJob(task="digits", arch=CELL, space="nb201", dataset={"name": "digits"}, epochs=1, C=8))
    return True


def _settings(text: str) -> tuple:
    """``--settings``: names of SETTINGS separated by commas, or ``none``."""
    names = () if text.strip() == "none" else tuple(n.strip() for n in text.split(","))
    unknown = [n for n in names if n not in SETTINGS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown setting(s) {unknown}; choose among {list(SETTINGS)} or none")
    return names


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="timed training steps per setting")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for torch")
    parser.add_argument("--candidates", type=int, default=8, help="cells trained by each parallel path (0: skip)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per candidate in the parallel comparison")
    parser.add_argument("--workers", type=int, default=2, help="workers of the pool and of the Dask cluster")
    parser.add_argument("--settings", type=_settings, default=tuple(SETTINGS),
                        help=f"comma-separated images/s settings among {', '.join(SETTINGS)}, or none")
    parser.add_argument("--dask-profiler", choices=("both", "on", "off"), default="both",
                        help="run the Dask cluster with its stack profiler, without it, or both")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    out = {"torch": torch.__version__, "python": platform.python_version(), "threads": args.threads,
           "gpu": torch.cuda.get_device_name(0) if "cuda" in devices else None, "results": [], "skipped": []}
    for device in devices:
        for setting in args.settings:
            try:
                r = images_per_second(setting, device, args.steps, args.batch_size, args.threads)
            except Exception as exc:  # e.g. the Fashion-MNIST files are not installed
                out["skipped"].append(f"{setting} on {device}: {type(exc).__name__}: {exc}")
                continue
            if setting == "small":
                r["candidate_s"] = candidate_seconds(device, args.threads)
            out["results"].append(r)
    if args.candidates:
        out["parallel"] = parallel_speedup(args.candidates, args.epochs, args.workers, args.dask_profiler)
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"torch {out['torch']}, {args.threads} CPU thread(s), GPU: {out['gpu'] or 'none'}")
    for r in out["results"]:
        extra = f", one default candidate {r['candidate_s']:.2f} s" if "candidate_s" in r else ""
        print(f"{r['setting']:>6} on {r['device']:<4} C={r['C']} N={r['N']} {r['dataset']} {r['image_size']}x"
              f"{r['image_size']} ({r['params']} params, batch {r['batch_size']}, amp {r['amp']}): "
              f"{r['images_per_s']:,.0f} images/s{extra}")
    for s in out["skipped"]:
        print("skipped:", s)
    if "parallel" in out:
        p = out["parallel"]
        print(f"{p['candidates']} small candidates x {p['epochs']} epochs on digits, {p['workers']} workers:")
        for name, r in p["paths"].items():
            print(f"  {name:<17} {r['seconds']:7.2f} s  speed-up {r['speedup']:.2f}x  (start {r['start_s']:.1f} s; "
                  f"training inside the workers {r['train_s']:.2f} s in all; this process's CPU meanwhile "
                  f"{r['coordinator_cpu_s']:.2f} s)")
        if "skipped" in p:
            print("  skipped:", p["skipped"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
