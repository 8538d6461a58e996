"""wireshape: what kube-apiserver's Go decoding/encoding does to a body (omitempty, pointers,
always-written structs, metav1.Time/MicroTime parsing and formatting)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubesvc.api import errors, scheme
from kubesvc.apiserver import wireshape

TIMES = [
    # (value, micro, expected or Go's error)
    ("2024-01-02T03:04:05Z", False, "2024-01-02T03:04:05Z"),
    ("2024-01-02T03:04:05.999999Z", False, "2024-01-02T03:04:05Z"),
    ("2024-01-02T03:04:05+02:00", False, "2024-01-02T01:04:05Z"),
    ("2024-01-02T03:04:05.5-01:30", False, "2024-01-02T04:34:05Z"),
    ("2024-01-02T03:04:05.123456Z", True, "2024-01-02T03:04:05.123456Z"),
    ("2024-01-02T03:04:05.000001+00:00", True, "2024-01-02T03:04:05.000001Z"),
    (
        "yesterday",
        False,
        'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
    ),
    (
        "2024-01-02 03:04:05Z",
        False,
        'parsing time "2024-01-02 03:04:05Z" as "2006-01-02T15:04:05Z07:00": cannot parse " 03:04:05Z" as "T"',
    ),
    ("2024-13-02T03:04:05Z", False, 'parsing time "2024-13-02T03:04:05Z": month out of range'),
    ("2024-02-30T03:04:05Z", False, 'parsing time "2024-02-30T03:04:05Z": day out of range'),
    ("2024-01-02T03:04:05Zjunk", False, 'parsing time "2024-01-02T03:04:05Zjunk": extra text: "junk"'),
    (
        "2024-01-02T03:04:05",
        False,
        'parsing time "2024-01-02T03:04:05" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"',
    ),
    (
        "2024-01-02T03:04:05Z",
        True,
        'parsing time "2024-01-02T03:04:05Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"',
    ),
    (
        "2024-01-02T03:04:05.123Z",
        True,
        'parsing time "2024-01-02T03:04:05.123Z" as "2006-01-02T15:04:05.000000Z07:00": '
        'cannot parse ".123Z" as ".000000"',
    ),
]


@pytest.mark.parametrize(("value", "micro", "expected"), TIMES)
def test_times_parse_and_format_as_go(value: str, micro: bool, expected: str) -> None:
    if expected.startswith("parsing time"):
        with pytest.raises(wireshape.TimeParseError) as exc:
            wireshape.normalize_time(value, micro=micro)
        assert str(exc.value) == expected
    else:
        assert wireshape.normalize_time(value, micro=micro) == expected


ZONES = st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-7, minutes=-30))])


@given(st.datetimes(min_value=dt.datetime(2, 1, 1), max_value=dt.datetime(9998, 12, 31), timezones=ZONES))
def test_time_formats_round_trip(t: dt.datetime) -> None:
    micro = wireshape.format_time(t, micro=True)
    assert wireshape.parse_time(micro, micro=True) == t
    assert wireshape.normalize_time(micro, micro=True) == micro
    second = wireshape.format_time(t, micro=False)
    assert wireshape.parse_time(second, micro=False) == t.replace(microsecond=0)


SHAPES: list[tuple[str, Any, dict[str, Any], dict[str, Any]]] = [
    (
        "omitempty maps, lists and strings go; pointers keep zero values",
        scheme.SERVICES,
        {
            "metadata": {"name": "a", "labels": {}, "annotations": {}, "finalizers": [], "generateName": ""},
            "spec": {
                "ports": [{"name": "", "port": 80, "nodePort": 0, "appProtocol": ""}],
                "selector": {},
                "externalName": "",
                "publishNotReadyAddresses": False,
                "allocateLoadBalancerNodePorts": False,
                "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 0}},
            },
            "status": {"loadBalancer": {"ingress": []}},
        },
        {
            "metadata": {"name": "a"},
            "spec": {
                "ports": [{"port": 80, "appProtocol": ""}],
                "allocateLoadBalancerNodePorts": False,
                "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 0}},
            },
            "status": {"loadBalancer": {}},
        },
    ),
    (
        "label values stay even when empty; null pointers go",
        scheme.SERVICES,
        {
            "metadata": {"name": "a", "labels": {"x": ""}, "deletionTimestamp": None},
            "spec": {"clusterIPs": None},
        },
        {"metadata": {"name": "a", "labels": {"x": ""}}, "spec": {}},
    ),
    (
        "EndpointSlice: non-omitempty lists and pointer ports stay",
        scheme.ENDPOINT_SLICES,
        {
            "addressType": "IPv4",
            "endpoints": [{"addresses": [], "conditions": {"ready": False}, "hostname": ""}],
            "ports": [{"name": "", "port": 0}],
        },
        {
            "addressType": "IPv4",
            "endpoints": [{"addresses": [], "conditions": {"ready": False}, "hostname": ""}],
            "ports": [{"name": "", "port": 0}],
        },
    ),
    (
        "Lease: the spec struct is always written, its times reformatted",
        scheme.LEASES,
        {"metadata": {"name": "l"}, "spec": {"renewTime": "2024-01-02T03:04:05.000000+01:00"}},
        {"metadata": {"name": "l"}, "spec": {"renewTime": "2024-01-02T02:04:05.000000Z"}},
    ),
    (
        "Lease without spec",
        scheme.LEASES,
        {"metadata": {"name": "l"}},
        {"metadata": {"name": "l"}, "spec": {}},
    ),
    (
        "core Event: zero times are null, reporting fields are written",
        scheme.EVENTS_V1,
        {
            "metadata": {"name": "e"},
            "involvedObject": {"kind": "Pod", "name": "p"},
            "count": 0,
            "message": "",
        },
        {
            "metadata": {"name": "e"},
            "involvedObject": {"kind": "Pod", "name": "p"},
            "source": {},
            "firstTimestamp": None,
            "lastTimestamp": None,
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        },
    ),
    (
        "Pod condition times",
        scheme.PODS,
        {"metadata": {"name": "p"}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}},
        {
            "metadata": {"name": "p"},
            "status": {
                "conditions": [
                    {"type": "Ready", "status": "True", "lastProbeTime": None, "lastTransitionTime": None}
                ]
            },
        },
    ),
    (
        "Node: spec and the status structs",
        scheme.NODES,
        {"metadata": {"name": "n"}, "spec": {"unschedulable": False}},
        {
            "metadata": {"name": "n"},
            "spec": {},
            "status": {
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},
                "nodeInfo": {
                    k: ""
                    for k in (
                        "machineID",
                        "systemUUID",
                        "bootID",
                        "kernelVersion",
                        "osImage",
                        "containerRuntimeVersion",
                        "kubeletVersion",
                        "kubeProxyVersion",
                        "operatingSystem",
                        "architecture",
                    )
                },
            },
        },
    ),
]


@pytest.mark.parametrize(("why", "info", "body", "expected"), SHAPES, ids=[s[0] for s in SHAPES])
def test_reshape(why: str, info: Any, body: dict[str, Any], expected: dict[str, Any]) -> None:
    obj = copy.deepcopy(body)
    wireshape.reshape(obj, info)
    assert obj == expected
    wireshape.reshape(obj, info)
    assert obj == expected, "reshaping is idempotent"


def test_bad_time_is_a_400_naming_the_kind() -> None:
    with pytest.raises(errors.StatusError) as exc:
        wireshape.reshape({"spec": {"acquireTime": "soon"}}, scheme.LEASES)
    assert exc.value.code == 400
    assert exc.value.to_status()["message"] == (
        'Lease in version "v1" cannot be handled as a Lease: parsing time "soon" as '
        '"2006-01-02T15:04:05.000000Z07:00": cannot parse "soon" as "2006"'
    )
