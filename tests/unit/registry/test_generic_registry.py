"""The generic registry on the in-memory store, with an injected clock and rng."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubesvc.api import errors, scheme
from kubesvc.registry import build_registry
from kubesvc.registry.generic import (
    NAME_ALPHABET,
    ListOptions,
    decode_continue,
    encode_continue,
    generate_name,
)
from kubesvc.registry.selectors import ObjectFilter, build_filter
from kubesvc.storage import open_store

NOW = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)


@given(st.integers(min_value=1, max_value=2**62), st.text(min_size=1, max_size=80))
def test_continue_token_round_trips(rv: int, start: str) -> None:
    assert decode_continue(encode_continue(rv, start)) == (rv, start)


def test_bad_continue_token_is_a_bad_request() -> None:
    with pytest.raises(errors.StatusError) as err:
        decode_continue("eyJ2IjoieCJ9")  # {"v":"x"}
    assert err.value.code == 400


@given(st.text(alphabet="abc-", min_size=1, max_size=100), st.integers())
def test_generated_names(prefix: str, seed: int) -> None:
    name = generate_name(prefix, random.Random(seed))
    assert len(name) == min(len(prefix), 58) + 5
    assert all(c in NAME_ALPHABET for c in name[-5:])


def _svc(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
        "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}], "type": "ClusterIP"},
    }


async def test_create_sets_system_fields_from_clock_and_rng() -> None:
    reg = build_registry(open_store("memory"), None, clock=lambda: NOW, rng=random.Random(1))
    await reg.ensure_system_namespaces()
    rs = reg.get(scheme.ENDPOINTS)
    obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"generateName": "ep-"}}
    created = await rs.create("default", obj)
    assert created["metadata"]["creationTimestamp"] == "2024-05-06T07:08:09Z"
    assert created["metadata"]["name"] == generate_name("ep-", random.Random(1))


async def test_list_pages_with_selector_and_watch_transitions() -> None:
    reg = build_registry(open_store("memory"), None)
    await reg.ensure_system_namespaces()
    rs = reg.get(scheme.ENDPOINTS)
    for i in range(5):
        await rs.create(
            "default",
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {"name": f"e{i}", "labels": {"i": str(i % 2)}},
            },
        )
    flt = build_filter(scheme.ENDPOINTS, "i=0")
    page = await rs.list("default", ListOptions(filter=flt, limit=2))
    assert [i["metadata"]["name"] for i in page["items"]] == ["e0", "e2"]
    rest = await rs.list(
        "default", ListOptions(filter=flt, limit=2, continue_token=page["metadata"]["continue"])
    )
    assert [i["metadata"]["name"] for i in rest["items"]] == ["e4"]
    assert "continue" not in rest["metadata"]
    everything = await rs.list("", ListOptions(filter=ObjectFilter()))
    assert len(everything["items"]) == 5
