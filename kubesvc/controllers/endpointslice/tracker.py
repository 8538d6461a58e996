"""Expected generations of the slices we wrote: stale-cache protection (upstream EndpointSliceTracker).

After the controller writes a slice it records the generation the server answered with; after a
delete it records that the slice should disappear.  Then:

- `stale_slices(service, slices)`: the informer's slices for a Service are older than our own
  writes (a slice with a lower generation than we wrote, one we deleted still present, or one we
  created missing): syncing now would act on old data, so the sync fails and is retried.
- `should_sync(slice)`: a slice event is worth a sync unless it is the echo of our own write.
- `handle_deletion(slice)`: True when we expected the deletion (no sync needed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kubesvc.controllers.endpointslice.reconciler import LABEL_SERVICE_NAME

DELETION_EXPECTED = -1


def _service_key_of_slice(slice_: Mapping[str, Any]) -> tuple[str, str]:
    m = slice_.get("metadata") or {}
    return (m.get("namespace", ""), (m.get("labels") or {}).get(LABEL_SERVICE_NAME, ""))


def _uid(slice_: Mapping[str, Any]) -> str:
    return str((slice_.get("metadata") or {}).get("uid", ""))


def _generation(slice_: Mapping[str, Any]) -> int:
    return int((slice_.get("metadata") or {}).get("generation") or 0)


class StaleInformerCacheError(Exception):
    """The EndpointSlice informer cache is out of date (older than our own writes)."""


class EndpointSliceTracker:
    def __init__(self) -> None:
        self._by_service: dict[tuple[str, str], dict[str, int]] = {}

    def _gens(self, slice_: Mapping[str, Any]) -> dict[str, int] | None:
        return self._by_service.get(_service_key_of_slice(slice_))

    def has(self, slice_: Mapping[str, Any]) -> bool:
        gens = self._gens(slice_)
        return gens is not None and _uid(slice_) in gens

    def should_sync(self, slice_: Mapping[str, Any]) -> bool:
        gens = self._gens(slice_)
        if gens is None:
            return True
        expected = gens.get(_uid(slice_))
        return expected is None or _generation(slice_) > expected

    def stale_slices(self, service: Mapping[str, Any], slices: Iterable[Mapping[str, Any]]) -> bool:
        m = service.get("metadata") or {}
        gens = self._by_service.get((m.get("namespace", ""), m.get("name", "")))
        if not gens:
            return False
        provided: set[str] = set()
        for s in slices:
            uid = _uid(s)
            provided.add(uid)
            expected = gens.get(uid)
            if expected is not None and (expected == DELETION_EXPECTED or expected > _generation(s)):
                return True
        return any(g != DELETION_EXPECTED and uid not in provided for uid, g in gens.items())

    def update(self, slice_: Mapping[str, Any]) -> None:
        self._by_service.setdefault(_service_key_of_slice(slice_), {})[_uid(slice_)] = _generation(slice_)

    def expect_deletion(self, slice_: Mapping[str, Any]) -> None:
        self._by_service.setdefault(_service_key_of_slice(slice_), {})[_uid(slice_)] = DELETION_EXPECTED

    def handle_deletion(self, slice_: Mapping[str, Any]) -> bool:
        key = _service_key_of_slice(slice_)
        gens = self._by_service.get(key)
        if gens is None:
            return False
        expected = gens.pop(_uid(slice_), None)
        if not gens:
            del self._by_service[key]
        return expected == DELETION_EXPECTED

    def delete_service(self, namespace: str, name: str) -> None:
        self._by_service.pop((namespace, name), None)
