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
    "apiserver/tables.py",
    "apiserver/openapi.py",
    "apiserver/protobuf.py",
    "apiserver/fieldmanager.py",
    "apiserver/wireshape.py",
    "apiserver/typecheck.py",
    "registry/deletion.py",
    "registry/admission.py",
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


def _imports(path: Path, source: str | None = None) -> list[str]:
    """Absolute names of every module `path` imports (relative imports resolved)."""
    text = path.read_text() if source is None else source
    tree = ast.parse(text, filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            pkg = list(path.relative_to(PKG).parent.parts)
            base = pkg[: len(pkg) - (node.level - 1)]
            names.append(".".join(["kubesvc", *base, *([node.module] if node.module else [])]))
    return names


def _violations(path: Path, source: str | None = None) -> list[str]:
    part = _part(path)
    if part is None:  # kubesvc/__init__.py, __main__.py: the entry points may wire everything
        return []
    allowed = ALLOWED.get(part)
    if allowed is None:
        return [f"kubesvc/{part} is not in the layer table of docs/architecture.md"]
    bad = []
    for name in _imports(path, source):
        if name.startswith("kubesvc."):
            target = name.split(".")[1]
            if target != part and target not in allowed:
                bad.append(f"may not import {name}")
        elif _is_pure(path) and name.split(".")[0] in IMPURE:
            bad.append(f"pure module imports {name}")
    return bad


def _part(path: Path) -> str | None:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else None


def _is_pure(path: Path) -> bool:
    rel = path.relative_to(PKG).as_posix()
    return any(fnmatch.fnmatch(rel, g) for g in PURE_GLOBS)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PKG).as_posix())
def test_module_keeps_the_layer_contract(path: Path) -> None:
    assert _violations(path) == []


def test_components_are_independent() -> None:
    for a in COMPONENTS:
        assert not (ALLOWED[a] & (COMPONENTS - {a})), f"{a} may import another component"


@pytest.mark.parametrize(
    ("where", "source", "expected"),
    [
        ("api/x.py", "import asyncio\n", ["pure module imports asyncio"]),
        ("api/x.py", "from kubesvc.storage import interface\n", ["may not import kubesvc.storage"]),
        ("allocation/x.py", "from time import monotonic\n", ["pure module imports time"]),
        (
            "controllers/endpointslice/controller.py",
            "from ...apiserver import app\n",
            ["may not import kubesvc.apiserver"],
        ),
        ("proxy/x.py", "import kubesvc.dns.names\n", ["may not import kubesvc.dns.names"]),
        ("controllers/x.py", "import asyncio\nfrom kubesvc.client import rest\n", []),
    ],
)
def test_checker_catches_violations(where: str, source: str, expected: list[str]) -> None:
    assert _violations(PKG / where, source) == expected
