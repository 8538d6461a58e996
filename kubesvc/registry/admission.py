"""kube-apiserver's default mutating admission for Pods: what every created Pod gains.

kube-apiserver runs its default admission plugins on every write after decoding and defaulting
and before the registry (after the field manager recorded the request's fields, so what a
plugin adds is owned by no manager).  Three of them change a Pod, in this order:

* **ServiceAccount** (create only; not for mirror Pods, annotation `kubernetes.io/config.mirror`):
  an empty `spec.serviceAccountName` becomes `default`.  Upstream then requires the
  ServiceAccount to exist (403 `error looking up service account NS/NAME: ...`), copies its
  `imagePullSecrets` and mounts a projected token volume (`kube-api-access-xxxxx`) into every
  container.  kubesvc serves no ServiceAccounts and issues no tokens, so it does the honest part
  only: the name is set (every namespace of a real cluster holds a `default` account, so this
  is what a user sees there), no existence check is made and no token volume is mounted
  (a volume nothing would ever fill would be a lie to the Pod).  As the v1 conversion does on
  every write, the deprecated `serviceAccount` mirrors `serviceAccountName` (and stands in for
  it when only it is given).
* **Priority** (create; on update it keeps the values the create set): without a
  `priorityClassName` and with no global-default PriorityClass (kubesvc serves none), the Pod
  gets `priority: 0` and `preemptionPolicy: PreemptLowerPriority`; a `priority` or
  `preemptionPolicy` the client set that differs is a 403.  A `priorityClassName` must name a
  class: of the built-in ones, `system-cluster-critical` (2000000000) and
  `system-node-critical` (2000001000), both `PreemptLowerPriority`; any other name is a 403
  `no PriorityClass with name X was found`.
* **DefaultTolerationSeconds** (create and update): unless the Pod already tolerates them, it
  tolerates `node.kubernetes.io/not-ready` and `node.kubernetes.io/unreachable`
  (`operator: Exists`, `effect: NoExecute`, `tolerationSeconds: 300`).  A toleration with an
  empty key tolerates every key, one with an empty effect every effect.

`--disable-admission-plugins` turns any of the three off (test/cmd's kube-apiserver runs
without ServiceAccount and DefaultTolerationSeconds).  `enableServiceLinks: true` is
defaulting's (`api/defaults.py`).  DefaultStorageClass,
LimitRanger, RuntimeClass and the rest have nothing to act on here.  Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from kubesvc.api import errors

Obj = dict[str, Any]

MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"
DEFAULT_SERVICE_ACCOUNT = "default"

TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
DEFAULT_TOLERATION_SECONDS = 300  # --default-{not-ready,unreachable}-toleration-seconds

PREEMPT_LOWER_PRIORITY = "PreemptLowerPriority"
DEFAULT_PRIORITY = 0  # scheduling.DefaultPriorityWhenNoDefaultClassExists
# The PriorityClasses kube-apiserver creates at start (name -> value, preemptionPolicy).
SYSTEM_PRIORITY_CLASSES: dict[str, tuple[int, str]] = {
    "system-node-critical": (2000001000, PREEMPT_LOWER_PRIORITY),
    "system-cluster-critical": (2000000000, PREEMPT_LOWER_PRIORITY),
}


def _spec(pod: Obj) -> Obj:
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        spec = {}
        pod["spec"] = spec
    return spec


def _meta(pod: Obj) -> Obj:
    meta = pod.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _forbidden(pod: Obj, message: str) -> errors.StatusError:
    """`admission.NewForbidden`: names the Pod, or (its name not generated yet) its
    generateName, or "Unknown"."""
    meta = _meta(pod)
    name = str(meta.get("name") or meta.get("generateName") or "Unknown")
    return errors.forbidden("pods", name, message)


# -- ServiceAccount ----------------------------------------------------------------------------


def mirror_service_account(spec: Obj) -> None:
    """The v1 conversion of `serviceAccount` (deprecated alias) and `serviceAccountName`: the
    alias stands in for an empty name, and is always written equal to the name."""
    name = spec.get("serviceAccountName") or ""
    if not name and spec.get("serviceAccount"):
        name = spec["serviceAccount"]
        spec["serviceAccountName"] = name
    if name:
        spec["serviceAccount"] = name
    else:
        spec.pop("serviceAccount", None)


def service_account(pod: Obj) -> None:
    spec = _spec(pod)
    mirror_service_account(spec)
    annotations = _meta(pod).get("annotations")
    if isinstance(annotations, dict) and MIRROR_POD_ANNOTATION in annotations:
        return
    if not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = DEFAULT_SERVICE_ACCOUNT
        spec["serviceAccount"] = DEFAULT_SERVICE_ACCOUNT


# -- Priority ----------------------------------------------------------------------------------


def priority(pod: Obj) -> None:
    spec = _spec(pod)
    class_name = spec.get("priorityClassName") or ""
    if not class_name:
        value, policy = DEFAULT_PRIORITY, PREEMPT_LOWER_PRIORITY
    elif class_name in SYSTEM_PRIORITY_CLASSES:
        value, policy = SYSTEM_PRIORITY_CLASSES[class_name]
    else:
        raise _forbidden(pod, f"no PriorityClass with name {class_name} was found")
    given = spec.get("priority")
    if given is not None and given != value:
        raise _forbidden(
            pod,
            f"the integer value of priority ({given}) must not be provided in pod spec; priority "
            f"admission controller computed {value} from the given PriorityClass name",
        )
    spec["priority"] = value
    given_policy = spec.get("preemptionPolicy")
    if given_policy is not None and given_policy != policy:
        raise _forbidden(
            pod,
            f"the string value of PreemptionPolicy ({given_policy}) must not be provided in pod spec; "
            f"priority admission controller computed {policy} from the given PriorityClass name",
        )
    spec["preemptionPolicy"] = policy


def keep_priority(new: Obj, old: Obj) -> None:
    """On update the Priority plugin keeps what the create set when the update leaves it out."""
    new_spec, old_spec = _spec(new), old.get("spec") or {}
    for key in ("priority", "preemptionPolicy"):
        if new_spec.get(key) is None and old_spec.get(key) is not None:
            new_spec[key] = old_spec[key]


# -- DefaultTolerationSeconds ------------------------------------------------------------------


def _tolerates(tolerations: list[Any], key: str) -> bool:
    for t in tolerations:
        if not isinstance(t, dict):
            continue
        if t.get("key", "") in (key, "") and t.get("effect", "") in ("NoExecute", ""):
            return True
    return False


def default_toleration_seconds(pod: Obj) -> None:
    spec = _spec(pod)
    current = spec.get("tolerations")
    tolerations: list[Any] = list(current) if isinstance(current, list) else []
    added = False
    for key in (TAINT_NOT_READY, TAINT_UNREACHABLE):
        if not _tolerates(tolerations, key):
            tolerations.append(
                {
                    "key": key,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
                }
            )
            added = True
    if added:
        spec["tolerations"] = tolerations


# -- the chain ---------------------------------------------------------------------------------


def admit_pod_create(pod: Obj, disabled: frozenset[str] = frozenset()) -> None:
    """The default plugins on a Pod create, in kube-apiserver's order, but for those named in
    `disabled` (kube-apiserver's --disable-admission-plugins); raises a 403 StatusError as
    they do.  The `serviceAccount` mirror is the v1 conversion's, not a plugin's: it stays."""
    if "ServiceAccount" in disabled:
        mirror_service_account(_spec(pod))
    else:
        service_account(pod)
    if "Priority" not in disabled:
        priority(pod)
    if "DefaultTolerationSeconds" not in disabled:
        default_toleration_seconds(pod)


def admit_pod_update(new: Obj, old: Obj, disabled: frozenset[str] = frozenset()) -> None:
    """The default plugins on an update of a Pod (not of its subresources)."""
    mirror_service_account(_spec(new))
    if "Priority" not in disabled:
        keep_priority(new, old)
    if "DefaultTolerationSeconds" not in disabled:
        default_toleration_seconds(new)


__all__ = [
    "SYSTEM_PRIORITY_CLASSES",
    "admit_pod_create",
    "admit_pod_update",
    "default_toleration_seconds",
    "priority",
    "service_account",
]
