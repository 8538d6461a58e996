"""Which SelfSubjectReview versions are served (--runtime-config), and discovery's version order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kubesvc.apiserver import discovery, pki, reviews
from kubesvc.apiserver.requestinfo import parse

ADMIN = pki.UserInfo("admin", "admin", (pki.MASTERS_GROUP,))


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    yield
    reviews.configure({})


# (runtime-config, authentication.k8s.io versions served), as kube-apiserver 1.27-1.31 answers
CASES: list[tuple[dict[str, str], list[str]]] = [
    ({}, ["v1"]),  # KEP-3136: beta APIs are off by default, alphas always
    ({"authentication.k8s.io/v1beta1": "true"}, ["v1", "v1beta1"]),
    ({"authentication.k8s.io/v1beta1": ""}, ["v1", "v1beta1"]),
    ({"authentication.k8s.io/v1alpha1": "true"}, ["v1", "v1alpha1"]),
    ({"api/beta": "true"}, ["v1", "v1beta1"]),
    ({"api/alpha": "true"}, ["v1", "v1alpha1"]),
    ({"api/all": "true"}, ["v1", "v1beta1", "v1alpha1"]),
    ({"api/all": "true", "authentication.k8s.io/v1alpha1": "false"}, ["v1", "v1beta1"]),
    ({"api/beta": "true", "authentication.k8s.io/v1beta1": "false"}, ["v1"]),
    ({"authentication.k8s.io/v1beta1": "false"}, ["v1"]),
]


@pytest.mark.parametrize(("config", "versions"), CASES)
def test_served_versions_and_discovery(config: dict[str, str], versions: list[str]) -> None:
    reviews.configure(config)
    group = discovery.api_group("authentication.k8s.io")
    assert group is not None
    assert [v["version"] for v in group["versions"]] == versions
    assert group["preferredVersion"]["version"] == "v1"
    for v in ("v1beta1", "v1alpha1"):
        served = reviews.review_info(parse("POST", f"/apis/authentication.k8s.io/{v}/selfsubjectreviews", {}))
        assert (served is not None) == (v in versions)
        listed = discovery.api_resource_list("authentication.k8s.io", v)
        assert (listed is not None) == (v in versions)
    aggregated = discovery.aggregated(False, "apidiscovery.k8s.io/v2")
    entry = next(i for i in aggregated["items"] if i["metadata"]["name"] == "authentication.k8s.io")
    assert [v["version"] for v in entry["versions"]] == versions


def test_bad_value_is_refused() -> None:
    with pytest.raises(ValueError):
        reviews.configure({"authentication.k8s.io/v1beta1": "yes"})


def test_v1beta1_answer() -> None:
    reviews.configure({"authentication.k8s.io/v1beta1": "true"})
    info = reviews.review_info(parse("POST", "/apis/authentication.k8s.io/v1beta1/selfsubjectreviews", {}))
    assert info is not None
    doc: dict[str, Any] = {"apiVersion": "authentication.k8s.io/v1beta1", "kind": "SelfSubjectReview"}
    out = reviews.answer(info, doc, ADMIN)
    assert out == {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1beta1",
        "metadata": {"creationTimestamp": None},
        "status": {
            "userInfo": {
                "username": "admin",
                "uid": "admin",
                "groups": ["system:masters", "system:authenticated"],
            }
        },
    }


@pytest.mark.parametrize(
    ("versions", "ordered"),
    [
        (["v1alpha1", "v1", "v1beta1"], ["v1", "v1beta1", "v1alpha1"]),
        (["v1beta1", "v2", "v1beta2", "v1"], ["v2", "v1", "v1beta2", "v1beta1"]),
        (["v10", "v2"], ["v10", "v2"]),
    ],
)
def test_version_priority(versions: list[str], ordered: list[str]) -> None:
    assert sorted(versions, key=discovery.version_priority) == ordered
