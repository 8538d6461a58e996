"""`python -m kubesvc <component> [flags]`: one entry point for every component.

Subcommands: `apiserver` (the REST API), `up` (apiserver + controller-manager on the embedded defaults, for a
first look).  Other components register themselves in `SUBCOMMANDS` below.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from kubesvc.apiserver.config import ServerConfig


def _split_csv(v: str) -> list[str]:
    return [p.strip() for p in v.split(",") if p.strip()]


def _key_values(v: str) -> dict[str, str]:
    """`k1=v1,k2=v2` (a key alone has the value "")."""
    out: dict[str, str] = {}
    for item in v.split(","):
        if item.strip():
            key, _, value = item.partition("=")
            out[key.strip()] = value.strip()
    return out


def _version(v: str) -> tuple[int, int, int]:
    parts = [int(p) for p in v.lstrip("v").split(".")]
    while len(parts) < 3:
        parts.append(0)
    return parts[0], parts[1], parts[2]


def add_apiserver_flags(p: argparse.ArgumentParser, *, defaults: ServerConfig | None = None) -> None:
    d = defaults or ServerConfig()
    p.add_argument(
        "--data-dir",
        default=d.data_dir,
        help="directory for the SQLite store, certificates, tokens and kubeconfig",
    )
    p.add_argument(
        "--bind-address", default=d.bind_address, help="address to listen on (default %(default)s)"
    )
    p.add_argument("--secure-port", type=int, default=d.secure_port, help="HTTPS port (0 = pick a free one)")
    p.add_argument(
        "--advertise-address", default=d.advertise_address, help="address written into the kubeconfig"
    )
    p.add_argument("--storage-backend", default=d.storage_backend, choices=["sqlite", "memory", "etcd"])
    p.add_argument("--etcd-servers", type=_split_csv, default=d.etcd_servers)
    p.add_argument("--service-cluster-ip-range", default=d.service_cluster_ip_range)
    p.add_argument("--service-node-port-range", default=d.service_node_port_range)
    p.add_argument("--deny-service-external-ips", action="store_true", default=d.deny_service_external_ips)
    p.add_argument("--service-external-ip-cidrs", type=_split_csv, default=d.service_external_ip_cidrs)
    p.add_argument(
        "--storage-compaction-revisions",
        type=int,
        default=d.storage_compaction_revisions,
        help="keep at most this many revisions of history (0 = backend default)",
    )
    p.add_argument("--storage-compaction-interval", type=float, default=d.storage_compaction_interval)
    p.add_argument("--min-request-timeout", type=int, default=d.min_request_timeout)
    p.add_argument("--watch-bookmark-interval", type=float, default=d.bookmark_interval)
    p.add_argument(
        "--emulated-version",
        type=_version,
        default=d.emulated_version,
        help="version reported on /version (e.g. 1.31)",
    )
    p.add_argument("--log-level", default=d.log_level, choices=["debug", "info", "warning", "error"])
    p.add_argument(
        "--runtime-config",
        type=_key_values,
        default=dict(d.runtime_config),
        help="group/version=true|false,... (e.g. authentication.k8s.io/v1beta1=true for kubectl 1.27's auth whoami)",
    )
    p.add_argument(
        "--builtin-namespace-finalizer",
        action="store_true",
        default=d.builtin_namespace_finalizer,
        help="empty and remove terminating namespaces in the apiserver (when no namespace controller runs)",
    )
    p.add_argument(
        "--disable-admission-plugins",
        type=lambda v: [x.strip() for x in v.split(",") if x.strip()],
        default=list(d.disable_admission_plugins),
        help="default admission plugins to turn off (e.g. ServiceAccount,DefaultTolerationSeconds)",
    )


def config_from_args(a: argparse.Namespace) -> ServerConfig:
    return ServerConfig(
        data_dir=a.data_dir,
        bind_address=a.bind_address,
        secure_port=a.secure_port,
        advertise_address=a.advertise_address,
        storage_backend=a.storage_backend,
        etcd_servers=a.etcd_servers,
        service_cluster_ip_range=a.service_cluster_ip_range,
        service_node_port_range=a.service_node_port_range,
        deny_service_external_ips=a.deny_service_external_ips,
        service_external_ip_cidrs=a.service_external_ip_cidrs,
        storage_compaction_revisions=a.storage_compaction_revisions,
        storage_compaction_interval=a.storage_compaction_interval,
        min_request_timeout=a.min_request_timeout,
        bookmark_interval=a.watch_bookmark_interval,
        emulated_version=a.emulated_version,
        log_level=a.log_level,
        builtin_namespace_finalizer=a.builtin_namespace_finalizer,
        runtime_config=a.runtime_config,
        disable_admission_plugins=a.disable_admission_plugins,
    )


def _apiserver(a: argparse.Namespace) -> int:
    from kubesvc.apiserver.server import run

    run(config_from_args(a))
    return 0


def _up_flags(p: argparse.ArgumentParser) -> None:
    add_apiserver_flags(p)
    p.add_argument(
        "--controller-manager-metrics-bind-address",
        default="127.0.0.1:10257",
        help="host:port of the controller-manager's /healthz and /metrics ('0' disables).",
    )


def _up(a: argparse.Namespace) -> int:
    from kubesvc.cluster.up import up

    return up(
        config_from_args(a),
        controller_manager_args=["--metrics-bind-address", a.controller_manager_metrics_bind_address],
    )


def _controller_manager_flags(p: argparse.ArgumentParser) -> None:
    from kubesvc.controllers.options import add_arguments

    add_arguments(p)


def _controller_manager(a: argparse.Namespace) -> int:
    from kubesvc.controllers.manager import run_from_args

    return run_from_args(a)


# name -> (help, add_flags, run).  Other components add their entry here.
SUBCOMMANDS: dict[
    str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {
    "apiserver": ("run the API server", add_apiserver_flags, _apiserver),
    "up": (
        "run the control plane (apiserver + controller-manager) on its embedded defaults",
        _up_flags,
        _up,
    ),
    "controller-manager": (
        "run the controllers, leader-elected",
        _controller_manager_flags,
        _controller_manager,
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="kubesvc", description="The Kubernetes Service system in Python")
    sub = parser.add_subparsers(dest="command", required=True)
    # Only the chosen subcommand's flags are built (and its modules imported), so one
    # component's import problem cannot stop another from starting.
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (help_, add_flags, _) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_)
        if name == chosen:
            add_flags(sp)
    args = parser.parse_args(argv)
    return SUBCOMMANDS[args.command][2](args)


if __name__ == "__main__":
    sys.exit(main())
