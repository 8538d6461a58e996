"""Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules.

Theory of operation (client-go `tools/leaderelection`)
-----------------------------------------------------
Candidates share one Lease (`kube-system/kubesvc-controller-manager` for our controller-manager;
upstream's is `kube-controller-manager`). Its spec is the election record: `holderIdentity`,
`leaseDurationSeconds`, `acquireTime`, `renewTime`, `leaseTransitions`.

- A candidate never trusts the timestamps written by others (their clocks may be skewed). It
  remembers the last record it *observed* and the local monotonic time it first saw it
  (`observed_time`). The lease is still valid while `observed_time + leaseDurationSeconds > now`.
- try_acquire_or_renew: a leader whose observation is still valid first updates optimistically
  (the cached Lease with its resourceVersion). Otherwise it reads the Lease: creates it if missing;
  gives up if another holder's lease is still valid; else writes itself as holder — keeping
  `acquireTime`/`leaseTransitions` when it already held it, else `leaseTransitions + 1` and a fresh
  `acquireTime`. Every write is a compare-and-swap on resourceVersion, so two candidates never
  both win.
- acquire: try every `retry_period` with jitter (factor 1.2) until one try succeeds.
- renew: every `retry_period`, retry until success for at most `renew_deadline`; when that fails
  the leader has lost the lease and must stop acting (the controller-manager exits, as upstream's
  does with "leaderelection lost").
- Defaults: lease 15 s, renew deadline 10 s, retry 2 s. Validation as upstream: the lease must be
  longer than the renew deadline, and the renew deadline longer than retry_period * 1.2.

`ElectionState` is the pure part (decisions over a given time); `LeaderElector` is the async shell.
Events on the Lease: Normal `LeaderElection` "<id> became leader" / "<id> stopped leading".
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
import socket
import uuid
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from kubesvc.aio.clock import Clock, LoopClock
from kubesvc.api.scheme import LEASES
from kubesvc.client.errors import ClientError, NotFoundError
from kubesvc.client.rest import RestClient
from kubesvc.controllers.options import (
    DEFAULT_LEASE_DURATION,
    DEFAULT_RENEW_DEADLINE,
    DEFAULT_RETRY_PERIOD,
    LEASE_NAME,
    LEASE_NAMESPACE,
)

log = logging.getLogger(__name__)

JITTER_FACTOR = 1.2
# How long past lease expiry a leader that failed to step down reports unhealthy (upstream: 20 s).
MAX_TOLERABLE_EXPIRED_LEASE = 20.0

Obj = dict[str, Any]


def default_identity() -> str:
    """`<hostname>_<uuid>`, as kube-controller-manager names itself."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


def format_micro_time(t: datetime) -> str:
    """metav1.MicroTime on the wire: RFC 3339 with microseconds, in UTC."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_micro_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True)
class LeaderElectionRecord:
    holder_identity: str = ""
    lease_duration_seconds: int = 0
    acquire_time: str | None = None  # kept as the wire string so records compare exactly
    renew_time: str | None = None
    leader_transitions: int = 0

    @classmethod
    def from_lease(cls, lease: Mapping[str, Any]) -> LeaderElectionRecord:
        spec = lease.get("spec") or {}
        return cls(
            holder_identity=spec.get("holderIdentity") or "",
            lease_duration_seconds=int(spec.get("leaseDurationSeconds") or 0),
            acquire_time=spec.get("acquireTime"),
            renew_time=spec.get("renewTime"),
            leader_transitions=int(spec.get("leaseTransitions") or 0),
        )

    def to_spec(self) -> Obj:
        spec: Obj = {
            "holderIdentity": self.holder_identity,
            "leaseDurationSeconds": self.lease_duration_seconds,
            "leaseTransitions": self.leader_transitions,
        }
        if self.acquire_time is not None:
            spec["acquireTime"] = self.acquire_time
        if self.renew_time is not None:
            spec["renewTime"] = self.renew_time
        return spec


@dataclass(frozen=True)
class LeaderElectionConfig:
    identity: str
    namespace: str = LEASE_NAMESPACE
    name: str = LEASE_NAME
    lease_duration: float = DEFAULT_LEASE_DURATION
    renew_deadline: float = DEFAULT_RENEW_DEADLINE
    retry_period: float = DEFAULT_RETRY_PERIOD

    def validate(self) -> None:
        """Raise ValueError with upstream's wording when the timings cannot work."""
        if self.lease_duration <= self.renew_deadline:
            raise ValueError("leaseDuration must be greater than renewDeadline")
        if self.renew_deadline <= JITTER_FACTOR * self.retry_period:
            raise ValueError("renewDeadline must be greater than retryPeriod*JitterFactor")
        if self.lease_duration <= 0:
            raise ValueError("leaseDuration must be greater than zero")
        if self.renew_deadline <= 0:
            raise ValueError("renewDeadline must be greater than zero")
        if self.retry_period <= 0:
            raise ValueError("retryPeriod must be greater than zero")
        if not self.identity:
            raise ValueError("Lock identity is empty")


@dataclass(frozen=True)
class Decision:
    """What try_acquire_or_renew should do next: "create", "update" (with `record`), or "held"
    (another holder's lease is still valid: do nothing)."""

    action: str
    record: LeaderElectionRecord | None = None


@dataclass
class ElectionState:
    """The pure state of one candidate: what it observed and when (monotonic seconds)."""

    config: LeaderElectionConfig
    observed: LeaderElectionRecord | None = None
    observed_time: float = 0.0
    reported_leader: str = ""
    _history: list[str] = field(default_factory=list, repr=False)

    # -- queries

    def is_leader(self) -> bool:
        return self.observed is not None and self.observed.holder_identity == self.config.identity

    def lease_valid(self, now: float) -> bool:
        """Whether the observed record is still within its duration, by our own clock."""
        if self.observed is None:
            return False
        return self.observed_time + self.observed.lease_duration_seconds > now

    def may_acquire(self, now: float) -> bool:
        """May this candidate write itself as holder at `now`? Yes when nobody holds the lease,
        we hold it, or the holder has not been seen renewing for a whole lease duration."""
        if self.observed is None or not self.observed.holder_identity:
            return True
        return self.is_leader() or not self.lease_valid(now)

    def healthy(self, now: float, tolerance: float = MAX_TOLERABLE_EXPIRED_LEASE) -> bool:
        """Upstream's HealthzAdaptor: a leader more than `tolerance` past its lease is unhealthy."""
        if not self.is_leader():
            return True
        return now - self.observed_time <= self.config.lease_duration + tolerance

    # -- transitions

    def observe(self, record: LeaderElectionRecord | None, now: float) -> None:
        """Note the record read from the API; the clock restarts only when it changed."""
        if record != self.observed:
            self.observed = record
            self.observed_time = now

    def wrote(self, record: LeaderElectionRecord, now: float) -> None:
        self.observed = record
        self.observed_time = now

    def desired_record(self, wall_now: datetime) -> LeaderElectionRecord:
        stamp = format_micro_time(wall_now)
        return LeaderElectionRecord(
            holder_identity=self.config.identity,
            lease_duration_seconds=int(self.config.lease_duration),
            acquire_time=stamp,
            renew_time=stamp,
            leader_transitions=0,
        )

    def optimistic_record(self, now: float, wall_now: datetime) -> LeaderElectionRecord | None:
        """The fast path: a leader with a valid observation renews without reading first."""
        if not (self.is_leader() and self.lease_valid(now)) or self.observed is None:
            return None
        return replace(
            self.desired_record(wall_now),
            acquire_time=self.observed.acquire_time,
            leader_transitions=self.observed.leader_transitions,
        )

    def decide(self, current: LeaderElectionRecord | None, now: float, wall_now: datetime) -> Decision:
        """Given the record just read (None: no Lease yet), what to write."""
        desired = self.desired_record(wall_now)
        if current is None:
            return Decision("create", desired)
        self.observe(current, now)
        if current.holder_identity and self.lease_valid(now) and not self.is_leader():
            return Decision("held")
        if self.is_leader():
            record = replace(
                desired, acquire_time=current.acquire_time, leader_transitions=current.leader_transitions
            )
        else:
            record = replace(desired, leader_transitions=current.leader_transitions + 1)
        return Decision("update", record)

    def leader_change(self) -> str | None:
        """The newly observed leader, once per change (upstream's OnNewLeader)."""
        holder = self.observed.holder_identity if self.observed else ""
        if holder == self.reported_leader:
            return None
        self.reported_leader = holder
        return holder


# ---------------------------------------------------------------------------------------------
# the async shell


class LeaderElector:
    """Runs the election against the API. `run(lead)` returns when leadership is lost."""

    def __init__(
        self,
        client: RestClient,
        config: LeaderElectionConfig,
        *,
        clock: Clock | None = None,
        wall: Callable[[], datetime] | None = None,
        rng: Callable[[], float] = random.random,
        on_new_leader: Callable[[str], None] | None = None,
        record_event: Callable[[Mapping[str, Any], str], None] | None = None,
    ) -> None:
        config.validate()
        self.client = client
        self.config = config
        self.clock: Clock = clock or LoopClock()
        self.wall = wall or (lambda: datetime.now(UTC))
        self.rng = rng
        self.on_new_leader = on_new_leader
        self.record_event = record_event
        self.state = ElectionState(config)
        self._lease: Obj | None = None  # the last Lease read or written (for resourceVersion)

    @property
    def identity(self) -> str:
        return self.config.identity

    def is_leader(self) -> bool:
        return self.state.is_leader()

    def healthy(self) -> bool:
        return self.state.healthy(self.clock.now())

    def _lease_object(self, record: LeaderElectionRecord) -> Obj:
        if self._lease is not None:
            lease = copy.deepcopy(self._lease)
        else:
            lease = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.config.name, "namespace": self.config.namespace},
            }
        lease["spec"] = {**(lease.get("spec") or {}), **record.to_spec()}
        return lease

    async def _write(self, record: LeaderElectionRecord, *, create: bool) -> bool:
        lease = self._lease_object(record)
        try:
            if create:
                lease["metadata"].pop("resourceVersion", None)
                written = await self.client.create(LEASES, lease, namespace=self.config.namespace)
            else:
                written = await self.client.update(LEASES, lease)
        except ClientError as exc:
            log.info(
                "leader election: could not %s lease %s: %s",
                "create" if create else "update",
                self._describe(),
                exc,
            )
            return False
        self._lease = written
        self.state.wrote(record, self.clock.now())
        return True

    def _describe(self) -> str:
        return f"{self.config.namespace}/{self.config.name}"

    async def try_acquire_or_renew(self) -> bool:
        now = self.clock.now()
        fast = self.state.optimistic_record(now, self.wall())
        if fast is not None and await self._write(fast, create=False):
            return True
        try:
            lease = await self.client.get(LEASES, self.config.name, namespace=self.config.namespace)
        except NotFoundError:
            lease = None
        except ClientError as exc:
            log.info("leader election: error retrieving lease %s: %s", self._describe(), exc)
            return False
        current = LeaderElectionRecord.from_lease(lease) if lease is not None else None
        if lease is not None:
            self._lease = lease
        decision = self.state.decide(current, self.clock.now(), self.wall())
        self._report_transition()
        if decision.action == "held" or decision.record is None:
            return False
        ok = await self._write(decision.record, create=decision.action == "create")
        self._report_transition()
        return ok

    def _report_transition(self) -> None:
        leader = self.state.leader_change()
        if leader is not None and self.on_new_leader is not None:
            self.on_new_leader(leader)

    def _event(self, message: str) -> None:
        if self.record_event is not None and self._lease is not None:
            self.record_event(self._lease, f"{self.identity} {message}")

    async def acquire(self) -> None:
        """Try until this candidate holds the lease."""
        log.info("attempting to acquire leader lease %s...", self._describe())
        while True:
            if await self.try_acquire_or_renew():
                log.info("successfully acquired lease %s", self._describe())
                self._event("became leader")
                return
            period = self.config.retry_period
            await self.clock.sleep(period + period * JITTER_FACTOR * self.rng())

    async def renew(self) -> None:
        """Keep renewing; returns when a renewal could not succeed within renew_deadline."""
        while True:
            deadline = self.clock.now() + self.config.renew_deadline
            renewed = False
            while True:
                remaining = deadline - self.clock.now()
                if remaining <= 0:
                    break
                try:
                    renewed = await asyncio.wait_for(self.try_acquire_or_renew(), timeout=remaining)
                except TimeoutError:
                    renewed = False
                if renewed:
                    break
                await self.clock.sleep(min(self.config.retry_period, max(0.0, deadline - self.clock.now())))
            if not renewed:
                log.error("failed to renew lease %s: timed out waiting for the condition", self._describe())
                self._event("stopped leading")
                return
            await self.clock.sleep(self.config.retry_period)

    async def run(self, lead: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Acquire, run `lead()` while holding the lease, and return once the lease is lost
        (`lead` is cancelled first). If `lead` returns or fails, leadership ends too."""
        await self.acquire()
        leading: asyncio.Task[None] = asyncio.create_task(lead(), name="leading")
        renewing = asyncio.create_task(self.renew(), name="lease-renewal")
        try:
            done, _ = await asyncio.wait({leading, renewing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (leading, renewing):
                t.cancel()
            await asyncio.gather(leading, renewing, return_exceptions=True)
        if leading in done and not leading.cancelled() and leading.exception() is not None:
            raise leading.exception()  # type: ignore[misc]
