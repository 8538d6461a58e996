"""Self reviews: "who am I" and "may I", answered from the two fixed roles.

`kubectl auth whoami` creates an authentication.k8s.io/v1 `SelfSubjectReview`; `kubectl auth
can-i VERB RESOURCE` a authorization.k8s.io/v1 `SelfSubjectAccessReview`; `kubectl auth can-i
--list` a `SelfSubjectRulesReview`.  kube-apiserver lets every authenticated user create these
(the `system:basic-user` role) and stores none of them: the answer is the posted object with a
`status`.  Our authorizer has two roles (see `app._authorize`): `system:masters` may do
everything; the read-only group may get, list and watch every resource and GET every
non-resource path.  Every authenticated user also belongs to `system:authenticated`.

`answer()` is pure; `serve()` is the HTTP glue the app calls before authorization.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kubesvc.api import errors
from kubesvc.api import fields as F
from kubesvc.api.scheme import ResourceInfo
from kubesvc.apiserver import pki
from kubesvc.apiserver.requestinfo import RequestInfo

if TYPE_CHECKING:
    from aiohttp import web

AUTHENTICATION = "authentication.k8s.io"
AUTHORIZATION = "authorization.k8s.io"
AUTHENTICATED_GROUP = "system:authenticated"

SELF_SUBJECT_REVIEWS = ResourceInfo(
    AUTHENTICATION,
    "v1",
    "SelfSubjectReview",
    "selfsubjectreviews",
    "selfsubjectreview",
    False,
    verbs=("create",),
)
SELF_SUBJECT_ACCESS_REVIEWS = ResourceInfo(
    AUTHORIZATION,
    "v1",
    "SelfSubjectAccessReview",
    "selfsubjectaccessreviews",
    "selfsubjectaccessreview",
    False,
    verbs=("create",),
)
SELF_SUBJECT_RULES_REVIEWS = ResourceInfo(
    AUTHORIZATION,
    "v1",
    "SelfSubjectRulesReview",
    "selfsubjectrulesreviews",
    "selfsubjectrulesreview",
    False,
    verbs=("create",),
)
RESOURCES = (SELF_SUBJECT_REVIEWS, SELF_SUBJECT_ACCESS_REVIEWS, SELF_SUBJECT_RULES_REVIEWS)

# SelfSubjectReview's earlier versions.  kube-apiserver 1.27-1.31 keeps them off by default
# (KEP-3136: beta APIs are off by default; alphas always are): `--runtime-config
# authentication.k8s.io/v1beta1=true` (or `api/beta=true`, `api/all=true`) serves v1beta1,
# which kubectl 1.27's `auth whoami` needs; `authentication.k8s.io/v1alpha1=true` (or
# `api/alpha=true`, `api/all=true`) serves v1alpha1.
SELF_SUBJECT_REVIEWS_V1BETA1 = dataclasses.replace(SELF_SUBJECT_REVIEWS, version="v1beta1")
SELF_SUBJECT_REVIEWS_V1ALPHA1 = dataclasses.replace(SELF_SUBJECT_REVIEWS, version="v1alpha1")
OPTIONAL = {
    f"{AUTHENTICATION}/v1beta1": (SELF_SUBJECT_REVIEWS_V1BETA1, "beta"),
    f"{AUTHENTICATION}/v1alpha1": (SELF_SUBJECT_REVIEWS_V1ALPHA1, "alpha"),
}
_ALL_KINDS = (*RESOURCES, SELF_SUBJECT_REVIEWS_V1BETA1, SELF_SUBJECT_REVIEWS_V1ALPHA1)

_served: tuple[ResourceInfo, ...] = RESOURCES
_BY_PATH = {(r.group, r.version, r.resource): r for r in _served}


def configure(runtime_config: Mapping[str, str]) -> None:
    """Serve the optional review versions `--runtime-config` turns on (`group/version=true`,
    `api/all`, `api/beta`, `api/alpha`; a key without a value means true).  Keys naming other
    group-versions are not ours to switch (the served kinds are always on)."""
    global _served, _BY_PATH

    def on(key: str) -> bool | None:
        if key not in runtime_config:
            return None
        value = runtime_config[key].strip().lower()
        if value not in ("", "true", "false"):
            raise ValueError(f"invalid value of {key}: {runtime_config[key]}, err: strconv.ParseBool")
        return value != "false"

    served = list(RESOURCES)
    everything = on("api/all")
    for gv, (info, level) in OPTIONAL.items():
        state = on(gv)
        if state is None:
            state = on(f"api/{level}")
        if state is None:
            state = everything
        if state:
            served.append(info)
    _served = tuple(served)
    _BY_PATH = {(r.group, r.version, r.resource): r for r in _served}


def served() -> tuple[ResourceInfo, ...]:
    """The review resources this server answers (and discovery lists)."""
    return _served


def is_review(info: ResourceInfo) -> bool:
    return info in _ALL_KINDS


READ_VERBS = ("get", "list", "watch")

# What every authenticated user may do (upstream `system:basic-user`).
_BASIC_RULES: list[dict[str, Any]] = [
    {"verbs": ["create"], "apiGroups": [AUTHENTICATION], "resources": ["selfsubjectreviews"]},
    {
        "verbs": ["create"],
        "apiGroups": [AUTHORIZATION],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    },
]


# What every authenticated user may GET besides (upstream `system:discovery` and
# `system:public-info-viewer`, bound to system:authenticated).
DISCOVERY_URLS = ("/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/")  # fmt: skip
PUBLIC_INFO_URLS = ("/healthz", "/livez", "/readyz", "/version", "/version/")


def is_discovery_path(path: str) -> bool:
    """Does a `system:discovery` / `system:public-info-viewer` rule cover this path?"""
    return any(path == url or (url.endswith("/*") and path.startswith(url[:-1])) for url in DISCOVERY_URLS)


def review_info(ri: RequestInfo) -> ResourceInfo | None:
    """The review resource a request addresses, or None."""
    if not ri.is_resource or ri.namespace:
        return None
    return _BY_PATH.get((ri.group, ri.version, ri.resource))


def groups_of(user: pki.UserInfo) -> list[str]:
    groups = list(user.groups)
    if AUTHENTICATED_GROUP not in groups:
        groups.append(AUTHENTICATED_GROUP)
    return groups


def allowed(user: pki.UserInfo, attrs: dict[str, Any], *, resource: bool) -> bool:
    """Would `app._authorize` let this user do this?"""
    if pki.MASTERS_GROUP in user.groups:
        return True
    verb = str(attrs.get("verb") or "")
    if resource:
        group = str(attrs.get("group") or "")
        res = str(attrs.get("resource") or "")
        basic = any(group in r["apiGroups"] and res in r["resources"] for r in _BASIC_RULES)
        if verb == "create" and not attrs.get("subresource") and basic:
            return True
        return pki.READONLY_GROUP in user.groups and verb in READ_VERBS
    if verb == "get" and is_discovery_path(str(attrs.get("path") or "")):
        return True
    return pki.READONLY_GROUP in user.groups and verb in ("get", "head")


def rules(user: pki.UserInfo) -> dict[str, Any]:
    """The SelfSubjectRulesReview status of a user."""
    if pki.MASTERS_GROUP in user.groups:
        resource_rules = [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}, *_BASIC_RULES]
        non_resource = [{"verbs": ["*"], "nonResourceURLs": ["*"]}]
    elif pki.READONLY_GROUP in user.groups:
        resource_rules = [{"verbs": list(READ_VERBS), "apiGroups": ["*"], "resources": ["*"]}, *_BASIC_RULES]
        non_resource = [{"verbs": ["get"], "nonResourceURLs": ["*"]}]
    else:
        resource_rules = list(_BASIC_RULES)
        non_resource = [
            {"verbs": ["get"], "nonResourceURLs": list(DISCOVERY_URLS)},
            {"verbs": ["get"], "nonResourceURLs": list(PUBLIC_INFO_URLS)},
        ]
    return {"resourceRules": resource_rules, "nonResourceRules": non_resource, "incomplete": False}


# authorization/v1 field order (Go's), for the echoed spec.
_SPEC_ORDER = ("resourceAttributes", "nonResourceAttributes", "user", "groups", "extra", "uid", "namespace")
_RESOURCE_ATTRIBUTES = (
    "namespace",
    "verb",
    "group",
    "version",
    "resource",
    "subresource",
    "name",
    "fieldSelector",
    "labelSelector",
)


def _in_go_order(d: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """A copy of `d` with its keys in Go's declared order (others after, as they came)."""
    rank = {k: i for i, k in enumerate(order)}
    return dict(sorted(d.items(), key=lambda kv: rank.get(kv[0], len(order))))


def answer(info: ResourceInfo, doc: dict[str, Any], user: pki.UserInfo) -> dict[str, Any]:
    """The review as kube-apiserver returns it: the posted object plus its `status`."""
    meta = dict(doc.get("metadata") or {})
    meta.setdefault("creationTimestamp", None)
    out: dict[str, Any] = {"kind": info.kind, "apiVersion": info.api_version, "metadata": meta}
    if info.kind == SELF_SUBJECT_REVIEWS.kind:
        user_info: dict[str, Any] = {"username": user.name}
        if user.uid:
            user_info["uid"] = user.uid
        user_info["groups"] = groups_of(user)
        out["status"] = {"userInfo": user_info}
        return out
    spec = doc.get("spec")
    spec = _in_go_order(spec, _SPEC_ORDER) if isinstance(spec, dict) else {}
    for key, order in (
        ("resourceAttributes", _RESOURCE_ATTRIBUTES),
        ("nonResourceAttributes", ("path", "verb")),
    ):
        if isinstance(spec.get(key), dict):
            spec[key] = _in_go_order(spec[key], order)
    out["spec"] = spec
    if info is SELF_SUBJECT_RULES_REVIEWS:
        out["status"] = rules(user)
        return out
    res_attrs = spec.get("resourceAttributes")
    non_res = spec.get("nonResourceAttributes")
    if res_attrs and non_res:
        problem = F.invalid(
            "spec.nonResourceAttributes",
            non_res,
            "cannot be specified in combination with resourceAttributes",
        )
    elif not res_attrs and not non_res:
        problem = F.invalid(
            "spec.resourceAttributes",
            "null",  # upstream prints a nil pointer as the string "null"
            "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )
    else:
        problem = None
    if problem is not None:
        raise errors.invalid(info.kind, "", [problem], info.group)
    attrs = res_attrs if res_attrs else non_res
    ok = allowed(user, attrs if isinstance(attrs, dict) else {}, resource=bool(res_attrs))
    out["status"] = {"allowed": ok}
    return out


async def serve(
    request: web.Request, info: ResourceInfo, user: pki.UserInfo | None, limit: int
) -> web.Response:
    """POST of a review (any other method is 405); needs an authenticated user."""
    from kubesvc.apiserver import handlers
    from kubesvc.apiserver import negotiation as neg

    if user is None:
        raise errors.unauthorized()
    if request.method != "POST":
        raise handlers.method_not_allowed()
    # upstream's create handler negotiates the answer first: reviews have no table convertor,
    # so `as=Table` alone is 406 Not Acceptable; YAML is answered in YAML
    out_type = handlers.output_for(request, allow_table=False)
    body = await handlers.read_body(request, limit)
    doc: Any = {}
    if body.strip():
        doc, _ = handlers.decode_document(body, request.headers.get("Content-Type", ""))
    if not isinstance(doc, dict):
        raise errors.bad_request(f"the body of the request does not hold a {info.kind}")
    kind = doc.get("kind") or info.kind
    api_version = doc.get("apiVersion") or info.api_version
    if (kind, api_version) != (info.kind, info.api_version):
        raise errors.bad_request(
            f'{kind} in version "{str(api_version).rsplit("/", 1)[-1]}" cannot be handled as a {info.kind}: '
            f'no kind "{kind}" is registered for version "{api_version}"'
        )
    out = answer(info, doc, user)
    if out_type.as_:  # PartialObjectMetadata: not a conversion we make for reviews
        out_type = neg.Output(out_type.format)
    return handlers.respond(out, 201, out_type)


__all__ = [
    "RESOURCES",
    "allowed",
    "answer",
    "configure",
    "is_review",
    "review_info",
    "rules",
    "serve",
    "served",
]
