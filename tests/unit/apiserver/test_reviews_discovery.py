"""What every authenticated user may read (upstream system:discovery and
system:public-info-viewer, bound to system:authenticated): the paths, the SelfSubjectAccessReview
answer and the SelfSubjectRulesReview rules of a user with no other role (an impersonated one)."""

from __future__ import annotations

import pytest

from kubesvc.apiserver import pki, reviews

PLAIN = pki.UserInfo(name="user1", uid="", groups=("system:authenticated",))


@pytest.mark.parametrize(
    ("path", "covered"),
    [
        ("/api", True),
        ("/api/v1", True),
        ("/apis", True),
        ("/apis/discovery.k8s.io/v1", True),
        ("/openapi/v3", True),
        ("/openapi", True),
        ("/version", True),
        ("/version/", True),
        ("/healthz", True),
        ("/livez", True),
        ("/readyz", True),
        ("/metrics", False),
        ("/logs/", False),
        ("/apisx", False),
        ("/openapix", False),
    ],
)
def test_discovery_paths(path: str, covered: bool) -> None:
    assert reviews.is_discovery_path(path) is covered
    assert reviews.allowed(PLAIN, {"verb": "get", "path": path}, resource=False) is covered


def test_plain_user_may_not_list_and_sees_discovery_rules() -> None:
    assert not reviews.allowed(PLAIN, {"verb": "list", "resource": "pods"}, resource=True)
    assert reviews.allowed(
        PLAIN,
        {"verb": "create", "group": "authentication.k8s.io", "resource": "selfsubjectreviews"},
        resource=True,
    )
    rules = reviews.rules(PLAIN)["nonResourceRules"]
    assert rules[0] == {"verbs": ["get"], "nonResourceURLs": list(reviews.DISCOVERY_URLS)}
    assert rules[1] == {
        "verbs": ["get"],
        "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"],
    }
