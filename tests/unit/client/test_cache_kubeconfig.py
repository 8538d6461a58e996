"""Indexer (the informer cache), kubeconfig loading, errors mapping, backoff and the fake clock."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from kubesvc.aio.backoff import Backoff
from kubesvc.aio.clock import FakeClock
from kubesvc.client.cache import Indexer, ensure_index, object_key, split_key
from kubesvc.client.errors import (
    AlreadyExistsError,
    ApiError,
    ConflictError,
    GoneError,
    InvalidError,
    NotFoundError,
    ServerError,
    error_from_status,
)
from kubesvc.client.kubeconfig import KubeconfigError, load_kubeconfig


def obj(name: str, ns: str | None = "default", **labels: str) -> dict:
    m: dict = {"name": name, "labels": labels}
    if ns:
        m["namespace"] = ns
    return {"metadata": m}


def test_keys() -> None:
    assert object_key(obj("a")) == "default/a"
    assert object_key(obj("n1", None)) == "n1"
    assert split_key("default/a") == ("default", "a")
    assert split_key("n1") == ("", "n1")


def test_indexer_keeps_indexes_in_step_with_writes() -> None:
    idx = Indexer()
    idx.add_index("app", lambda o: [o["metadata"]["labels"].get("app", "")])
    idx.upsert(obj("a", app="web"))
    idx.upsert(obj("b", app="web"))
    idx.upsert(obj("c", "other", app="db"))
    assert sorted(o["metadata"]["name"] for o in idx.by_index("app", "web")) == ["a", "b"]
    assert [o["metadata"]["name"] for o in idx.by_index("namespace", "other")] == ["c"]
    old = idx.upsert(obj("a", app="db"))
    assert old is not None and old["metadata"]["labels"] == {"app": "web"}
    assert [o["metadata"]["name"] for o in idx.by_index("app", "web")] == ["b"]
    assert sorted(o["metadata"]["name"] for o in idx.by_index("app", "db")) == ["a", "c"]
    idx.remove("default/b")
    assert idx.by_index("app", "web") == []
    assert "web" not in idx.index_values("app")
    idx.replace([obj("z", app="web")])
    assert idx.keys() == ["default/z"] and len(idx.by_index("app", "web")) == 1
    assert idx.get_by("default", "z") is not None
    with pytest.raises(ValueError):
        idx.add_index("app", lambda o: [])
    ensure_index(idx, "app", lambda o: [])  # idempotent for shared informers
    idx.add_index("late", lambda o: [o["metadata"]["name"]])
    assert idx.by_index("late", "z") == [obj("z", app="web")], "a late index covers existing objects"


def write_kubeconfig(tmp_path: Path, **user: str) -> Path:
    ca = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n").decode()
    user_yaml = "".join(f"\n    {k}: {v}" for k, v in user.items()) or " {}"
    text = f"""
apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: {ca}
- name: c2
  cluster:
    server: https://127.0.0.2:6443
    certificate-authority: ca.crt
    insecure-skip-tls-verify: true
users:
- name: u1
  user:{user_yaml}
contexts:
- name: ctx1
  context: {{cluster: c1, user: u1, namespace: team}}
- name: ctx2
  context: {{cluster: c2, user: u1}}
current-context: ctx1
"""
    p = tmp_path / "kubeconfig"
    p.write_text(text)
    return p


def test_kubeconfig_current_and_named_context(tmp_path: Path) -> None:
    (tmp_path / "tok").write_text("from-file\n")
    p = write_kubeconfig(tmp_path, tokenFile="tok")
    cfg = load_kubeconfig(p)
    assert cfg.server == "https://127.0.0.1:6443"
    assert cfg.token == "from-file"
    assert cfg.ca_data is not None and cfg.ca_data.startswith(b"-----BEGIN CERTIFICATE")
    assert cfg.namespace == "team"
    other = load_kubeconfig(p, context="ctx2")
    assert other.server == "https://127.0.0.2:6443"
    assert other.ca_file == str(tmp_path.resolve() / "ca.crt")
    assert other.insecure and other.namespace == "default"
    assert load_kubeconfig(write_kubeconfig(tmp_path, token="abc")).token == "abc"


def test_kubeconfig_errors(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError):
        load_kubeconfig(tmp_path / "missing")
    p = write_kubeconfig(tmp_path, token="abc")
    with pytest.raises(KubeconfigError, match="context 'nope' not found"):
        load_kubeconfig(p, context="nope")


@pytest.mark.parametrize(
    ("code", "reason", "cls"),
    [
        (404, "NotFound", NotFoundError),
        (409, "AlreadyExists", AlreadyExistsError),
        (409, "Conflict", ConflictError),
        (422, "Invalid", InvalidError),
        (410, "Expired", GoneError),
        (410, "Gone", GoneError),
        (500, "InternalError", ServerError),
        (418, "", ApiError),
    ],
)
def test_error_from_status(code: int, reason: str, cls: type[ApiError]) -> None:
    status = {"kind": "Status", "status": "Failure", "message": "m", "reason": reason, "code": code}
    err = error_from_status(status)
    assert type(err) is cls
    assert err.code == code and err.status is status and str(err) == "m"


def test_backoff_grows_to_cap_and_resets() -> None:
    b = Backoff(initial=1, maximum=10, factor=2, jitter=0.0)
    assert [b.next() for _ in range(6)] == [1, 2, 4, 8, 10, 10]
    b.reset()
    assert b.next() == 1
    j = Backoff(initial=1, maximum=100, factor=2, jitter=1.0, rng=lambda: 0.5)
    assert [j.next(), j.next()] == [1.5, 3.0]


async def test_fake_clock_runs_due_timers_in_order_and_wakes_sleepers() -> None:
    import asyncio

    clock = FakeClock()
    fired: list[str] = []
    clock.call_later(2, lambda: fired.append("b"))
    clock.call_later(1, lambda: fired.append("a"))
    cancelled = clock.call_later(1.5, lambda: fired.append("x"))
    cancelled.cancel()
    clock.advance(1.9)
    assert fired == ["a"] and clock.now() == pytest.approx(1.9)
    clock.advance(0.1)
    assert fired == ["a", "b"]
    sleeper = asyncio.create_task(clock.sleep(5))
    await asyncio.sleep(0)
    assert not sleeper.done()
    clock.advance(5)
    await asyncio.wait_for(sleeper, 10)
