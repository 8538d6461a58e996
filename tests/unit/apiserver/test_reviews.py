"""Self reviews answered from the two fixed roles (reviews.py)."""

from __future__ import annotations

from typing import Any

import pytest

from kubesvc.api import errors
from kubesvc.apiserver import pki, reviews
from kubesvc.apiserver.requestinfo import parse

ADMIN = pki.UserInfo("admin", "admin", (pki.MASTERS_GROUP,))
READONLY = pki.UserInfo("readonly", "readonly", (pki.READONLY_GROUP,))
NOBODY = pki.UserInfo("someone", "", ())


@pytest.mark.parametrize(
    ("user", "attrs", "resource", "allowed"),
    [
        (ADMIN, {"verb": "delete", "resource": "nodes"}, True, True),
        (ADMIN, {"verb": "post", "path": "/anything"}, False, True),
        (READONLY, {"verb": "list", "resource": "services"}, True, True),
        (READONLY, {"verb": "watch", "resource": "leases", "group": "coordination.k8s.io"}, True, True),
        (READONLY, {"verb": "create", "resource": "services"}, True, False),
        (READONLY, {"verb": "patch", "resource": "services", "subresource": "status"}, True, False),
        (READONLY, {"verb": "get", "path": "/healthz"}, False, True),
        (READONLY, {"verb": "post", "path": "/healthz"}, False, False),
        (
            READONLY,
            {"verb": "create", "resource": "selfsubjectaccessreviews", "group": "authorization.k8s.io"},
            True,
            True,
        ),
        (
            NOBODY,
            {"verb": "create", "resource": "selfsubjectreviews", "group": "authentication.k8s.io"},
            True,
            True,
        ),
        (NOBODY, {"verb": "get", "resource": "services"}, True, False),
    ],
)
def test_allowed(user: pki.UserInfo, attrs: dict[str, Any], resource: bool, allowed: bool) -> None:
    assert reviews.allowed(user, attrs, resource=resource) is allowed


def test_review_paths() -> None:
    assert reviews.review_info(
        parse("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {})
    ) is (reviews.SELF_SUBJECT_ACCESS_REVIEWS)
    assert reviews.review_info(parse("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {})) is (
        reviews.SELF_SUBJECT_REVIEWS
    )
    assert reviews.review_info(parse("POST", "/api/v1/namespaces/default/services", {})) is None
    assert (
        reviews.review_info(parse("POST", "/apis/authorization.k8s.io/v1beta1/selfsubjectaccessreviews", {}))
        is None
    )


def test_answers() -> None:
    who = reviews.answer(reviews.SELF_SUBJECT_REVIEWS, {}, READONLY)
    assert who == {
        "kind": "SelfSubjectReview",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": None},
        "status": {
            "userInfo": {
                "username": "readonly",
                "uid": "readonly",
                "groups": ["kubesvc:readonly", "system:authenticated"],
            }
        },
    }
    spec = {"resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "x"}}
    sar = reviews.answer(reviews.SELF_SUBJECT_ACCESS_REVIEWS, {"spec": spec}, READONLY)
    assert sar["spec"] == spec and sar["status"] == {"allowed": True}
    rules = reviews.answer(reviews.SELF_SUBJECT_RULES_REVIEWS, {"spec": {"namespace": "x"}}, ADMIN)["status"]
    assert rules["resourceRules"][0] == {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}
    assert rules["nonResourceRules"] == [{"verbs": ["*"], "nonResourceURLs": ["*"]}]
    assert rules["incomplete"] is False
    with pytest.raises(errors.StatusError) as exc:
        reviews.answer(reviews.SELF_SUBJECT_ACCESS_REVIEWS, {"spec": {}}, ADMIN)
    assert exc.value.code == 422
    assert (
        "exactly one of nonResourceAttributes or resourceAttributes must be specified"
        in exc.value.to_status()["message"]
    )
