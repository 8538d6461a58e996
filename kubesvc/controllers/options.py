"""The `kubesvc controller-manager` flags, kept apart from the manager so that building the
command line of any kubesvc component never imports the controllers (only pure modules here).

Flag names and defaults are upstream kube-controller-manager's where one exists.
"""

from __future__ import annotations

import argparse
import os

from kubesvc.controllers.loadbalancer.pool import DEFAULT_POOL
from kubesvc.controllers.mirroring.reconciler import DEFAULT_MAX_ENDPOINTS_PER_SUBSET

DEFAULT_LEASE_DURATION = 15.0
DEFAULT_RENEW_DEADLINE = 10.0
DEFAULT_RETRY_PERIOD = 2.0
LEASE_NAMESPACE = "kube-system"
# upstream's lease is `kube-controller-manager`; ours has our own name
LEASE_NAME = "kubesvc-controller-manager"
DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100
DEFAULT_METRICS_BIND_ADDRESS = "127.0.0.1:10257"


def _bool(text: str) -> bool:
    if text.lower() in ("true", "1", "yes", "t"):
        return True
    if text.lower() in ("false", "0", "no", "f"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean value {text!r}")


def _duration(text: str) -> float:
    """Go-style durations as the upstream flags take them: `15s`, `500ms`, `1m`, or plain seconds."""
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    t = text.strip()
    for suffix in ("ms", "s", "m", "h"):
        if t.endswith(suffix):
            try:
                return float(t[: -len(suffix)]) * units[suffix]
            except ValueError:
                break
    try:
        return float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"), help="Path to a kubeconfig.")
    parser.add_argument(
        "--leader-elect",
        type=_bool,
        nargs="?",
        const=True,
        default=True,
        help="Use leader election (default true).",
    )
    parser.add_argument("--leader-elect-lease-duration", type=_duration, default=DEFAULT_LEASE_DURATION)
    parser.add_argument("--leader-elect-renew-deadline", type=_duration, default=DEFAULT_RENEW_DEADLINE)
    parser.add_argument("--leader-elect-retry-period", type=_duration, default=DEFAULT_RETRY_PERIOD)
    parser.add_argument("--leader-elect-resource-namespace", default=LEASE_NAMESPACE)
    parser.add_argument("--leader-elect-resource-name", default=LEASE_NAME)
    parser.add_argument("--max-endpoints-per-slice", type=int, default=DEFAULT_MAX_ENDPOINTS_PER_SLICE)
    parser.add_argument(
        "--mirroring-max-endpoints-per-subset", type=int, default=DEFAULT_MAX_ENDPOINTS_PER_SUBSET
    )
    parser.add_argument(
        "--load-balancer-ip-pool",
        default=DEFAULT_POOL,
        help="CIDRs and/or a-b ranges, comma separated, of either family.",
    )
    parser.add_argument(
        "--controllers",
        action="append",
        default=None,
        help="Controllers to enable: '*' all, 'foo' enables foo, '-foo' disables foo.",
    )
    parser.add_argument(
        "--metrics-bind-address",
        default=DEFAULT_METRICS_BIND_ADDRESS,
        help="host:port for /healthz and /metrics over HTTP; '0' disables.",
    )
    parser.add_argument("-v", "--v", type=int, default=0, help="Log verbosity.")
