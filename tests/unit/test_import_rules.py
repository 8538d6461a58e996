"""The layer contracts of docs/architecture.md, checked on the source's `import` statements.

Components talk only through the API, so none imports another; pure modules import no I/O,
clock or randomness (they take a clock and an rng as parameters).
"""

from __future__ import annotations

import ast
import fnmatch
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "kubesvc"

# What each top-level part of the package may import from kubesvc (besides itself).
ALLOWED: dict[str, set[str]] = {
    "api": set(),
    "aio": set(),
    "allocation": {"api"},
    "storage": {"api", "aio"},
    "registry": {"api", "allocation", "storage", "aio"},
    "apiserver": {"api", "registry", "storage", "allocation", "aio"},
    "client": {"api", "aio"},
    "controllers": {"api", "client", "aio"},
    "proxy": {"api", "client", "aio"},
    "dns": {"api", "client", "aio"},
    "agent": {"api", "client", "aio"},
    "cluster": {
        "api",
        "aio",
        "allocation",
        "storage",
        "registry",
        "apiserver",
        "client",
        "controllers",
        "proxy",
        "dns",
        "agent",
    },
}
COMPONENTS = {"apiserver", "controllers", "proxy", "dns", "agent"}

# Pure modules: no I/O, no clock, no randomness.
PURE_GLOBS = [
    "api/*.py",
    "api/**/*.py",
    "allocation/*.py",
    "*/reconciler.py",
    "*/*/reconciler.py",
    "*/pool.py",
    "*/*/pool.py",
    "controllers/mirroring/plan.py",
    "apiserver/tables.py",
    "apiserver/openapi.py",
    "apiserver/protobuf.py",
    "apiserver/fieldmanager.py",
    "proxy/model.py",
    "proxy/changes.py",
    "proxy/topology.py",
    "proxy/nftables/ruleset.py",
    "proxy/userspace/balancer.py",
    "dns/names.py",
    "dns/records.py",
    "agent/podspec.py",
    "agent/lifecycle.py",
]
IMPURE = {
    "asyncio",
    "socket",
    "subprocess",
    "sqlite3",
    "aiohttp",
    "http",
    "urllib",
    "requests",
    "httpx",
    "time",
    "random",
    "threading",
    "uvloop",
}


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if ".venv" not in p.parts)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            # relative import: resolve against the module's package
            rel = path.relative_to(PKG).parent.parts
            base = list(rel[: len(rel) - (node.level - 1)]) if node.level > 1 else list(rel)
            mod = ".".join(["kubesvc", *base] + ([node.module] if node.module else []))
            names.append(mod)
    return names


def _part(path: Path) -> str | None:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else None


def _is_pure(path: Path) -> bool:
    rel = path.relative_to(PKG).as_posix()
    return any(fnmatch.fnmatch(rel, g) for g in PURE_GLOBS)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PKG).as_posix())
def test_layer_contract(path: Path) -> None:
    part = _part(path)
    if part is None:  # kubesvc/__init__.py, __main__.py: the entry points may wire everything
        return
    allowed = ALLOWED.get(part)
    assert allowed is not None, f"kubesvc/{part} is not in the layer table of docs/architecture.md"
    bad = []
    for name in _imports(path):
        if not name.startswith("kubesvc."):
            continue
        target = name.split(".")[1]
        if target != part and target not in allowed:
            bad.append(name)
    assert not bad, f"{path.relative_to(PKG)} ({part}) may not import {bad}"


@pytest.mark.parametrize(
    "path", [p for p in _modules() if _is_pure(p)], ids=lambda p: p.relative_to(PKG).as_posix()
)
def test_pure_modules_do_no_io(path: Path) -> None:
    bad = [n for n in _imports(path) if n.split(".")[0] in IMPURE]
    assert not bad, f"pure module {path.relative_to(PKG)} imports {bad}"


def test_components_are_independent() -> None:
    for a in COMPONENTS:
        assert not (ALLOWED[a] & (COMPONENTS - {a})), f"{a} may import another component"


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    """The checker itself must fail on a bad import (guards against a vacuous test)."""
    fake = PKG / "api" / "_probe_for_test.py"
    assert "asyncio" in IMPURE
    src = "import asyncio\nfrom kubesvc.storage import interface\n"
    tree_names = []
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Import):
            tree_names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            tree_names.append(node.module)
    assert _is_pure(fake)
    assert any(n.split(".")[0] in IMPURE for n in tree_names)
    assert "storage" not in ALLOWED["api"]
