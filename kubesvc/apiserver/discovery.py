"""Discovery documents: `/version`, legacy `/api`, `/apis`, `/api/v1`, `/apis/<g>[/<v>]` and the
aggregated `APIGroupDiscoveryList` (apidiscovery.k8s.io v2 / v2beta1), built from the scheme.

Negotiation of the aggregated form follows kubectl-needs.md §3: serve v2 only when the Accept
header asks for `v=v2`, v2beta1 when only that is asked, else the legacy JSON.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from kubesvc.api import scheme
from kubesvc.api.scheme import ResourceInfo
from kubesvc.apiserver import reviews


def _all() -> list[ResourceInfo]:
    """Every served resource: the scheme's kinds and the (storeless) self reviews."""
    return [*scheme.ALL, *reviews.served()]


# Verbs of a subresource (status/finalize) as upstream lists them.
_SUBRESOURCE_VERBS = {"status": ["get", "patch", "update"], "finalize": ["update"]}

# Subresources served outside the generic store, with the kind they take: pods/eviction
# (apiserver/eviction.py) is a policy/v1 Eviction.  (group, version, kind, verbs)
_EXTRA_SUBRESOURCES: dict[tuple[str, str], dict[str, tuple[str, str, str, list[str]]]] = {
    ("", "pods"): {"eviction": ("policy", "v1", "Eviction", ["create"])},
}


def _subresources(r: ResourceInfo) -> list[tuple[str, str, str, str, list[str]]]:
    """(name, group, version, kind, verbs) of each subresource of `r`, sorted by name."""
    subs = [(sub, r.group, r.version, r.kind, _SUBRESOURCE_VERBS.get(sub, ["get"])) for sub in r.subresources]
    for sub, (group, version, kind, verbs) in _EXTRA_SUBRESOURCES.get((r.group, r.resource), {}).items():
        subs.append((sub, group, version, kind, verbs))
    return sorted(subs)


# Kinds stored under another group-version's kind (the hash names the storage version).
_STORAGE_KIND = {("events.k8s.io", "Event"): ("", "v1", "Event")}


def storage_version_hash(r: ResourceInfo) -> str:
    """Upstream's `discovery.StorageVersionHash`: the first 8 bytes of sha256("group/version/
    kind") of the version the resource is stored as, in standard base64; "" for resources
    without storage (the self reviews)."""
    if reviews.is_review(r):
        return ""
    group, version, kind = _STORAGE_KIND.get((r.group, r.kind), (r.group, r.version, r.kind))
    digest = hashlib.sha256(f"{group}/{version}/{kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def version_priority(version: str) -> tuple[int, int, int]:
    """Upstream's version order (`version.CompareKubeAwareVersionStrings`): GA before beta before
    alpha, higher numbers first (v2, v1, v1beta2, v1beta1, v1alpha1); the sort key of it."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if m is None:
        return (3, 0, 0)
    level = {"": 0, "beta": 1, "alpha": 2}[m.group(2) or ""]
    return (level, -int(m.group(1)), -int(m.group(3) or 0))


def version_info(major: int, minor: int, patch: int) -> dict[str, Any]:
    return {
        "major": str(major),
        "minor": str(minor),
        "gitVersion": f"v{major}.{minor}.{patch}",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-08-13T07:28:49Z",
        "goVersion": "go1.22.5",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def _sorted_verbs(info: ResourceInfo) -> list[str]:
    return sorted(info.verbs)


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_entry(group: str) -> dict[str, Any]:
    versions = sorted({r.version for r in _all() if r.group == group}, key=version_priority)
    gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": gvs, "preferredVersion": gvs[0]}


# kube-apiserver lists its groups by priority (`pkg/controlplane/apiserver` group priorities),
# not by name; these are ours in that order.  A group missing here goes last.
_GROUP_ORDER = (
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "flowcontrol.apiserver.k8s.io",
)


def _group_rank(group: str) -> int:
    return _GROUP_ORDER.index(group) if group in _GROUP_ORDER else len(_GROUP_ORDER)


def _named_groups() -> list[str]:
    out: list[str] = []
    for r in _all():
        if r.group and r.group not in out:
            out.append(r.group)
    return sorted(out, key=_group_rank)


def _resources_in(group: str, version: str) -> list[ResourceInfo]:
    """A group-version's resources sorted by name, as kube-apiserver serves them (this order is
    also the order of `kubectl get all`: pods before services)."""
    return sorted((r for r in _all() if r.group == group and r.version == version), key=lambda r: r.resource)


def api_group_list() -> dict[str, Any]:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_entry(g) for g in _named_groups()],
    }


def api_group(group: str) -> dict[str, Any] | None:
    if group not in _named_groups():
        return None
    # metav1.APIGroup: TypeMeta first, as Go writes its fields
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(group)}


def api_resource_list(group: str, version: str) -> dict[str, Any] | None:
    infos = _resources_in(group, version)
    if not infos:
        return None
    resources: list[dict[str, Any]] = []
    for r in infos:
        entry: dict[str, Any] = {
            "name": r.resource,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": _sorted_verbs(r),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        if svh := storage_version_hash(r):
            entry["storageVersionHash"] = svh
        resources.append(entry)
        for sub, group, version, kind, verbs in _subresources(r):
            entry = {"name": f"{r.resource}/{sub}", "singularName": "", "namespaced": r.namespaced}
            if (group, version) != (r.group, r.version):
                entry.update(group=group, version=version)  # a kind of another group-version
            entry.update(kind=kind, verbs=verbs)
            resources.append(entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }


def _discovery_resource(r: ResourceInfo) -> dict[str, Any]:
    d: dict[str, Any] = {
        "resource": r.resource,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": "Namespaced" if r.namespaced else "Cluster",
        "singularResource": r.singular,
        "verbs": _sorted_verbs(r),
    }
    if r.short_names:
        d["shortNames"] = list(r.short_names)
    if r.categories:
        d["categories"] = list(r.categories)
    if subs := _subresources(r):
        d["subresources"] = [
            {
                "subresource": sub,
                "responseKind": {"group": group, "version": version, "kind": kind},
                "verbs": verbs,
            }
            for sub, group, version, kind, verbs in subs
        ]
    return d


def aggregated(core: bool, api_version: str) -> dict[str, Any]:
    """The `APIGroupDiscoveryList` for `/api` (core) or `/apis` (named groups)."""
    groups = [""] if core else _named_groups()
    items = []
    for g in groups:
        versions = sorted({r.version for r in _all() if r.group == g}, key=version_priority)
        items.append(
            {
                "metadata": {"name": g, "creationTimestamp": None},
                "versions": [
                    {
                        "version": v,
                        "resources": [_discovery_resource(r) for r in _resources_in(g, v)],
                        "freshness": "Current",
                    }
                    for v in versions
                ],
            }
        )
    return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {}, "items": items}
