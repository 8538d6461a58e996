"""ipFamilyPolicy / ipFamilies resolution (upstream `initIPFamilyFields`) for every policy,
cluster mode and Service kind, and the clusterIP normalisation around it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubesvc.allocation.service import (
    init_ip_family_fields,
    normalize_cluster_ips,
    patch_allocated_values,
)
from kubesvc.api.errors import StatusError

V4 = ["IPv4"]
V6 = ["IPv6"]
DUAL4 = ["IPv4", "IPv6"]
DUAL6 = ["IPv6", "IPv4"]


def svc(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": "ClusterIP", "selector": {"app": "x"}, "ports": [{"port": 80}]}
    base.update(spec)
    return {
        "metadata": {"name": "s", "namespace": "default"},
        "spec": {k: v for k, v in base.items() if v is not None},
    }


# (id, cluster families, spec overrides, expected policy, expected families)
CREATE_OK = [
    ("default-single", V4, {}, "SingleStack", ["IPv4"]),
    ("default-single-v6", V6, {}, "SingleStack", ["IPv6"]),
    ("default-dual", DUAL4, {}, "SingleStack", ["IPv4"]),
    ("default-dual-v6primary", DUAL6, {}, "SingleStack", ["IPv6"]),
    ("prefer-on-single", V4, {"ipFamilyPolicy": "PreferDualStack"}, "PreferDualStack", ["IPv4"]),
    ("prefer-on-dual", DUAL4, {"ipFamilyPolicy": "PreferDualStack"}, "PreferDualStack", ["IPv4", "IPv6"]),
    ("prefer-on-dual6", DUAL6, {"ipFamilyPolicy": "PreferDualStack"}, "PreferDualStack", ["IPv6", "IPv4"]),
    ("require-on-dual", DUAL4, {"ipFamilyPolicy": "RequireDualStack"}, "RequireDualStack", ["IPv4", "IPv6"]),
    (
        "require-on-dual-v6-first",
        DUAL4,
        {"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv6"]},
        "RequireDualStack",
        ["IPv6", "IPv4"],
    ),
    (
        "single-v6-on-dual",
        DUAL4,
        {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv6"]},
        "SingleStack",
        ["IPv6"],
    ),
    ("family-from-ip", DUAL4, {"clusterIP": "fd00::5", "clusterIPs": ["fd00::5"]}, "SingleStack", ["IPv6"]),
    (
        "two-ips-prefer",
        DUAL4,
        {"ipFamilyPolicy": "PreferDualStack", "clusterIP": "10.0.0.5", "clusterIPs": ["10.0.0.5", "fd00::5"]},
        "PreferDualStack",
        ["IPv4", "IPv6"],
    ),
    ("headless-selector", V4, {"clusterIP": "None", "clusterIPs": ["None"]}, "SingleStack", ["IPv4"]),
    ("headless-selector-dual", DUAL4, {"clusterIP": "None", "clusterIPs": ["None"]}, "SingleStack", ["IPv4"]),
    (
        "headless-selectorless-single-cluster",
        V4,
        {"clusterIP": "None", "clusterIPs": ["None"], "selector": None},
        "RequireDualStack",
        ["IPv4", "IPv6"],
    ),
    (
        "headless-selectorless-dual6",
        DUAL6,
        {"clusterIP": "None", "clusterIPs": ["None"], "selector": None},
        "RequireDualStack",
        ["IPv6", "IPv4"],
    ),
    (
        "headless-selectorless-single-policy",
        V4,
        {"clusterIP": "None", "clusterIPs": ["None"], "selector": None, "ipFamilyPolicy": "SingleStack"},
        "SingleStack",
        ["IPv4"],
    ),
    (
        "headless-prefer-on-dual",
        DUAL4,
        {"clusterIP": "None", "clusterIPs": ["None"], "ipFamilyPolicy": "PreferDualStack"},
        "PreferDualStack",
        ["IPv4", "IPv6"],
    ),
    ("nodeport", DUAL4, {"type": "NodePort"}, "SingleStack", ["IPv4"]),
    (
        "loadbalancer-prefer",
        DUAL4,
        {"type": "LoadBalancer", "ipFamilyPolicy": "PreferDualStack"},
        "PreferDualStack",
        ["IPv4", "IPv6"],
    ),
]


@pytest.mark.parametrize(
    ("cluster", "spec", "policy", "families"), [c[1:] for c in CREATE_OK], ids=[c[0] for c in CREATE_OK]
)
def test_create_resolution(
    cluster: list[str], spec: dict[str, Any], policy: str, families: list[str]
) -> None:
    s = svc(**spec)
    init_ip_family_fields(s, None, cluster)
    assert s["spec"]["ipFamilyPolicy"] == policy
    assert s["spec"]["ipFamilies"] == families


def test_external_name_is_left_alone() -> None:
    s = {"metadata": {"name": "x"}, "spec": {"type": "ExternalName", "externalName": "example.com"}}
    before = copy.deepcopy(s)
    init_ip_family_fields(s, None, DUAL4)
    assert s == before


CREATE_ERR = [
    (
        "require-on-single",
        V4,
        {"ipFamilyPolicy": "RequireDualStack"},
        'Service "s" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": '
        "this cluster is not configured for dual-stack services",
    ),
    (
        "v6-family-on-v4-cluster",
        V4,
        {"ipFamilies": ["IPv6"]},
        'Service "s" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster',
    ),
    (
        "v6-ip-on-v4-cluster",
        V4,
        {"clusterIP": "fd00::1", "clusterIPs": ["fd00::1"]},
        'Service "s" is invalid: spec.clusterIPs[0]: Invalid value: []string{"fd00::1"}: '
        "IPv6 is not configured on this cluster",
    ),
    (
        "single-with-two-ips",
        DUAL4,
        {"ipFamilyPolicy": "SingleStack", "clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1", "fd00::1"]},
        'Service "s" is invalid: spec.ipFamilyPolicy: Invalid value: "SingleStack": '
        "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
    ),
    (
        "single-with-two-families",
        DUAL4,
        {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv4", "IPv6"]},
        'Service "s" is invalid: spec.ipFamilyPolicy: Invalid value: "SingleStack": '
        "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
    ),
]


@pytest.mark.parametrize(
    ("cluster", "spec", "message"), [c[1:] for c in CREATE_ERR], ids=[c[0] for c in CREATE_ERR]
)
def test_create_errors(cluster: list[str], spec: dict[str, Any], message: str) -> None:
    with pytest.raises(StatusError) as exc:
        init_ip_family_fields(svc(**spec), None, cluster)
    assert exc.value.code == 422
    assert exc.value.message == message


def stored(**spec: Any) -> dict[str, Any]:
    """A Service as the registry stores it on a dual-stack cluster."""
    base = {
        "clusterIP": "10.0.0.5",
        "clusterIPs": ["10.0.0.5"],
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
    }
    base.update(spec)
    return svc(**base)


def test_update_adopts_old_policy_when_unset() -> None:
    old = stored(ipFamilyPolicy="PreferDualStack")
    new = copy.deepcopy(old)
    del new["spec"]["ipFamilyPolicy"]
    init_ip_family_fields(new, old, DUAL4)
    assert new["spec"]["ipFamilyPolicy"] == "PreferDualStack"


def test_prefer_dual_stack_is_not_auto_upgraded_when_cluster_becomes_dual() -> None:
    old = stored(ipFamilyPolicy="PreferDualStack")
    new = copy.deepcopy(old)
    init_ip_family_fields(new, old, DUAL4)
    assert new["spec"]["ipFamilies"] == ["IPv4"]


def test_upgrade_single_to_prefer_adds_family() -> None:
    old = stored()
    new = copy.deepcopy(old)
    new["spec"]["ipFamilyPolicy"] = "PreferDualStack"
    init_ip_family_fields(new, old, DUAL4)
    assert new["spec"]["ipFamilies"] == ["IPv4", "IPv6"]


def test_downgrade_to_single_trims_ips_and_families() -> None:
    old = stored(
        ipFamilyPolicy="RequireDualStack", clusterIPs=["10.0.0.5", "fd00::5"], ipFamilies=["IPv4", "IPv6"]
    )
    new = copy.deepcopy(old)
    new["spec"]["ipFamilyPolicy"] = "SingleStack"
    init_ip_family_fields(new, old, DUAL4)
    assert new["spec"]["clusterIPs"] == ["10.0.0.5"]
    assert new["spec"]["ipFamilies"] == ["IPv4"]


def test_reducing_ips_without_single_stack_is_an_error() -> None:
    old = stored(
        ipFamilyPolicy="RequireDualStack", clusterIPs=["10.0.0.5", "fd00::5"], ipFamilies=["IPv4", "IPv6"]
    )
    new = copy.deepcopy(old)
    new["spec"]["clusterIPs"] = ["10.0.0.5"]
    new["spec"]["ipFamilies"] = ["IPv4"]
    with pytest.raises(StatusError) as exc:
        init_ip_family_fields(new, old, DUAL4)
    assert exc.value.message == (
        'Service "s" is invalid: [spec.ipFamilyPolicy: Invalid value: "RequireDualStack": must be '
        "'SingleStack' to release the secondary cluster IP, spec.ipFamilyPolicy: Invalid value: "
        "\"RequireDualStack\": must be 'SingleStack' to release the secondary IP family]"
    )


NORMALIZE = [
    (
        "create-singular-only",
        None,
        {"clusterIP": "10.0.0.1"},
        {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"]},
    ),
    ("create-both", None, {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"]}, None),
    ("create-none", None, {}, {}),
    (
        "update-old-client-dropped-plural",
        {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1", "fd00::1"]},
        {"clusterIP": "10.0.0.1"},
        {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1", "fd00::1"]},
    ),
    (
        "update-cleared-singular",
        {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"]},
        {"clusterIPs": ["10.0.0.1"]},
        {},
    ),
    (
        "update-changed-singular",
        {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"]},
        {"clusterIP": "10.0.0.2", "clusterIPs": ["10.0.0.1"]},
        {"clusterIP": "10.0.0.2", "clusterIPs": ["10.0.0.2"]},
    ),
]


@pytest.mark.parametrize(("old", "new", "want"), [c[1:] for c in NORMALIZE], ids=[c[0] for c in NORMALIZE])
def test_normalize_cluster_ips(
    old: dict[str, Any] | None, new: dict[str, Any], want: dict[str, Any] | None
) -> None:
    n = {"spec": dict(new)}
    normalize_cluster_ips(n, None if old is None else {"spec": old})
    assert n["spec"] == (new if want is None else want)


def test_patch_allocated_values_keeps_what_was_allocated() -> None:
    old = {
        "spec": {
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Local",
            "healthCheckNodePort": 31000,
            "clusterIP": "10.0.0.9",
            "clusterIPs": ["10.0.0.9"],
            "ports": [
                {"name": "a", "port": 80, "nodePort": 30080},
                {"name": "b", "port": 81, "nodePort": 30081},
            ],
        }
    }
    new = {
        "spec": {
            "type": "LoadBalancer",
            "externalTrafficPolicy": "Local",
            "ports": [{"name": "a", "port": 80}, {"name": "b", "port": 81, "nodePort": 30080}],
        }
    }
    patch_allocated_values(new, old)
    assert new["spec"]["clusterIP"] == "10.0.0.9"
    assert new["spec"]["clusterIPs"] == ["10.0.0.9"]
    assert new["spec"]["healthCheckNodePort"] == 31000
    # 30080 is now used by port b, so port a does not get it back
    assert "nodePort" not in new["spec"]["ports"][0]
