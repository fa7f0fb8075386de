"""The shipped tables rebuild byte for byte from the raw sources."""

import subprocess
import sys

from tests.conftest import requires_shared_data


@requires_shared_data
def test_tables_rebuild_byte_for_byte(repo_root, shared_data):
    proc = subprocess.run(
        [sys.executable, "benchmarks/build_tables.py", "--check", "--data", str(shared_data)],
        cwd=repo_root, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("identical") == 4, proc.stdout
