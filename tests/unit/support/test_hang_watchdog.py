"""The suite's last resort against a hang (tests/conftest.py): a test that pytest-timeout's
signal cannot stop (its SIGALRM blocked here) still ends, with its stacks in the output, and
its worker process exits instead of stalling the whole run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.support.proc import run

REPO = Path(__file__).resolve().parents[3]

HUNG = """
import signal, time

def test_that_ignores_the_alarm():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(120)
"""


def test_a_test_deaf_to_the_timeout_signal_still_ends_with_its_stacks(tmp_path: Path) -> None:
    (tmp_path / "test_hung.py").write_text(HUNG)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "KUBESVC_TEST_HARD_GRACE": "1",
    }
    proc = run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            "-o",
            "timeout=1",
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_hung.py"),
        ],
        env=env,
        cwd=str(tmp_path),
        timeout=100,
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert "test_hung.py::test_that_ignores_the_alarm still runs" in out
    assert "in test_that_ignores_the_alarm" in out  # where it hung
