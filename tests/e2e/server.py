"""What the browser tests share: Chromium's path and flags, and a served app on a free port."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, Mapping

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]  # fmt: skip
ARTIFACTS = ROOT / "artifacts"


class ServedUrl(str):
    """The app's URL, with ``pid``: the server's process id (its kernels are its children)."""

    pid: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def hosted(args: list[str], env: Mapping[str, str], log: Path, timeout: float = 60.0) -> Iterator[str]:
    """``python -m widgets.hosting ARGS`` (as ``make app`` runs it) on a free port, its output in ``log``;
    yields its URL (a :class:`ServedUrl`) once it listens and stops it afterwards."""
    port = free_port()
    env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "widgets.hosting", f"--port={port}", *args], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"the app exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"the app did not listen within {timeout:.0f} s:\n{log.read_text()[-3000:]}")
                    time.sleep(0.25)
            url = ServedUrl(f"http://127.0.0.1:{port}/")
            url.pid = proc.pid
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def wait_for_pool(log: Path, timeout: float = 120.0, ready: int = 1) -> None:
    """Until the served app says ``ready`` preheated kernels have built the app (``widgets.hosting``
    keeps ``KTNAS_PREHEAT`` of them; the server logs the count as it changes, and the latest count is
    the one that holds), so that a test times a visit, not the server's start or a pool refilling."""
    deadline = time.monotonic() + timeout
    while int((re.findall(r"ktnas: (\d+) preheated kernel", log.read_text()) or [0])[-1]) < ready:
        if time.monotonic() > deadline:
            pytest.fail(f"no preheated kernel within {timeout:.0f} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)
