"""The Service-selector index finds exactly the Services a brute-force selector scan finds."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.api.labels import selector_from_set
from kubesvc.client.cache import Indexer
from kubesvc.controllers.endpointslice.indexes import service_keys_for_labels

KEYS = st.sampled_from(["app", "tier", "env", "zone"])
VALUES = st.sampled_from(["a", "b", "c"])
LABELS = st.dictionaries(KEYS, VALUES, max_size=4)


def _svc(ns: str, name: str, selector: dict[str, str] | None) -> dict[str, Any]:
    spec: dict[str, Any] = {} if selector is None else {"selector": selector}
    return {"metadata": {"namespace": ns, "name": name}, "spec": spec}


@settings(max_examples=200, deadline=None)
@given(
    selectors=st.lists(st.one_of(st.none(), LABELS), max_size=12),
    namespaces=st.lists(st.sampled_from(["a", "b"]), min_size=12, max_size=12),
    pod_labels=LABELS,
    pod_ns=st.sampled_from(["a", "b"]),
    removed=st.sets(st.integers(0, 11), max_size=4),
)
def test_index_lookup_equals_brute_force(
    selectors: list[dict[str, str] | None],
    namespaces: list[str],
    pod_labels: dict[str, str],
    pod_ns: str,
    removed: set[int],
) -> None:
    services = Indexer()
    for i, sel in enumerate(selectors):
        services.upsert(_svc(namespaces[i], f"s{i}", sel))
    # the index must follow updates and deletes too
    for i in removed:
        if i < len(selectors):
            services.remove(f"{namespaces[i]}/s{i}")
    found = service_keys_for_labels(services, pod_ns, pod_labels)
    expected = {
        f"{namespaces[i]}/s{i}"
        for i, sel in enumerate(selectors)
        if i not in removed
        and namespaces[i] == pod_ns
        and sel  # nil and empty selectors select nothing for Services
        and selector_from_set(sel).matches(pod_labels)
    }
    assert found == expected


def test_selector_change_moves_the_service_between_buckets() -> None:
    services = Indexer()
    services.upsert(_svc("ns", "web", {"app": "a"}))
    assert service_keys_for_labels(services, "ns", {"app": "a"}) == {"ns/web"}
    services.upsert(_svc("ns", "web", {"app": "b", "tier": "x"}))
    assert service_keys_for_labels(services, "ns", {"app": "a"}) == set()
    assert service_keys_for_labels(services, "ns", {"app": "b", "tier": "x"}) == {"ns/web"}
    assert service_keys_for_labels(services, "other", {"app": "b", "tier": "x"}) == set()
