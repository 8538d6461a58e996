"""`kubesvc controller-manager`: every Service-system controller in one leader-elected process.

As kube-controller-manager does, the process first wins the Lease (unless `--leader-elect=false`),
and only then builds the shared informers and starts the controllers; a standby holds no caches.
When the lease is lost the process exits (status 1, "leaderelection lost"), so a supervisor
restarts it as a fresh candidate.

Controllers (names as upstream's, old aliases accepted; `--controllers` takes `*`, `name`, `-name`):
  endpointslice-controller            (`endpointslice`)          EndpointSlices for selector Services
  endpointslice-mirroring-controller  (`endpointslicemirroring`) mirrors user Endpoints
  endpoints-controller                (`endpoint`)               legacy v1 Endpoints
  namespace-controller                (`namespace`)              finishes namespace deletion
  garbage-collector-controller        (`garbagecollector`)       ownerReferences: cascading deletion,
                                                                 orphan and foreground finalizers
  service-lb-controller               (`service`)                our bare-metal LoadBalancer IPs

Informer caches drop `metadata.managedFields` from every object and keep of a Pod only what the
endpoint controllers read (`slim_pod`), which is what keeps memory flat at 10,000 Services.

`/healthz` (also `/livez`, `/readyz`) and `/metrics` are served over plain HTTP on
`--metrics-bind-address` (default 127.0.0.1:10257; upstream serves HTTPS on --secure-port 10257).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from kubesvc.aio.gctune import freeze_heap, tune_gc
from kubesvc.api.scheme import ENDPOINT_SLICES, ENDPOINTS, LEASES, NAMESPACES, PODS, SERVICES, ResourceInfo
from kubesvc.client.informer import Informer, InformerFactory
from kubesvc.client.rest import RestClient
from kubesvc.controllers.endpoints.controller import EndpointsController
from kubesvc.controllers.endpointslice.controller import EndpointSliceController
from kubesvc.controllers.gc import GarbageCollector, gc_resources
from kubesvc.controllers.leaderelection import LeaderElectionConfig, LeaderElector, default_identity
from kubesvc.controllers.loadbalancer.controller import LoadBalancerController
from kubesvc.controllers.loadbalancer.pool import DEFAULT_POOL, IPPool, PoolSpecError
from kubesvc.controllers.mirroring.controller import MirroringController
from kubesvc.controllers.mirroring.reconciler import DEFAULT_MAX_ENDPOINTS_PER_SUBSET
from kubesvc.controllers.namespace.controller import NamespaceController
from kubesvc.controllers.options import (
    DEFAULT_LEASE_DURATION,
    DEFAULT_MAX_ENDPOINTS_PER_SLICE,
    DEFAULT_METRICS_BIND_ADDRESS,
    DEFAULT_RENEW_DEADLINE,
    DEFAULT_RETRY_PERIOD,
    LEASE_NAME,
    LEASE_NAMESPACE,
    add_arguments,
)
from kubesvc.controllers.runtime import Controller, EventRecorder

log = logging.getLogger("kubesvc.controller-manager")

COMPONENT = "kubesvc-controller-manager"
LIST_PAGE_SIZE = 500
MAX_ENDPOINTS_PER_SLICE_LIMIT = 1000

# canonical name -> accepted aliases
CONTROLLER_NAMES: dict[str, tuple[str, ...]] = {
    "endpointslice-controller": ("endpointslice",),
    "endpointslice-mirroring-controller": ("endpointslicemirroring",),
    "endpoints-controller": ("endpoint", "endpoints"),
    "namespace-controller": ("namespace",),
    "garbage-collector-controller": ("garbagecollector",),
    "service-lb-controller": ("service", "loadbalancer"),
}

INFORMER_OBJECTS = Gauge(
    "kubesvc_controller_manager_informer_objects",
    "Objects in the controller-manager's informer caches.",
    ["resource"],
)
LEADER = Gauge("kubesvc_leader_election_master_status", "1 while this process holds the lease.", ["name"])


class ConfigError(ValueError):
    """A flag value the controller-manager cannot run with."""


@dataclass
class ManagerOptions:
    kubeconfig: str
    leader_elect: bool = True
    lease_duration: float = DEFAULT_LEASE_DURATION
    renew_deadline: float = DEFAULT_RENEW_DEADLINE
    retry_period: float = DEFAULT_RETRY_PERIOD
    lease_namespace: str = LEASE_NAMESPACE
    lease_name: str = LEASE_NAME
    identity: str = field(default_factory=default_identity)
    max_endpoints_per_slice: int = DEFAULT_MAX_ENDPOINTS_PER_SLICE
    mirroring_max_endpoints_per_subset: int = DEFAULT_MAX_ENDPOINTS_PER_SUBSET
    load_balancer_ip_pool: str = DEFAULT_POOL
    controllers: Sequence[str] = ("*",)
    metrics_bind_address: str = DEFAULT_METRICS_BIND_ADDRESS

    def validate(self) -> None:
        if not 1 <= self.max_endpoints_per_slice <= MAX_ENDPOINTS_PER_SLICE_LIMIT:
            raise ConfigError(
                f"--max-endpoints-per-slice must be between 1 and {MAX_ENDPOINTS_PER_SLICE_LIMIT}, "
                f"got {self.max_endpoints_per_slice}"
            )
        if self.mirroring_max_endpoints_per_subset < 1:
            raise ConfigError("--mirroring-max-endpoints-per-subset must be greater than 0")
        try:
            IPPool.from_spec(self.load_balancer_ip_pool)
        except PoolSpecError as exc:
            raise ConfigError(f"--load-balancer-ip-pool: {exc}") from exc
        enabled_controllers(self.controllers)
        if self.leader_elect:
            try:
                self.election_config().validate()
            except ValueError as exc:
                raise ConfigError(str(exc)) from exc

    def election_config(self) -> LeaderElectionConfig:
        return LeaderElectionConfig(
            identity=self.identity,
            namespace=self.lease_namespace,
            name=self.lease_name,
            lease_duration=self.lease_duration,
            renew_deadline=self.renew_deadline,
            retry_period=self.retry_period,
        )


def _canonical(name: str) -> str | None:
    for canon, aliases in CONTROLLER_NAMES.items():
        if name == canon or name in aliases:
            return canon
    return None


def enabled_controllers(spec: Sequence[str]) -> list[str]:
    """Resolve `--controllers` (upstream semantics: `*` all on-by-default, `foo` on, `-foo` off)."""
    items = [s.strip() for part in spec for s in part.split(",") if s.strip()]
    star = "*" in items
    on: set[str] = set()
    off: set[str] = set()
    for item in items:
        if item == "*":
            continue
        negate = item.startswith("-")
        canon = _canonical(item[1:] if negate else item)
        if canon is None:
            raise ConfigError(f'"{item}" is not in the list of known controllers')
        (off if negate else on).add(canon)
    chosen = [c for c in CONTROLLER_NAMES if (c in on or star) and c not in off]
    return chosen


# ---------------------------------------------------------------------------------------------
# building the controllers


def trim_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """Informer transform: no controller reads `metadata.managedFields`, and it is often the
    largest part of an object, so it is dropped before caching (upstream kube-controller-manager's
    informers do the same)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return obj


_POD_SPEC_KEPT = ("nodeName", "hostname", "subdomain")
_POD_STATUS_KEPT = ("phase", "podIP", "podIPs", "conditions", "hostIP", "hostIPs")


def slim_pod(pod: dict[str, Any]) -> dict[str, Any]:
    """Informer transform for Pods: keep what the endpoint controllers read (metadata, node,
    hostname/subdomain, container and sidecar ports, IPs, phase, conditions) and drop the rest
    (images, env, volumes, probes, container statuses...), which is most of a real Pod."""
    trim_managed_fields(pod)
    meta = pod.get("metadata")
    if isinstance(meta, dict):
        # values repeated across thousands of Pods are shared, not stored once per Pod
        if isinstance(meta.get("namespace"), str):
            meta["namespace"] = sys.intern(meta["namespace"])
        labels = meta.get("labels")
        if isinstance(labels, dict):
            meta["labels"] = {
                sys.intern(k): sys.intern(v) if isinstance(v, str) else v for k, v in labels.items()
            }
    spec = pod.get("spec")
    if isinstance(spec, dict):
        slim: dict[str, Any] = {k: spec[k] for k in _POD_SPEC_KEPT if k in spec}
        for kind in ("containers", "initContainers"):
            if kind in spec:
                slim[kind] = [
                    {k: c[k] for k in ("name", "ports", "restartPolicy") if k in c}
                    for c in spec[kind] or []
                    if isinstance(c, dict)
                ]
        pod["spec"] = slim
        if isinstance(slim.get("nodeName"), str):
            slim["nodeName"] = sys.intern(slim["nodeName"])
    status = pod.get("status")
    if isinstance(status, dict):
        kept = {k: status[k] for k in _POD_STATUS_KEPT if k in status}
        if isinstance(kept.get("phase"), str):
            kept["phase"] = sys.intern(kept["phase"])
        conditions = kept.get("conditions")
        if isinstance(conditions, list):
            kept["conditions"] = [
                {
                    k: sys.intern(v) if isinstance(v, str) and k in ("type", "status") else v
                    for k, v in c.items()
                }
                if isinstance(c, dict)
                else c
                for c in conditions
            ]
        pod["status"] = kept
    return pod


class TrimmingInformerFactory(InformerFactory):
    """The shared informer factory of the controller-manager: every informer drops managedFields,
    Pods are slimmed to what the controllers read, and lists are paginated."""

    def informer(
        self,
        info: ResourceInfo,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> Informer:
        inf = super().informer(
            info,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            transform=transform or (slim_pod if info == PODS else trim_managed_fields),
        )
        # list in pages, as client-go's reflector does (500 per page): one 100,000-Pod response
        # would be decoded whole, and its peak would stay in the process
        if inf.page_size is None:
            inf.page_size = LIST_PAGE_SIZE
        return inf


def build_controllers(
    client: RestClient, factory: InformerFactory, options: ManagerOptions, names: Sequence[str]
) -> list[Controller]:
    """One instance of every enabled controller, sharing the factory's informers."""
    services = factory.informer(SERVICES)
    endpoints = factory.informer(ENDPOINTS)
    slices = factory.informer(ENDPOINT_SLICES)
    built: list[Controller] = []
    for name in names:
        if name == "endpointslice-controller":
            built.append(
                EndpointSliceController.from_factory(
                    client, factory, max_endpoints_per_slice=options.max_endpoints_per_slice
                )
            )
        elif name == "endpoints-controller":
            built.append(EndpointsController.from_factory(client, factory))
        elif name == "endpointslice-mirroring-controller":
            built.append(
                MirroringController(
                    client,
                    endpoints=endpoints,
                    slices=slices,
                    services=services,
                    max_endpoints_per_subset=options.mirroring_max_endpoints_per_subset,
                )
            )
        elif name == "namespace-controller":
            built.append(NamespaceController(client, namespaces=factory.informer(NAMESPACES)))
        elif name == "garbage-collector-controller":
            built.append(GarbageCollector(client, {info: factory.informer(info) for info in gc_resources()}))
        elif name == "service-lb-controller":
            built.append(
                LoadBalancerController(
                    client, IPPool.from_spec(options.load_balancer_ip_pool), services=services
                )
            )
    return built


# ---------------------------------------------------------------------------------------------
# metrics and health


def _update_cache_metrics(factory: InformerFactory | None) -> None:
    if factory is None:
        return
    for inf in factory.informers():
        INFORMER_OBJECTS.labels(inf.info.resource).set(len(inf.store))


class Manager:
    def __init__(self, options: ManagerOptions, client: RestClient | None = None) -> None:
        options.validate()
        self.options = options
        self.client = client or RestClient.from_kubeconfig(options.kubeconfig, user_agent=COMPONENT)
        self.names = enabled_controllers(options.controllers)
        self.factory: InformerFactory | None = None
        self.controllers: list[Controller] = []
        self.elector: LeaderElector | None = None
        self.recorder = EventRecorder(self.client, COMPONENT)
        self.leading = asyncio.Event()
        self.metrics_port: int | None = None
        self._runner: web.AppRunner | None = None

    # -- health and metrics

    async def _healthz(self, _request: web.Request) -> web.Response:
        if self.elector is not None and not self.elector.healthy():
            return web.Response(
                status=500, text="[-]leaderElection failed: lease expired\nhealthz check failed\n"
            )
        return web.Response(text="ok")

    async def _metrics(self, _request: web.Request) -> web.Response:
        _update_cache_metrics(self.factory)
        LEADER.labels(COMPONENT).set(1 if self.leading.is_set() else 0)
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start_http(self) -> None:
        addr = self.options.metrics_bind_address
        if not addr or addr == "0":
            return
        host, _, port = addr.rpartition(":")
        app = web.Application()
        for path in ("/healthz", "/livez", "/readyz"):
            app.router.add_get(path, self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host.strip("[]") or "127.0.0.1", int(port or 0))
        await site.start()
        addresses = self._runner.addresses
        self.metrics_port = int(addresses[0][1]) if addresses else None
        log.info("serving /healthz and /metrics on http://%s:%s", host or "127.0.0.1", self.metrics_port)

    # -- running

    async def run_controllers(self) -> None:
        """Build informers and controllers and run them until cancelled (the leader's work)."""
        self.leading.set()
        self.factory = TrimmingInformerFactory(self.client)
        self.controllers = build_controllers(self.client, self.factory, self.options, self.names)
        self.factory.start()
        log.info("started controllers: %s", ", ".join(self.names))
        tasks = [asyncio.create_task(c.run(), name=f"controller:{c.name}") for c in self.controllers]
        tasks.append(asyncio.create_task(self._freeze_when_synced(self.factory)))
        try:
            await asyncio.gather(*tasks)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.factory.stop()
            self.leading.clear()

    @staticmethod
    async def _freeze_when_synced(factory: InformerFactory) -> None:
        """The caches are filled: keep the garbage collector off them (aio/gctune.py)."""
        await factory.wait_synced()
        freeze_heap()
        log.info("informer caches synced")

    async def run(self) -> int:
        """Run until cancelled; returns the process exit status (1 when leadership was lost)."""
        await self.start_http()
        try:
            if not self.options.leader_elect:
                await self.run_controllers()
                return 0
            self.elector = LeaderElector(
                self.client,
                self.options.election_config(),
                on_new_leader=lambda who: log.info("new leader elected: %s", who),
                record_event=lambda lease, msg: self.recorder.record(
                    lease, "Normal", "LeaderElection", msg, info=LEASES
                ),
            )
            log.info("leader election id: %s", self.options.identity)
            await self.elector.run(self.run_controllers)
            log.error("leaderelection lost")
            return 1
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.recorder.drain(), timeout=2)
            if self._runner is not None:
                await self._runner.cleanup()
            await self.client.close()


# ---------------------------------------------------------------------------------------------
# command line


def options_from_args(args: argparse.Namespace) -> ManagerOptions:
    if not args.kubeconfig:
        raise ConfigError("--kubeconfig is required (or set KUBECONFIG)")
    return ManagerOptions(
        kubeconfig=args.kubeconfig,
        leader_elect=args.leader_elect,
        lease_duration=args.leader_elect_lease_duration,
        renew_deadline=args.leader_elect_renew_deadline,
        retry_period=args.leader_elect_retry_period,
        lease_namespace=args.leader_elect_resource_namespace,
        lease_name=args.leader_elect_resource_name,
        max_endpoints_per_slice=args.max_endpoints_per_slice,
        mirroring_max_endpoints_per_subset=args.mirroring_max_endpoints_per_subset,
        load_balancer_ip_pool=args.load_balancer_ip_pool,
        controllers=args.controllers or ["*"],
        metrics_bind_address=args.metrics_bind_address,
    )


async def _serve(options: ManagerOptions) -> int:
    manager = Manager(options)
    main_task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    stopping = False

    def stop() -> None:
        nonlocal stopping
        stopping = True
        if main_task is not None:
            main_task.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop)
    try:
        return await manager.run()
    except asyncio.CancelledError:
        if stopping:
            return 0
        raise


def run_from_args(args: argparse.Namespace) -> int:
    """Entry point used by `kubesvc controller-manager`."""
    logging.basicConfig(
        level=logging.DEBUG if args.v >= 4 else logging.INFO,
        format="%(asctime)s %(levelname).1s %(name)s] %(message)s",
    )
    try:
        options = options_from_args(args)
        options.validate()
    except ConfigError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    runner: Callable[[], Coroutine[Any, Any, int]] = lambda: _serve(options)  # noqa: E731
    tune_gc()
    try:
        import uvloop

        return uvloop.run(runner())
    except ImportError:
        return asyncio.run(runner())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kubesvc controller-manager")
    add_arguments(parser)
    return run_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
