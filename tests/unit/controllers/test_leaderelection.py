"""Leader election: pure decisions over a fake clock, and the async shell over an in-memory Lease API."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubesvc.aio.clock import FakeClock
from kubesvc.api.scheme import LEASES
from kubesvc.client.errors import AlreadyExistsError, ConflictError, NotFoundError, ServerError
from kubesvc.controllers.leaderelection import (
    ElectionState,
    LeaderElectionConfig,
    LeaderElectionRecord,
    LeaderElector,
    format_micro_time,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def cfg(identity: str = "me", **kw: Any) -> LeaderElectionConfig:
    return LeaderElectionConfig(identity=identity, **kw)


def other(holder: str = "them", renew: str = "r1", transitions: int = 3) -> LeaderElectionRecord:
    return LeaderElectionRecord(holder, 15, "a0", renew, transitions)


# ---------------------------------------------------------------------------------------------
# pure decisions


def test_no_lease_means_create_with_own_identity() -> None:
    st = ElectionState(cfg())
    d = st.decide(None, 0.0, T0)
    assert d.action == "create"
    assert d.record == LeaderElectionRecord("me", 15, format_micro_time(T0), format_micro_time(T0), 0)
    assert format_micro_time(T0) == "2026-01-01T00:00:00.000000Z"


def test_valid_lease_of_another_is_respected_until_it_expires_by_our_clock() -> None:
    st = ElectionState(cfg())
    assert st.decide(other(), 100.0, T0).action == "held"
    assert not st.may_acquire(114.9)
    assert st.decide(other(), 114.9, T0).action == "held"
    # unchanged for a whole lease duration since we first saw it: take over
    d = st.decide(other(), 115.0, T0)
    assert d.action == "update"
    assert d.record is not None and d.record.holder_identity == "me"
    assert d.record.leader_transitions == 4
    assert d.record.acquire_time == format_micro_time(T0)


def test_renewal_seen_restarts_the_expiry_clock() -> None:
    st = ElectionState(cfg())
    st.decide(other(renew="r1"), 0.0, T0)
    st.decide(other(renew="r2"), 10.0, T0)  # the holder renewed: new record
    assert st.decide(other(renew="r2"), 20.0, T0).action == "held"
    assert st.decide(other(renew="r2"), 25.0, T0).action == "update"


def test_timestamps_written_by_others_are_not_trusted() -> None:
    # a record claiming a renewTime far in the past is still valid for a full duration from now
    st = ElectionState(cfg())
    ancient = LeaderElectionRecord(
        "them", 15, "1999-01-01T00:00:00.000000Z", "1999-01-01T00:00:00.000000Z", 0
    )
    assert st.decide(ancient, 500.0, T0).action == "held"


def test_empty_holder_may_be_taken_at_once() -> None:
    st = ElectionState(cfg())
    released = LeaderElectionRecord("", 1, "a", "r", 7)
    d = st.decide(released, 0.0, T0)
    assert d.action == "update" and d.record is not None and d.record.leader_transitions == 8


def test_leader_renewal_keeps_acquire_time_and_transitions() -> None:
    st = ElectionState(cfg())
    mine = LeaderElectionRecord("me", 15, "acq", "r", 5)
    st.wrote(mine, 0.0)
    fast = st.optimistic_record(5.0, T0 + timedelta(seconds=5))
    assert fast is not None
    assert (fast.acquire_time, fast.leader_transitions, fast.holder_identity) == ("acq", 5, "me")
    assert fast.renew_time == "2026-01-01T00:00:05.000000Z"
    d = st.decide(mine, 5.0, T0)
    assert d.record is not None and (d.record.acquire_time, d.record.leader_transitions) == ("acq", 5)
    # past its own lease the leader no longer takes the optimistic path
    assert st.optimistic_record(15.0, T0) is None


def test_leader_that_sees_another_holder_is_no_longer_leader() -> None:
    st = ElectionState(cfg())
    st.wrote(LeaderElectionRecord("me", 15, "a", "r", 0), 0.0)
    assert st.is_leader()
    assert st.decide(other(), 1.0, T0).action == "held"
    assert not st.is_leader()


def test_healthz_fails_when_leader_overstays() -> None:
    st = ElectionState(cfg())
    st.wrote(LeaderElectionRecord("me", 15, "a", "r", 0), 0.0)
    assert st.healthy(35.0)
    assert not st.healthy(35.1)


def test_leader_change_reported_once() -> None:
    st = ElectionState(cfg())
    st.observe(other(), 0.0)
    assert st.leader_change() == "them"
    assert st.leader_change() is None


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"lease_duration": 10, "renew_deadline": 10}, "leaseDuration must be greater than renewDeadline"),
        (
            {"renew_deadline": 2.4, "retry_period": 2},
            "renewDeadline must be greater than retryPeriod*JitterFactor",
        ),
        ({"retry_period": 0}, "retryPeriod must be greater than zero"),
        ({"identity": ""}, "Lock identity is empty"),
    ],
)
def test_config_validation_messages(kw: dict[str, Any], message: str) -> None:
    kw.setdefault("identity", "me")
    with pytest.raises(ValueError, match=message.replace("*", r"\*")):
        LeaderElectionConfig(**kw).validate()


# ---------------------------------------------------------------------------------------------
# the shell, over an in-memory Lease API with compare-and-swap


class FakeLeaseAPI:
    def __init__(self) -> None:
        self.lease: dict[str, Any] | None = None
        self.rv = 0
        self.fail = False
        self.writes = 0

    def _check(self) -> None:
        if self.fail:
            raise ServerError({"code": 503, "message": "unavailable"}, 503)

    async def get(self, info: Any, name: str, *, namespace: str | None = None) -> dict[str, Any]:
        assert info is LEASES
        self._check()
        if self.lease is None:
            raise NotFoundError({"code": 404, "reason": "NotFound"}, 404)
        return copy.deepcopy(self.lease)

    async def create(self, info: Any, obj: dict[str, Any], *, namespace: str | None = None) -> dict[str, Any]:
        self._check()
        if self.lease is not None:
            raise AlreadyExistsError({"code": 409, "reason": "AlreadyExists"}, 409)
        return self._store(obj)

    async def update(self, info: Any, obj: dict[str, Any]) -> dict[str, Any]:
        self._check()
        assert self.lease is not None
        if obj["metadata"].get("resourceVersion") != self.lease["metadata"]["resourceVersion"]:
            raise ConflictError({"code": 409, "reason": "Conflict"}, 409)
        return self._store(obj)

    def _store(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.rv += 1
        self.writes += 1
        self.lease = copy.deepcopy(obj)
        self.lease["metadata"]["resourceVersion"] = str(self.rv)
        return copy.deepcopy(self.lease)


async def run_for(clock: FakeClock, seconds: float, step: float = 0.1) -> None:
    for _ in range(round(seconds / step)):
        clock.advance(step)
        for _ in range(5):
            await asyncio.sleep(0)


def elector(
    api: FakeLeaseAPI, clock: FakeClock, identity: str, events: list[str] | None = None
) -> LeaderElector:
    return LeaderElector(
        api,  # type: ignore[arg-type]
        cfg(identity),
        clock=clock,
        rng=lambda: 0.0,
        record_event=(lambda obj, msg: events.append(msg)) if events is not None else None,
    )


async def test_exactly_one_of_two_candidates_leads_and_the_other_takes_over_after_expiry() -> None:
    api, clock = FakeLeaseAPI(), FakeClock()
    events: list[str] = []
    a, b = elector(api, clock, "a", events), elector(api, clock, "b", events)
    acting: list[str] = []

    def lead(name: str) -> Any:
        async def body() -> None:
            acting.append(name)
            await asyncio.Event().wait()

        return body

    ta = asyncio.create_task(a.run(lead("a")))
    await run_for(clock, 0.5)
    tb = asyncio.create_task(b.run(lead("b")))
    await run_for(clock, 30)
    assert acting == ["a"] and a.is_leader() and not b.is_leader()
    assert events == ["a became leader"]
    # a dies without releasing (kill -9): b waits one lease duration after the last renewal it saw
    ta.cancel()
    await asyncio.gather(ta, return_exceptions=True)
    await run_for(clock, 14)
    assert acting == ["a"]
    await run_for(clock, 4)
    assert acting == ["a", "b"]
    assert api.lease is not None and api.lease["spec"]["holderIdentity"] == "b"
    assert api.lease["spec"]["leaseTransitions"] == 1
    tb.cancel()
    await asyncio.gather(tb, return_exceptions=True)


async def test_leader_that_cannot_renew_stops_within_renew_deadline() -> None:
    api, clock = FakeLeaseAPI(), FakeClock()
    events: list[str] = []
    a = elector(api, clock, "a", events)
    stopped = asyncio.Event()
    cancelled: list[bool] = []

    async def lead() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def run() -> None:
        await a.run(lead)
        stopped.set()

    task = asyncio.create_task(run())
    await run_for(clock, 5)
    assert a.is_leader() and not stopped.is_set()
    api.fail = True
    await run_for(clock, 9)
    assert not stopped.is_set()
    await run_for(clock, 4)  # the renew deadline (10 s) counted from the first failed round
    assert stopped.is_set() and cancelled == [True]
    assert events == ["a became leader", "a stopped leading"]
    await task


async def test_renewals_happen_every_retry_period() -> None:
    api, clock = FakeLeaseAPI(), FakeClock()
    a = elector(api, clock, "a")

    async def lead() -> None:
        await asyncio.Event().wait()

    task = asyncio.create_task(a.run(lead))
    await run_for(clock, 10.05)
    # create + renewals at 2, 4, 6, 8, 10 (approximately; each one write)
    assert 5 <= api.writes <= 7
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
