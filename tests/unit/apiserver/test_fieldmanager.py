"""managedFields bookkeeping and server-side apply (ownership, conflicts, force, pruning)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from kubesvc.api.errors import StatusError
from kubesvc.apiserver.fieldmanager import (
    LAST_APPLIED,
    fields_to_set,
    path_string,
    record_update,
    server_side_apply,
    set_to_fields,
)

T0, T1, T2 = "2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z", "2024-01-01T00:02:00Z"
PORT80 = 'k:{"port":80,"protocol":"TCP"}'


def manifest(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}], "selector": {"app": "web"}},
    }
    base["spec"].update(spec)
    return base


def stored(obj: dict[str, Any]) -> dict[str, Any]:
    """What the registry would store: server fields added (they are never owned)."""
    out = copy.deepcopy(obj)
    out["metadata"].update({"uid": "u1", "resourceVersion": "5", "creationTimestamp": T0})
    return out


def entries(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["manager"]: e for e in obj["metadata"].get("managedFields", [])}


def created(manager: str = "kubectl-client-side-apply") -> dict[str, Any]:
    obj = stored(manifest())
    obj["metadata"]["annotations"] = {LAST_APPLIED: '{"x":1}\n'}
    record_update(None, obj, manager=manager, api_version="v1", now=T0)
    return obj


def test_create_records_everything_the_manager_set() -> None:
    obj = created()
    (entry,) = obj["metadata"]["managedFields"]
    assert entry == {
        "manager": "kubectl-client-side-apply",
        "operation": "Update",
        "apiVersion": "v1",
        "time": T0,
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": {
                "f:annotations": {".": {}, f"f:{LAST_APPLIED}": {}},
                "f:labels": {".": {}, "f:app": {}},
            },
            "f:spec": {
                "f:ports": {".": {}, PORT80: {".": {}, "f:name": {}, "f:port": {}, "f:targetPort": {}}},
                "f:selector": {},
            },
        },
    }


def test_update_moves_changed_fields_and_keeps_the_rest() -> None:
    old = created()
    new = copy.deepcopy(old)
    new["metadata"]["labels"]["app"] = "web2"
    new["metadata"]["labels"]["tier"] = "fe"
    record_update(old, new, manager="kubectl-label", api_version="v1", now=T1)
    got = entries(new)
    assert got["kubectl-label"]["fieldsV1"] == {"f:metadata": {"f:labels": {"f:app": {}, "f:tier": {}}}}
    assert got["kubectl-label"]["time"] == T1
    csa = got["kubectl-client-side-apply"]["fieldsV1"]
    assert csa["f:metadata"]["f:labels"] == {}, "the label owner lost the changed key, keeps the map"
    assert csa["f:spec"]["f:selector"] == {}
    assert [e["manager"] for e in new["metadata"]["managedFields"]] == [
        "kubectl-client-side-apply",
        "kubectl-label",
    ]


def test_update_without_changes_keeps_time_and_removed_fields_lose_owner() -> None:
    old = created()
    same = copy.deepcopy(old)
    record_update(old, same, manager="kubectl-client-side-apply", api_version="v1", now=T2)
    assert entries(same)["kubectl-client-side-apply"]["time"] == T0
    new = copy.deepcopy(old)
    del new["spec"]["selector"]
    record_update(old, new, manager="kubectl-edit", api_version="v1", now=T2)
    assert "f:selector" not in entries(new)["kubectl-client-side-apply"]["fieldsV1"]["f:spec"]
    assert "kubectl-edit" not in entries(new), "a pure removal gives the writer nothing"


def test_status_subresource_update() -> None:
    old = created()
    new = copy.deepcopy(old)
    new["status"] = {"loadBalancer": {"ingress": [{"ip": "172.18.255.200"}]}}
    record_update(old, new, manager="lb-controller", subresource="status", api_version="v1", now=T1)
    e = entries(new)["lb-controller"]
    assert e["subresource"] == "status"
    assert e["fieldsV1"] == {"f:status": {"f:loadBalancer": {"f:ingress": {}}}}


def test_main_resource_writes_do_not_own_status() -> None:
    obj = stored(manifest())
    obj["status"] = {"loadBalancer": {"ingress": [{"ip": "1.1.1.1"}]}}
    record_update(None, obj, manager="m", api_version="v1", now=T0)
    assert "f:status" not in entries(obj)["m"]["fieldsV1"]


def test_client_written_managed_fields_are_honoured() -> None:
    """kubectl's client-side -> server-side migration JSON-patches metadata.managedFields."""
    old = created()
    new = copy.deepcopy(old)
    new["metadata"]["managedFields"] = [
        {
            "manager": "kubectl",
            "operation": "Apply",
            "apiVersion": "v1",
            "time": T1,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {"f:selector": {}}},
        },
    ]
    record_update(old, new, manager="kubectl", api_version="v1", now=T2)
    assert [e["manager"] for e in new["metadata"]["managedFields"]] == ["kubectl"]
    assert new["metadata"]["managedFields"][0]["operation"] == "Apply"
    reset = copy.deepcopy(old)
    reset["metadata"]["managedFields"] = []
    record_update(old, reset, manager="x", api_version="v1", now=T2)
    assert "managedFields" not in reset["metadata"]


def test_ssa_create_owns_exactly_the_applied_fields() -> None:
    out = server_side_apply(
        None, manifest(), manager="kubectl", force=False, now=T0, api_version="v1", kind="Service"
    )
    (entry,) = out["metadata"]["managedFields"]
    assert entry["operation"] == "Apply" and entry["manager"] == "kubectl" and entry["time"] == T0
    assert entry["fieldsV1"] == {
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:spec": {
            "f:ports": {PORT80: {".": {}, "f:name": {}, "f:port": {}, "f:targetPort": {}}},
            "f:selector": {},
        },
    }
    assert out["spec"] == manifest()["spec"]


def test_ssa_conflict_with_update_manager_message_and_causes() -> None:
    live = created()
    applied = manifest(ports=[{"port": 80, "targetPort": 9090}])
    with pytest.raises(StatusError) as info:
        server_side_apply(
            live, applied, manager="kubectl", force=False, now=T1, api_version="v1", kind="Service"
        )
    err = info.value
    assert err.code == 409 and err.reason == "Conflict"
    assert err.message == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: '
        '.spec.ports[port=80,protocol="TCP"].targetPort'
    )
    assert err.details == {
        "causes": [
            {
                "reason": "FieldManagerConflict",
                "message": 'conflict with "kubectl-client-side-apply" using v1',
                "field": '.spec.ports[port=80,protocol="TCP"].targetPort',
            }
        ]
    }
    status = err.to_status()
    assert status["code"] == 409 and status["details"]["causes"][0]["reason"] == "FieldManagerConflict"


def test_ssa_conflict_between_appliers_plural_and_force() -> None:
    live = server_side_apply(
        None, manifest(), manager="kubectl", force=False, now=T0, api_version="v1", kind="Service"
    )
    live = stored(live)
    other = manifest(ports=[{"port": 80, "targetPort": 1}], selector={"app": "other"})
    with pytest.raises(StatusError) as info:
        server_side_apply(live, other, manager="other", force=False, now=T1, api_version="v1", kind="Service")
    assert info.value.message == (
        'Apply failed with 2 conflicts: conflicts with "kubectl":\n'
        '- .spec.ports[port=80,protocol="TCP"].targetPort\n'
        "- .spec.selector"
    )
    forced = server_side_apply(
        live, other, manager="other", force=True, now=T1, api_version="v1", kind="Service"
    )
    assert forced["spec"]["ports"][0]["targetPort"] == 1
    assert forced["spec"]["selector"] == {"app": "other"}
    got = entries(forced)
    assert "f:selector" not in got["kubectl"]["fieldsV1"]["f:spec"]
    assert "f:targetPort" not in got["kubectl"]["fieldsV1"]["f:spec"]["f:ports"][PORT80]
    assert "f:targetPort" in got["other"]["fieldsV1"]["f:spec"]["f:ports"][PORT80]


def test_ssa_same_value_is_shared_not_a_conflict() -> None:
    live = stored(
        server_side_apply(
            None, manifest(), manager="a", force=False, now=T0, api_version="v1", kind="Service"
        )
    )
    out = server_side_apply(
        live, manifest(), manager="b", force=False, now=T1, api_version="v1", kind="Service"
    )
    got = entries(out)
    assert got["a"]["fieldsV1"] == got["b"]["fieldsV1"]


def test_ssa_prunes_fields_dropped_from_config_unless_owned_elsewhere() -> None:
    first = manifest()
    first["metadata"]["labels"]["tier"] = "fe"
    live = stored(
        server_side_apply(
            None, first, manager="kubectl", force=False, now=T0, api_version="v1", kind="Service"
        )
    )
    out = server_side_apply(
        live, manifest(), manager="kubectl", force=False, now=T1, api_version="v1", kind="Service"
    )
    assert out["metadata"]["labels"] == {"app": "web"}
    # Co-owned by another manager: kept.
    other = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "labels": {"tier": "fe"}}}
    shared = stored(
        server_side_apply(
            live, other, manager="labeler", force=False, now=T1, api_version="v1", kind="Service"
        )
    )
    out = server_side_apply(
        shared, manifest(), manager="kubectl", force=False, now=T2, api_version="v1", kind="Service"
    )
    assert out["metadata"]["labels"] == {"app": "web", "tier": "fe"}
    # Dropping a whole port item removes it.
    two = manifest(ports=[{"name": "a", "port": 80}, {"name": "b", "port": 81}])
    live = stored(
        server_side_apply(None, two, manager="kubectl", force=False, now=T0, api_version="v1", kind="Service")
    )
    out = server_side_apply(
        live,
        manifest(ports=[{"name": "a", "port": 80}]),
        manager="kubectl",
        force=False,
        now=T1,
        api_version="v1",
        kind="Service",
    )
    assert out["spec"]["ports"] == [{"name": "a", "port": 80}]


def test_ssa_keys_ports_by_port_and_defaulted_protocol() -> None:
    live = created()
    live["spec"]["ports"][0]["protocol"] = "TCP"  # defaulted by the registry
    # Same key (protocol defaults to TCP in the key): merges into the existing item.
    out = server_side_apply(
        live,
        manifest(ports=[{"port": 80, "name": "http"}]),
        manager="kubectl",
        force=False,
        now=T1,
        api_version="v1",
        kind="Service",
    )
    assert len(out["spec"]["ports"]) == 1
    # A different port is a new item while the client-side owner still holds the old one.
    out = server_side_apply(
        live,
        manifest(ports=[{"port": 81, "name": "http"}]),
        manager="kubectl",
        force=False,
        now=T1,
        api_version="v1",
        kind="Service",
    )
    assert [p["port"] for p in out["spec"]["ports"]] == [80, 81]
    udp = manifest(ports=[{"port": 80, "protocol": "UDP", "name": "dns"}])
    out = server_side_apply(
        live, udp, manager="kubectl", force=False, now=T1, api_version="v1", kind="Service"
    )
    assert [(p["port"], p.get("protocol")) for p in out["spec"]["ports"]] == [(80, "TCP"), (80, "UDP")]


def test_ssa_keeps_last_applied_annotation_and_status() -> None:
    live = created()
    live["status"] = {"loadBalancer": {}}
    applied = manifest()
    applied["status"] = {"loadBalancer": {"ingress": [{"ip": "6.6.6.6"}]}}
    out = server_side_apply(
        live, applied, manager="someone", force=False, now=T1, api_version="v1", kind="Service"
    )
    assert out["metadata"]["annotations"][LAST_APPLIED] == '{"x":1}\n'
    assert out["status"] == {"loadBalancer": {}}, "status is reset on main-resource apply"


def test_ssa_on_object_without_managed_fields_has_before_first_apply_owner() -> None:
    live = stored(manifest())
    with pytest.raises(StatusError) as info:
        server_side_apply(
            live,
            manifest(selector={"app": "x"}),
            manager="kubectl",
            force=False,
            now=T1,
            api_version="v1",
            kind="Service",
        )
    assert 'conflict with "before-first-apply" using v1: .spec.selector' in info.value.message


def test_fields_v1_round_trip_and_path_strings() -> None:
    tree = {
        "f:metadata": {"f:finalizers": {".": {}, 'v:"a"': {}}},
        "f:spec": {"f:ports": {".": {}, PORT80: {".": {}, "f:port": {}}}},
    }
    paths = fields_to_set(tree)
    assert set_to_fields(paths) == tree
    texts = sorted(path_string(p) for p in paths)
    assert '.metadata.finalizers[="a"]' in texts
    assert '.spec.ports[port=80,protocol="TCP"].port' in texts
    with pytest.raises(ValueError):
        fields_to_set({"x:bad": {}})


def test_accepts_datetime_now() -> None:
    obj = stored(manifest())
    record_update(None, obj, manager="m", api_version="v1", now=datetime(2024, 1, 1, 0, 3, tzinfo=UTC))
    assert obj["metadata"]["managedFields"][0]["time"] == "2024-01-01T00:03:00Z"


def test_kubectl_server_side_apply_syncs_last_applied_annotation() -> None:
    live = created()
    applied = manifest(ports=[{"name": "http", "port": 80, "targetPort": 8080}])
    out = server_side_apply(
        live, applied, manager="kubectl", force=False, now=T1, api_version="v1", kind="Service"
    )
    assert json.loads(out["metadata"]["annotations"][LAST_APPLIED]) == applied
    other = server_side_apply(
        live, applied, manager="someone", force=False, now=T1, api_version="v1", kind="Service"
    )
    assert other["metadata"]["annotations"][LAST_APPLIED] == '{"x":1}\n', "only kubectl's applies sync it"
    fresh = server_side_apply(
        None, applied, manager="kubectl", force=False, now=T1, api_version="v1", kind="Service"
    )
    assert LAST_APPLIED not in fresh["metadata"].get("annotations", {}), "never added when absent"


def test_update_managers_are_capped_at_ten() -> None:
    obj = created("m00")
    for i in range(1, 13):
        new = copy.deepcopy(obj)
        new["metadata"]["labels"][f"k{i}"] = "v"
        record_update(obj, new, manager=f"m{i:02d}", api_version="v1", now=f"2024-01-01T01:{i:02d}:00Z")
        obj = new
    names = [e["manager"] for e in obj["metadata"]["managedFields"]]
    assert len(names) == 10
    assert "ancient-changes" in names
    assert "m00" not in names and "m12" in names
    ancient = entries(obj)["ancient-changes"]["fieldsV1"]
    assert "f:spec" in ancient, "the oldest manager's fields survive in the bucket"


def test_ssa_list_order_follows_structured_merge_diff() -> None:
    live = manifest(ports=[{"port": 1}, {"port": 2}, {"port": 3}])
    live = stored(
        server_side_apply(None, live, manager="a", force=False, now=T0, api_version="v1", kind="Service")
    )
    applied = manifest(ports=[{"port": 3, "name": "c"}, {"port": 4}, {"port": 1, "name": "a"}])
    out = server_side_apply(live, applied, manager="b", force=False, now=T1, api_version="v1", kind="Service")
    assert [p["port"] for p in out["spec"]["ports"]] == [2, 3, 4, 1]
    assert out["spec"]["ports"][1] == {"port": 3, "name": "c"}


def test_fields_v1_keys_are_ordered_like_upstream() -> None:
    tree = fields_to_set(
        {
            "f:spec": {
                "f:ports": {
                    'k:{"port":443,"protocol":"TCP"}': {},
                    ".": {},
                    'k:{"port":80,"protocol":"TCP"}': {},
                }
            }
        }
    )
    ports = set_to_fields(tree)["f:spec"]["f:ports"]
    assert list(ports) == [".", 'k:{"port":80,"protocol":"TCP"}', 'k:{"port":443,"protocol":"TCP"}']


def test_kubectl_server_side_apply_takes_over_client_side_applied_fields() -> None:
    """`kubectl apply --server-side` after `kubectl apply`: no conflict on fields the
    last-applied configuration set and the object still holds (upstream's lastAppliedManager)."""
    live = stored(manifest())
    live["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(manifest())}
    record_update(None, live, manager="kubectl-client-side-apply", api_version="v1", now=T0)
    changed = manifest(ports=[{"name": "http", "port": 80, "targetPort": 9090}])
    out = server_side_apply(
        live, changed, manager="kubectl", force=False, now=T1, api_version="v1", kind="Service"
    )
    assert out["spec"]["ports"][0]["targetPort"] == 9090
    # Another manager name gets the conflict.
    with pytest.raises(StatusError):
        server_side_apply(
            live, changed, manager="other", force=False, now=T1, api_version="v1", kind="Service"
        )
    # A field changed since the last client-side apply is not covered.
    edited = copy.deepcopy(live)
    edited["spec"]["ports"][0]["targetPort"] = 7070
    record_update(live, edited, manager="kubectl-edit", api_version="v1", now=T1)
    with pytest.raises(StatusError) as info:
        server_side_apply(
            edited, changed, manager="kubectl", force=False, now=T2, api_version="v1", kind="Service"
        )
    assert 'conflict with "kubectl-edit" using v1' in info.value.message


def test_applied_configuration_may_not_carry_managed_fields() -> None:
    applied = manifest()
    applied["metadata"]["managedFields"] = [{"manager": "x"}]
    with pytest.raises(StatusError) as info:
        server_side_apply(
            None, applied, manager="kubectl", force=False, now=T0, api_version="v1", kind="Service"
        )
    assert info.value.code == 400 and info.value.message == "metadata.managedFields must be nil"
