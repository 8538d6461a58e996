"""Kubeconfig loading: which server, how to trust it, who we are.

`load_kubeconfig(path, context=None)` reads a kubeconfig file (YAML) and resolves the context
(`context` or `current-context`) to its cluster and user, as client-go's clientcmd does for the
fields we support:

- cluster: `server`, `certificate-authority-data` (base64 PEM), `certificate-authority` (a file,
  relative paths resolved against the kubeconfig's folder), `insecure-skip-tls-verify`,
  `tls-server-name`;
- user: `token`, `tokenFile`, `client-certificate(-data)`, `client-key(-data)`;
- context: `namespace` (default "default").

The result is a `ClientConfig`, which can also be built directly (`ClientConfig(server=...,
token=..., ca_file=...)`).  `ClientConfig.ssl_context()` builds the TLS context.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubesvc.api import codec


class KubeconfigError(ValueError):
    """The kubeconfig is missing, unreadable or does not resolve to a cluster."""


@dataclass(frozen=True)
class ClientConfig:
    server: str
    token: str | None = None
    ca_data: bytes | None = None  # PEM
    ca_file: str | None = None
    insecure: bool = False
    tls_server_name: str | None = None
    client_cert_data: bytes | None = None
    client_key_data: bytes | None = None
    client_cert_file: str | None = None
    client_key_file: str | None = None
    namespace: str = "default"

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for an https server; None for plain http."""
        if not self.server.startswith("https"):
            return None
        if self.insecure:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif self.ca_data is not None:
            ctx = ssl.create_default_context(cadata=self.ca_data.decode())
        elif self.ca_file is not None:
            ctx = ssl.create_default_context(cafile=self.ca_file)
        else:
            ctx = ssl.create_default_context()
        cert_file, key_file = self.client_cert_file, self.client_key_file
        if self.client_cert_data is not None and self.client_key_data is not None:
            # ssl can only load client certificates from files.
            with tempfile.NamedTemporaryFile("wb", delete=False, suffix=".pem") as f:
                f.write(self.client_cert_data + b"\n" + self.client_key_data)
                cert_file = key_file = f.name
            try:
                ctx.load_cert_chain(cert_file, key_file)
            finally:
                os.unlink(f.name)
        elif cert_file:
            ctx.load_cert_chain(cert_file, key_file)
        return ctx


def _named(items: Any, name: str, what: str, path: str) -> dict[str, Any]:
    for item in items or []:
        if isinstance(item, dict) and item.get("name") == name:
            inner = item.get(what)
            return inner if isinstance(inner, dict) else {}
    raise KubeconfigError(f"{path}: {what} {name!r} not found")


def _resolve(base: Path, file: str | None) -> str | None:
    if not file:
        return None
    p = Path(os.path.expanduser(file))
    return str(p if p.is_absolute() else base / p)


def load_kubeconfig(path: str | os.PathLike[str], context: str | None = None) -> ClientConfig:
    p = Path(path)
    try:
        doc = codec.loads_yaml(p.read_bytes())
    except (OSError, codec.DecodeError) as exc:
        raise KubeconfigError(f"cannot read kubeconfig {p}: {exc}") from exc
    if not isinstance(doc, dict):
        raise KubeconfigError(f"{p}: not a kubeconfig")
    ctx_name = context or doc.get("current-context") or ""
    if not ctx_name:
        raise KubeconfigError(f"{p}: no current-context")
    ctx = _named(doc.get("contexts"), ctx_name, "context", str(p))
    cluster = _named(doc.get("clusters"), ctx.get("cluster", ""), "cluster", str(p))
    user: dict[str, Any] = {}
    if ctx.get("user"):
        user = _named(doc.get("users"), ctx["user"], "user", str(p))
    server = cluster.get("server")
    if not server:
        raise KubeconfigError(f"{p}: cluster {ctx.get('cluster')!r} has no server")
    base = p.resolve().parent

    def b64(key: str, src: dict[str, Any]) -> bytes | None:
        v = src.get(key)
        return base64.b64decode(v) if v else None

    token = user.get("token")
    token_file = _resolve(base, user.get("tokenFile"))
    if not token and token_file:
        token = Path(token_file).read_text().strip()
    return ClientConfig(
        server=str(server).rstrip("/"),
        token=token or None,
        ca_data=b64("certificate-authority-data", cluster),
        ca_file=_resolve(base, cluster.get("certificate-authority")),
        insecure=bool(cluster.get("insecure-skip-tls-verify", False)),
        tls_server_name=cluster.get("tls-server-name"),
        client_cert_data=b64("client-certificate-data", user),
        client_key_data=b64("client-key-data", user),
        client_cert_file=_resolve(base, user.get("client-certificate")),
        client_key_file=_resolve(base, user.get("client-key")),
        namespace=ctx.get("namespace") or "default",
    )
