"""The registry: one `ResourceStore` per served resource, built by `build_registry`.

The Service strategy comes from `kubesvc.registry.service.ServiceStrategy(config, store)` (the
allocation hooks of issue 4) when that module is present, else the plain strategy of
`registry/kinds.py`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import random
from collections.abc import Callable
from typing import Any

from kubesvc.api import errors, scheme
from kubesvc.api.scheme import ResourceInfo
from kubesvc.registry.generic import (
    EventsV1ResourceStore,
    ListOptions,
    NamespaceResourceStore,
    ResourceStore,
)
from kubesvc.registry.kinds import FINALIZER_KUBERNETES, strategy_for
from kubesvc.registry.nscache import NamespaceCache
from kubesvc.registry.selectors import ObjectFilter
from kubesvc.registry.strategy import Strategy, apply_defaults
from kubesvc.storage.interface import Store

log = logging.getLogger(__name__)

# Namespaces kube-apiserver creates at start (the `system namespaces` controller).
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class Registry:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._by_info: dict[ResourceInfo, ResourceStore] = {}
        # What create admission reads instead of the store (upstream: an informer's lister).
        self.namespace_cache = NamespaceCache(store, f"/registry/{scheme.NAMESPACES.group_resource}/")

    def add(self, rs: ResourceStore) -> None:
        self._by_info[rs.info] = rs

    def get(self, info: ResourceInfo) -> ResourceStore:
        return self._by_info[info]

    def __contains__(self, info: object) -> bool:
        return info in self._by_info

    def resources(self) -> list[ResourceStore]:
        return list(self._by_info.values())

    async def ensure_system_namespaces(self) -> None:
        ns = self.get(scheme.NAMESPACES)
        for name in SYSTEM_NAMESPACES:
            obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            apply_defaults(obj)
            try:
                await ns.create("", obj)
            except errors.StatusError as exc:
                if exc.reason != "AlreadyExists":
                    raise

    async def finalize_namespace(self, name: str) -> bool:
        """Empty a terminating namespace and drop the `kubernetes` finalizer (what the namespace
        controller does).  Returns True when done, False when content remains (finalizers)."""
        ns_store = self.get(scheme.NAMESPACES)
        try:
            ns_obj = await ns_store.get("", name)
        except errors.StatusError:
            return True
        if not (ns_obj.get("metadata") or {}).get("deletionTimestamp"):
            return True
        remaining = 0
        for rs in self.resources():
            if not rs.info.namespaced or rs.info == scheme.EVENTS_EVENTS_V1:
                continue
            listed = await rs.list(name, ListOptions(filter=ObjectFilter()))
            for item in listed["items"]:
                item_name = str(item["metadata"]["name"])
                try:
                    _, deleted = await rs.delete(name, item_name, grace_period_seconds=0)
                except errors.StatusError as exc:
                    if exc.code != 404:
                        raise
                    continue
                if not deleted:
                    remaining += 1
        if remaining:
            return False
        finalize = ns_store.strategy.finalize_strategy()  # type: ignore[attr-defined]

        async def drop_finalizer(current: dict[str, Any] | None) -> dict[str, Any]:
            assert current is not None
            spec = current.setdefault("spec", {})
            spec["finalizers"] = [f for f in spec.get("finalizers") or [] if f != FINALIZER_KUBERNETES]
            current["metadata"].pop("resourceVersion", None)
            return current

        try:
            await ns_store.update("", name, drop_finalizer, strategy=finalize)
        except errors.StatusError as exc:
            if exc.code != 404:
                raise
        return True


def _service_strategy(config: Any, store: Store) -> Strategy | None:
    try:
        mod = importlib.import_module("kubesvc.registry.service")
    except ImportError:
        return None
    cls = getattr(mod, "ServiceStrategy", None)
    if cls is None:
        return None
    strategy: Strategy = cls(config, store)
    return strategy


def build_registry(
    store: Store,
    config: Any = None,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    rng: random.Random | None = None,
) -> Registry:
    reg = Registry(store)
    for info in scheme.ALL:
        strategy: Strategy | None = None
        if info == scheme.SERVICES:
            strategy = _service_strategy(config, store)
        if strategy is None:
            strategy = strategy_for(info)
        if info == scheme.PODS:
            disabled = getattr(config, "disable_admission_plugins", None) or ()
            strategy.disabled_admission_plugins = frozenset(disabled)  # type: ignore[attr-defined]
        cls: type[ResourceStore] = ResourceStore
        if info == scheme.NAMESPACES:
            cls = NamespaceResourceStore
        elif info == scheme.EVENTS_EVENTS_V1:
            cls = EventsV1ResourceStore
        reg.add(cls(info, strategy, store, registry=reg, clock=clock, rng=rng))
    return reg


__all__ = ["SYSTEM_NAMESPACES", "Registry", "build_registry"]
