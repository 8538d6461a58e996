"""`ServerConfig`: every flag of `kubesvc apiserver`, named as kube-apiserver names them."""

from __future__ import annotations

from dataclasses import dataclass, field

# The version we report on /version.  kubectl's gcloud dispatcher picks its client from `minor`
# (1.31 sends JSON request bodies; 1.32+ sends protobuf for typed creates).
DEFAULT_VERSION = (1, 31, 0)


@dataclass
class ServerConfig:
    data_dir: str = "./data"
    bind_address: str = "127.0.0.1"
    secure_port: int = 6443  # 0 = pick a free port
    advertise_address: str = ""
    storage_backend: str = "sqlite"  # sqlite | memory | etcd
    etcd_servers: list[str] = field(default_factory=list)
    service_cluster_ip_range: str = "10.96.0.0/12"
    service_node_port_range: str = "30000-32767"
    deny_service_external_ips: bool = False
    service_external_ip_cidrs: list[str] = field(default_factory=list)
    # Keep at most this many revisions of history (0 = the store's own policy).
    storage_compaction_revisions: int = 0
    storage_compaction_interval: float = 300.0
    max_request_body_bytes: int = 3 * 1024 * 1024
    min_request_timeout: int = 1800  # watch timeouts are drawn from [min, 2*min] as upstream
    bookmark_interval: float = 60.0
    emulated_version: tuple[int, int, int] = DEFAULT_VERSION
    log_level: str = "info"
    # Finish terminating namespaces in the apiserver (delete content, drop the finalizer)
    # instead of waiting for a namespace controller.
    builtin_namespace_finalizer: bool = False
    # kube-apiserver's --runtime-config (group/version -> "true"/"false"): turns on the
    # group-versions upstream serves only on request (authentication.k8s.io/v1beta1, ...).
    runtime_config: dict[str, str] = field(default_factory=dict)
    # kube-apiserver's --disable-admission-plugins: default plugins turned off (of those that
    # change a Pod here: ServiceAccount, Priority, DefaultTolerationSeconds; others are no-ops)
    disable_admission_plugins: list[str] = field(default_factory=list)

    @property
    def public_address(self) -> str:
        """The address written into the kubeconfig (bind address unless it is a wildcard)."""
        if self.advertise_address:
            return self.advertise_address
        if self.bind_address in ("0.0.0.0", "", "::"):
            return "127.0.0.1"
        return self.bind_address
