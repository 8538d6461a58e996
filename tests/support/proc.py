"""Bounded child processes for tests.

`subprocess.run(..., timeout=T)` kills only the direct child on timeout and then waits for its
pipes to close: a grandchild that inherited them (an editor kubectl started, a shell's
command) keeps that wait going forever.  `run` starts the child in its own session and, on
timeout, kills the whole group, so a test's wait is always bounded.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from typing import IO, AnyStr


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


class LineReader:
    """The lines a child writes to one of its pipes, read by a daemon thread, so that a test
    waits for the next one with a deadline (a bare `readline()` on a child that prints nothing
    more, but does not exit either, waits forever).

        proc = subprocess.Popen(argv, stdout=PIPE, start_new_session=True, ...)
        lines = LineReader(proc.stdout)
        first = lines.next(timeout=30)   # "" once the pipe is closed (the child exited)
    """

    def __init__(self, stream: IO[AnyStr]) -> None:
        self._lines: queue.Queue[AnyStr | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[AnyStr]) -> None:
        try:
            for line in stream:
                self._lines.put(line)
        except (OSError, ValueError):
            pass  # closed under us
        finally:
            self._lines.put(None)

    def next(self, timeout: float = 30) -> AnyStr | None:
        """The next whole or last line; None once the stream has ended.  Raises TimeoutError
        when nothing comes within `timeout` seconds."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no output from the child within {timeout}s") from None
        if line is None:
            self._lines.put(None)  # stays ended
        return line

    def rest(self, timeout: float = 10) -> list[AnyStr]:
        """Every line still to come until the stream ends (the child exited or was killed),
        waiting at most `timeout` seconds for that end."""
        self._thread.join(timeout)
        out: list[AnyStr] = []
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return out
            if line is None:
                self._lines.put(None)
                return out
            out.append(line)
