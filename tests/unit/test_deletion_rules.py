"""The pure rules of a DELETE (registry/deletion.py) and of the garbage collector's judgement
(controllers/gc.py), table-driven after upstream's store.go, rest/delete.go and
garbagecollector.go."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubesvc.api import errors
from kubesvc.api.scheme import ENDPOINT_SLICES, EVENTS_EVENTS_V1, EVENTS_V1, LEASES, PODS, SERVICES
from kubesvc.controllers import gc
from kubesvc.registry import deletion as D
from kubesvc.registry.deletion import Action, DeleteOptions, GCPolicy

Obj = dict[str, Any]
NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
NOW_S = "2026-01-02T03:04:05Z"

ORPHAN = DeleteOptions(propagation_policy="Orphan")
FOREGROUND = DeleteOptions(propagation_policy="Foreground")
BACKGROUND = DeleteOptions(propagation_policy="Background")
NONE = DeleteOptions()


# -- finalizers for a delete request --------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "opts", "finalizers", "expected"),
    [
        (GCPolicy.NONE, NONE, [], (False, [])),
        (GCPolicy.NONE, ORPHAN, [], (True, ["orphan"])),
        (GCPolicy.NONE, FOREGROUND, [], (True, ["foregroundDeletion"])),
        (GCPolicy.NONE, BACKGROUND, [], (False, [])),
        (GCPolicy.NONE, DeleteOptions(orphan_dependents=True), [], (True, ["orphan"])),
        (GCPolicy.NONE, DeleteOptions(orphan_dependents=False), ["orphan"], (True, [])),
        # the request switches one for the other, other finalizers keep their place
        (GCPolicy.NONE, FOREGROUND, ["a/b", "orphan", "c/d"], (True, ["a/b", "c/d", "foregroundDeletion"])),
        (GCPolicy.NONE, BACKGROUND, ["foregroundDeletion", "a/b"], (True, ["a/b"])),
        # without a request, the object's own finalizers decide: nothing changes
        (GCPolicy.NONE, NONE, ["orphan"], (False, ["orphan"])),
        (GCPolicy.NONE, NONE, ["foregroundDeletion"], (False, ["foregroundDeletion"])),
        (GCPolicy.NONE, ORPHAN, ["orphan"], (False, ["orphan"])),
        # a kind that orphans by default, and one that never gets GC finalizers
        (GCPolicy.ORPHAN_DEPENDENTS, NONE, [], (True, ["orphan"])),
        (GCPolicy.ORPHAN_DEPENDENTS, BACKGROUND, [], (False, [])),
        (GCPolicy.UNSUPPORTED, ORPHAN, [], (False, [])),
        (GCPolicy.UNSUPPORTED, FOREGROUND, ["orphan", "x/y"], (True, ["x/y"])),
    ],
)
def test_gc_finalizers(
    policy: GCPolicy, opts: DeleteOptions, finalizers: list[str], expected: tuple[bool, list[str]]
) -> None:
    assert D.gc_finalizers(policy, opts, finalizers) == expected


_finalizer = st.sampled_from(["orphan", "foregroundDeletion", "example.com/a", "example.com/b", "kubernetes"])
_opts = st.builds(
    DeleteOptions,
    propagation_policy=st.sampled_from([None, "Orphan", "Foreground", "Background"]),
    orphan_dependents=st.sampled_from([None, True, False]),
)


@given(st.sampled_from(list(GCPolicy)), _opts, st.lists(_finalizer, unique=True, max_size=4))
def test_gc_finalizers_properties(policy: GCPolicy, opts: DeleteOptions, finalizers: list[str]) -> None:
    changed, new = D.gc_finalizers(policy, opts, finalizers)
    assert not ("orphan" in new and "foregroundDeletion" in new)
    # other finalizers are kept, in order
    others = [f for f in finalizers if f not in ("orphan", "foregroundDeletion")]
    assert [f for f in new if f not in ("orphan", "foregroundDeletion")] == others
    assert changed == (set(new) != set(finalizers))
    # asking again changes nothing
    assert D.gc_finalizers(policy, opts, new) == (False, new)


def test_default_policies() -> None:
    assert D.default_gc_policy(EVENTS_V1) is GCPolicy.UNSUPPORTED
    assert D.default_gc_policy(EVENTS_EVENTS_V1) is GCPolicy.UNSUPPORTED
    for info in (SERVICES, PODS, ENDPOINT_SLICES, LEASES):
        assert D.default_gc_policy(info) is GCPolicy.NONE


# -- options ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opts", "messages"),
    [
        (ORPHAN, []),
        (DeleteOptions(orphan_dependents=True), []),
        (
            DeleteOptions(propagation_policy="Foreground", orphan_dependents=False),
            [
                'propagationPolicy: Invalid value: "Foreground": orphanDependents and deletionPropagation '
                "cannot be both set"
            ],
        ),
        (
            DeleteOptions(propagation_policy="orphan"),
            [
                'propagationPolicy: Unsupported value: "orphan": supported values: "Foreground", "Background", '
                '"Orphan", "nil"'
            ],
        ),
        (DeleteOptions(dry_run=("All",)), []),
        (
            DeleteOptions(dry_run=("x",)),
            ['dryRun: Unsupported value: []string{"x"}: supported values: "All"'],
        ),
    ],
)
def test_validate_delete_options(opts: DeleteOptions, messages: list[str]) -> None:
    assert [str(e) for e in D.validate_delete_options(opts)] == messages


@pytest.mark.parametrize(
    ("body", "query", "expected"),
    [
        (None, {}, DeleteOptions()),
        (
            None,
            {"propagationPolicy": "Orphan", "gracePeriodSeconds": "5", "dryRun": "All"},
            DeleteOptions(propagation_policy="Orphan", grace_period_seconds=5, dry_run=("All",)),
        ),
        (None, {"orphanDependents": "t"}, DeleteOptions(orphan_dependents=True)),
        (None, {"orphanDependents": "False"}, DeleteOptions(orphan_dependents=False)),
        # a body wins: the query is not read at all
        ({"kind": "DeleteOptions"}, {"propagationPolicy": "Orphan"}, DeleteOptions()),
        (
            {"propagationPolicy": "Foreground", "preconditions": {"uid": "u", "resourceVersion": "7"}},
            {},
            DeleteOptions(propagation_policy="Foreground", precondition_uid="u", precondition_rv="7"),
        ),
        ({"orphanDependents": None, "gracePeriodSeconds": None}, {}, DeleteOptions()),
    ],
)
def test_decode_delete_options(body: Obj | None, query: dict[str, str], expected: DeleteOptions) -> None:
    assert D.decode_delete_options(body, query) == expected


@pytest.mark.parametrize(
    ("body", "query", "message"),
    [
        (None, {"orphanDependents": "yes"}, 'strconv.ParseBool: parsing "yes": invalid syntax'),
        (
            {"orphanDependents": "true"},
            {},
            "json: cannot unmarshal string into Go struct field DeleteOptions.orphanDependents of type bool",
        ),
        (
            {"gracePeriodSeconds": "5"},
            {},
            "json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64",
        ),
    ],
)
def test_decode_delete_options_errors(body: Obj | None, query: dict[str, str], message: str) -> None:
    with pytest.raises(errors.StatusError) as err:
        D.decode_delete_options(body, query)
    assert err.value.code == 400 and err.value.message == message


def test_preconditions_use_before_deletes_words() -> None:
    meta = {"name": "x", "uid": "u1", "resourceVersion": "5"}
    D.check_preconditions(SERVICES, meta, DeleteOptions(precondition_uid="u1", precondition_rv="5"))
    with pytest.raises(errors.StatusError) as err:
        D.check_preconditions(SERVICES, meta, DeleteOptions(precondition_uid="u2"))
    assert err.value.code == 409
    assert err.value.message == (
        'Operation cannot be fulfilled on Service "x": the UID in the precondition (u2) does not match the UID '
        "in record (u1). The object might have been deleted and then recreated"
    )


# -- the plan --------------------------------------------------------------------------------------


def no_grace(_obj: Obj, _requested: int | None) -> int | None:
    return None


def pod_grace(obj: Obj, requested: int | None) -> int | None:
    if not (obj.get("spec") or {}).get("nodeName"):
        return 0
    return requested if requested is not None else 30


def obj(**meta: Any) -> Obj:
    return {"metadata": {"name": "o", "uid": "u", **meta}, "spec": {"nodeName": "n1"}}


@pytest.mark.parametrize(
    ("case", "start", "opts", "grace", "action", "meta_after"),
    [
        ("plain", obj(), NONE, no_grace, Action.DELETE, {}),
        ("background", obj(), BACKGROUND, no_grace, Action.DELETE, {}),
        (
            "orphan",
            obj(),
            ORPHAN,
            no_grace,
            Action.UPDATE,
            {"finalizers": ["orphan"], "deletionTimestamp": NOW_S, "deletionGracePeriodSeconds": 0},
        ),
        (
            "user finalizer",
            obj(finalizers=["a/b"]),
            NONE,
            no_grace,
            Action.UPDATE,
            {"finalizers": ["a/b"], "deletionTimestamp": NOW_S, "deletionGracePeriodSeconds": 0},
        ),
        (
            "generation bumped on the first mark",
            obj(generation=3),
            FOREGROUND,
            no_grace,
            Action.UPDATE,
            {"finalizers": ["foregroundDeletion"], "generation": 4, "deletionTimestamp": NOW_S},
        ),
        (
            "earlier deletionTimestamp kept, generation not bumped again",
            obj(generation=4, finalizers=["orphan"], deletionTimestamp="2026-01-01T00:00:00Z"),
            FOREGROUND,
            no_grace,
            Action.UPDATE,
            {
                "finalizers": ["foregroundDeletion"],
                "generation": 4,
                "deletionTimestamp": "2026-01-01T00:00:00Z",
            },
        ),
        (
            "background drops the last finalizer: gone",
            obj(finalizers=["orphan"]),
            BACKGROUND,
            no_grace,
            Action.DELETE,
            {"finalizers": ["orphan"]},
        ),
        (
            "graceful pod",
            obj(),
            NONE,
            pod_grace,
            Action.UPDATE,
            {"deletionTimestamp": "2026-01-02T03:04:35Z", "deletionGracePeriodSeconds": 30},
        ),
        (
            "graceful pod pending, longer grace asked",
            obj(deletionTimestamp="2026-01-02T03:04:35Z", deletionGracePeriodSeconds=30),
            DeleteOptions(grace_period_seconds=60, propagation_policy="Orphan"),
            pod_grace,
            Action.PENDING,
            {"deletionGracePeriodSeconds": 30},
        ),
        (
            "graceful pod pending, shorter grace moves the timestamp",
            obj(deletionTimestamp="2026-01-02T03:04:35Z", deletionGracePeriodSeconds=30),
            DeleteOptions(grace_period_seconds=10),
            pod_grace,
            Action.UPDATE,
            {"deletionTimestamp": "2026-01-02T03:04:15Z", "deletionGracePeriodSeconds": 10},
        ),
        (
            "unscheduled pod goes at once, with its deletion stamp",
            {"metadata": {"name": "o"}, "spec": {}},
            NONE,
            pod_grace,
            Action.DELETE,
            {"deletionTimestamp": NOW_S, "deletionGracePeriodSeconds": 0},
        ),
        (
            "unscheduled pod with a finalizer stays",
            {"metadata": {"name": "o", "finalizers": ["a/b"]}, "spec": {}},
            NONE,
            pod_grace,
            Action.UPDATE,
            {"deletionTimestamp": NOW_S, "deletionGracePeriodSeconds": 0},
        ),
        (
            "negative grace is one second",
            obj(),
            DeleteOptions(grace_period_seconds=-5),
            pod_grace,
            Action.UPDATE,
            {"deletionTimestamp": "2026-01-02T03:04:06Z", "deletionGracePeriodSeconds": 1},
        ),
    ],
)
def test_plan_delete(
    case: str, start: Obj, opts: DeleteOptions, grace: Any, action: Action, meta_after: Obj
) -> None:
    before = copy.deepcopy(start)
    plan = D.plan_delete(start, opts, policy=GCPolicy.NONE, grace_for=grace, now=NOW)
    assert start == before  # the input is not edited
    assert plan.action is action, case
    for k, v in meta_after.items():
        assert plan.obj["metadata"].get(k) == v, (case, k)


# -- the garbage collector's judgement ----------------------------------------------------------------


def owned_by(*refs: Obj, ns: str = "ns") -> Obj:
    return {"metadata": {"name": "dep", "namespace": ns, "uid": "d", "ownerReferences": list(refs)}}


def r(kind: str, name: str, uid: str, api: str = "v1", block: bool | None = None) -> Obj:
    ref: Obj = {"apiVersion": api, "kind": kind, "name": name, "uid": uid}
    if block is not None:
        ref["blockOwnerDeletion"] = block
    return ref


def world(*objs: tuple[str, str, Obj]) -> Any:
    """lookup(info, ns, name) over (kind, name, metadata) triples."""
    table = {(kind, name): {"metadata": {"name": name, **meta}} for kind, name, meta in objs}

    def lookup(info: Any, _ns: str, name: str) -> Obj | None:
        return table.get((info.kind, name))

    return lookup


FG = {"uid": "s1", "deletionTimestamp": NOW_S, "finalizers": ["foregroundDeletion"]}


@pytest.mark.parametrize(
    ("dep", "lookup", "solid", "dangling", "waiting"),
    [
        (owned_by(r("Service", "a", "s1")), world(("Service", "a", {"uid": "s1"})), 1, 0, 0),
        (owned_by(r("Service", "a", "s1")), world(), 0, 1, 0),
        (owned_by(r("Service", "a", "s1")), world(("Service", "a", {"uid": "s2"})), 0, 1, 0),
        (owned_by(r("Service", "a", "s1")), world(("Service", "a", FG)), 0, 0, 1),
        # being deleted without foregroundDeletion: still a solid owner
        (
            owned_by(r("Service", "a", "s1")),
            world(("Service", "a", {"uid": "s1", "deletionTimestamp": NOW_S, "finalizers": ["orphan"]})),
            1,
            0,
            0,
        ),
        # a cluster-scoped dependent cannot have a namespaced owner: unresolvable, kept
        (owned_by(r("Service", "a", "s1"), ns=""), world(), 1, 0, 0),
        (owned_by(r("Node", "n", "n1"), ns=""), world(), 0, 1, 0),
        # kinds we do not serve are never judged absent; Events are not owners we watch
        (owned_by(r("Deployment", "d", "x1", api="apps/v1")), world(), 1, 0, 0),
        (owned_by(r("Event", "e", "x2", api="events.k8s.io/v1")), world(), 1, 0, 0),
        (
            owned_by(r("Lease", "l", "l1", api="coordination.k8s.io/v1"), r("Pod", "p", "p1")),
            world(("Pod", "p", {"uid": "p1"})),
            1,
            1,
            0,
        ),
    ],
)
def test_classify_owners(dep: Obj, lookup: Any, solid: int, dangling: int, waiting: int) -> None:
    owners = gc.classify_owners(dep, lookup)
    assert (len(owners.solid), len(owners.dangling), len(owners.waiting)) == (solid, dangling, waiting)


@pytest.mark.parametrize(
    ("solid", "dangling", "waiting", "has_dependents", "decision"),
    [
        (0, 0, 0, False, gc.Decision.NOTHING),
        (1, 0, 0, True, gc.Decision.NOTHING),
        (1, 1, 0, False, gc.Decision.REMOVE_REFS),
        (1, 0, 1, False, gc.Decision.REMOVE_REFS),
        (0, 1, 0, True, gc.Decision.DELETE),
        (0, 0, 1, False, gc.Decision.DELETE),
        (0, 0, 1, True, gc.Decision.DELETE_FOREGROUND),
        (0, 1, 1, True, gc.Decision.DELETE_FOREGROUND),
    ],
)
def test_decide(solid: int, dangling: int, waiting: int, has_dependents: bool, decision: gc.Decision) -> None:
    ref = r("Service", "a", "s1")
    owners = gc.Owners(solid=[ref] * solid, dangling=[ref] * dangling, waiting=[ref] * waiting)
    assert gc.decide(owners, has_dependents) is decision


def test_policy_blocking_and_reference_edits() -> None:
    assert gc.own_policy({"metadata": {"finalizers": ["orphan"]}}) == "Orphan"
    assert gc.own_policy({"metadata": {"finalizers": ["foregroundDeletion"]}}) == "Foreground"
    assert gc.own_policy({"metadata": {}}) == "Background"
    dep = owned_by(
        r("Service", "a", "s1", block=True), r("Service", "b", "s2", block=False), r("Pod", "c", "p1")
    )
    assert gc.blocks(dep, "s1") and not gc.blocks(dep, "s2") and not gc.blocks(dep, "p1")
    assert [x["uid"] for x in gc.refs_without(dep, ["s1", "p1"])] == ["s2"]
    unblocked = gc.refs_unblocked(dep, ["s1"])
    assert [x.get("blockOwnerDeletion") for x in unblocked] == [False, False, None]
    assert dep["metadata"]["ownerReferences"][0]["blockOwnerDeletion"] is True  # input untouched
    assert gc.deleting_dependents({"metadata": FG}) and not gc.orphaning({"metadata": FG})
    assert EVENTS_V1 not in gc.gc_resources() and SERVICES in gc.gc_resources()


def test_continue_token_carries_the_count_and_stays_readable() -> None:
    from kubesvc.registry import generic

    token = generic.encode_continue(42, "s3\x00", 7)
    assert generic.decode_continue(token) == (42, "s3\x00")
    assert generic._continue_remaining(token) == 7
    assert generic._continue_remaining(generic.encode_continue(42, "s3\x00")) is None
    assert generic._continue_remaining("not base64 json") is None


@given(
    _opts,
    st.lists(_finalizer, unique=True, max_size=3),
    st.booleans(),
    st.sampled_from([None, 0, 5, 30]),
    st.sampled_from([None, 0, 10, 60]),
)
def test_plan_delete_properties(
    opts: DeleteOptions,
    finalizers: list[str],
    graceful_kind: bool,
    pending_grace: int | None,
    asked: int | None,
) -> None:
    meta: Obj = {"name": "o", "uid": "u", "finalizers": finalizers}
    if pending_grace is not None:
        meta["deletionTimestamp"] = "2026-01-02T03:05:00Z"
        meta["deletionGracePeriodSeconds"] = pending_grace
    start = {"metadata": meta, "spec": {"nodeName": "n1"}}
    opts = DeleteOptions(
        propagation_policy=opts.propagation_policy,
        orphan_dependents=opts.orphan_dependents,
        grace_period_seconds=asked,
    )
    plan = D.plan_delete(
        start, opts, policy=GCPolicy.NONE, grace_for=pod_grace if graceful_kind else no_grace, now=NOW
    )
    after = plan.obj["metadata"]
    if plan.action is Action.PENDING:
        assert plan.obj == start  # a pending graceful deletion is left alone, finalizers too
    elif plan.action is Action.UPDATE:
        assert after["deletionTimestamp"]  # marked, and kept
        assert after.get("finalizers") or after["deletionGracePeriodSeconds"] > 0
    else:
        # deleted now: nothing (left) to wait for
        _, left = D.gc_finalizers(GCPolicy.NONE, opts, finalizers)
        assert not left
        if graceful_kind:  # a graceful kind goes with its grace period run out
            assert not after.get("deletionGracePeriodSeconds")
