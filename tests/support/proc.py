"""Bounded child processes for tests.

`subprocess.run(..., timeout=T)` kills only the direct child on timeout and then waits for its
pipes to close: a grandchild that inherited them (an editor kubectl started, a shell's
command) keeps that wait going forever.  `run` starts the child in its own session and, on
timeout, kills the whole group, so a test's wait is always bounded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence


def kill_group(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group (it leads one: start_new_session=True)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def run(
    argv: Sequence[str],
    *,
    input: str | None = None,
    timeout: float = 60,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Like `subprocess.run(argv, input=..., capture_output=True, text=True, timeout=...)`;
    stdin is the given text or /dev/null, never the test runner's own stdin."""
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            out, err = "", ""
        raise subprocess.TimeoutExpired(list(argv), timeout, output=out, stderr=err) from None
    finally:
        kill_group(proc)  # nothing it started outlives it
        if proc.poll() is None:
            proc.wait(5)
    return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)
