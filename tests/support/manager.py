"""`python -m kubesvc controller-manager` as a child process of a test: started against a test
apiserver's kubeconfig, its output in a log file, ready once it logs "started controllers",
stopped by PID (SIGTERM, then SIGKILL) even when the start fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.apiserver import REPO


@dataclass
class ControllerManager:
    proc: subprocess.Popen[bytes]
    log: Path

    def logs(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


def start_controller_manager(
    kubeconfig: Path | str, log: Path, *flags: str, timeout: float = 60.0
) -> ControllerManager:
    """Start it with `flags` and wait until it has started its controllers (after winning the
    lease when leader election is on); fails with its log if it exits or is not ready in time."""
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "kubesvc", "controller-manager", f"--kubeconfig={kubeconfig}", *flags]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True
        )
    cm = ControllerManager(proc, log)
    try:
        deadline = time.monotonic() + timeout
        while "started controllers" not in cm.logs():
            if proc.poll() is not None:
                raise AssertionError(f"controller-manager exited:\n{cm.logs()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"controller-manager not ready within {timeout}s:\n{cm.logs()}")
            time.sleep(0.1)
    except BaseException:
        cm.stop()
        raise
    return cm
