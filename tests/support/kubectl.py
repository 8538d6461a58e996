"""The real kubectl against a test apiserver: the binary picked by version (the dispatcher on
PATH, or a versioned binary of the Google Cloud SDK layout), run with the server's kubeconfig
and a private cache dir; a failing command raises with its output and the server's log tail."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.apiserver import ApiServer
from tests.support.proc import run as proc_run

GCLOUD_BIN = Path("/usr/lib/google-cloud-sdk/bin")
DISPATCHER = shutil.which("kubectl")

Kubectl = Callable[..., subprocess.CompletedProcess[str]]


def binary(version: str | None) -> str:
    if version is None:
        assert DISPATCHER is not None
        return DISPATCHER
    path = GCLOUD_BIN / f"kubectl.{version}"
    if not path.exists():
        pytest.skip(f"kubectl {version} is not installed")
    return str(path)


def make_kubectl(
    srv: ApiServer,
    cache_dir: Path,
    namespace: str | None,
    version: str | None = None,
    kubeconfig: Path | None = None,
) -> Kubectl:
    exe = binary(version)

    def run(
        *args: str,
        check: bool = True,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        cmd = [exe, "--kubeconfig", str(kubeconfig or srv.kubeconfig), "--cache-dir", str(cache_dir)]
        if namespace:
            cmd += ["-n", namespace]
        full_env = dict(os.environ)
        full_env.update(env or {})
        proc = proc_run([*cmd, *args], input=stdin, timeout=timeout, env=full_env)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n"
                f"--- server log tail ---\n{srv.logs()[-3000:]}"
            )
        return proc

    return run


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def wait_for_watch(proc: subprocess.Popen[str], log: Path, timeout: float = 60) -> None:
    """Wait until a kubectl started with `-v=6` and its stderr in `log` has opened a watch (its
    round-tripper logs the `watch=true` request once the server answered it): from then on,
    what the test changes reaches it.  A fixed sleep instead is a race on a loaded machine,
    where kubectl alone can take seconds to start."""
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text(errors="replace") if log.exists() else ""
        if "watch=true" in text:
            return
        if proc.poll() is not None:
            raise AssertionError(f"kubectl exited ({proc.returncode}) before it watched:\n{text[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"kubectl did not start watching within {timeout}s:\n{text[-3000:]}")
        time.sleep(0.1)
