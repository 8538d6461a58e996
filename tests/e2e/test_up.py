"""`kubesvc up` — the front door: one command brings up the apiserver and the controller-manager.

Asserted as a user sees it: the kubeconfig path is printed, kubectl works with it, a
LoadBalancer Service gets an EXTERNAL-IP from the default pool (which needs the
controller-manager child), a killed controller-manager is restarted, and Ctrl-C (SIGINT to
the process group) stops everything without a spurious restart.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.proc import run as proc_run

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _kubectl(kubeconfig: str, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return proc_run(["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", str(cache), *args], timeout=60)


def _children(pid: int) -> list[int]:
    """The live child processes of `pid`, from /proc (no `ps` needed on a slim machine)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry))
    return sorted(out)


@pytest.mark.kubectl
def test_up_runs_apiserver_and_controllers_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log = open(tmp_path / "up.log", "w+")  # noqa: SIM115 - kept open for the process' lifetime
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubesvc",
            "up",
            "--data-dir",
            str(data),
            "--secure-port",
            str(_free_port()),
            "--controller-manager-metrics-bind-address",
            f"127.0.0.1:{_free_port()}",
        ],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # its own process group, as a terminal would give it
    )
    child_pids: list[int] = []
    try:
        deadline = time.monotonic() + 60
        kubeconfig = None
        while time.monotonic() < deadline and kubeconfig is None:
            log.seek(0)
            m = re.search(r"^kubeconfig: (\S+)$", log.read(), re.M)
            kubeconfig = m.group(1) if m else None
            time.sleep(0.2)
        assert kubeconfig == str(data / "kubeconfig"), "up must print the admin kubeconfig path"
        assert (os.stat(kubeconfig).st_mode & 0o777) == 0o600

        cache = tmp_path / "cache"
        created = _kubectl(kubeconfig, cache, "create", "service", "loadbalancer", "lb", "--tcp=80:8080")
        assert created.returncode == 0, created.stderr
        external = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            got = _kubectl(
                kubeconfig, cache, "get", "svc", "lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"
            )
            external = got.stdout.strip()
            if external:
                break
            time.sleep(0.3)
        assert external.startswith("172.18.255."), "the controller-manager started by up assigns LB IPs"

        table = _kubectl(kubeconfig, cache, "get", "svc", "lb").stdout
        assert external in table and re.search(r"80:3\d{4}/TCP", table), table
        child_pids = _children(proc.pid)
        assert child_pids, "up runs the controller-manager as a child process"

        # A crashed controller-manager is restarted.
        os.kill(child_pids[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            fresh = [p for p in _children(proc.pid) if p not in child_pids]
            if fresh:
                break
            time.sleep(0.2)
        assert fresh, "up restarts a controller-manager that died"
        child_pids += fresh
    finally:
        # Ctrl-C in a terminal: SIGINT to the whole group; a shutdown, not a crash to restart.
        os.killpg(proc.pid, signal.SIGINT)
        try:
            rc = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            rc = proc.wait(10)
            pytest.fail("up did not stop on SIGINT")
        for pid in child_pids:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                continue
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"child {pid} outlived up")
        log.seek(0)
        output = log.read()
        log.close()
    assert rc == 0
    assert output.count("restarting in") == 1, output
