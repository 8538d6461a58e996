"""--disable-admission-plugins (registry/admission.py): a disabled plugin leaves the Pod as it
came; the v1 conversion's serviceAccount mirror is no plugin and always runs."""

from __future__ import annotations

from typing import Any

import pytest

from kubesvc.registry import admission


def pod(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}], **spec}}


@pytest.mark.parametrize(
    ("disabled", "service_account", "priority", "tolerations"),
    [
        (frozenset(), "default", 0, 2),
        (frozenset({"ServiceAccount"}), None, 0, 2),
        (frozenset({"Priority"}), "default", None, 2),
        (frozenset({"DefaultTolerationSeconds"}), "default", 0, 0),
        (
            frozenset({"ServiceAccount", "DefaultTolerationSeconds", "StorageObjectInUseProtection"}),
            None,
            0,
            0,
        ),
    ],
)
def test_create_runs_only_the_enabled_plugins(
    disabled: frozenset[str], service_account: str | None, priority: int | None, tolerations: int
) -> None:
    obj = pod()
    admission.admit_pod_create(obj, disabled)
    spec = obj["spec"]
    assert spec.get("serviceAccountName") == service_account
    assert spec.get("priority") == priority
    assert len(spec.get("tolerations") or []) == tolerations


def test_service_account_mirror_is_not_a_plugin() -> None:
    obj = pod(serviceAccount="builder")
    admission.admit_pod_create(obj, frozenset({"ServiceAccount"}))
    assert obj["spec"]["serviceAccountName"] == "builder"


def test_update_without_default_tolerations_adds_none() -> None:
    old = pod()
    new = pod()
    admission.admit_pod_update(new, old, frozenset({"DefaultTolerationSeconds"}))
    assert "tolerations" not in new["spec"]
    admission.admit_pod_update(new, old)
    assert len(new["spec"]["tolerations"]) == 2
