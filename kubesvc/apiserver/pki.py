"""Security material in the data dir: CA, serving certificate, static tokens, admin kubeconfig.

Generated on first start and reused after (the serving certificate is re-issued when it lacks a
needed address or is about to expire).  Tokens follow kube-apiserver's `--token-auth-file`
format: `token,user,uid,"group1,group2"` per line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import ipaddress
import os
import secrets
import ssl
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT = "ca.crt"
CA_KEY = "ca.key"
SERVING_CERT = "apiserver.crt"
SERVING_KEY = "apiserver.key"
TOKENS = "tokens.csv"
KUBECONFIG = "kubeconfig"

ADMIN_USER = "admin"
READONLY_USER = "readonly"
MASTERS_GROUP = "system:masters"
READONLY_GROUP = "kubesvc:readonly"
AUTHENTICATED_GROUP = "system:authenticated"


@dataclass(frozen=True)
class UserInfo:
    name: str
    uid: str
    groups: tuple[str, ...]


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def ensure_ca(data_dir: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = data_dir / CA_CERT, data_dir / CA_KEY
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubesvc-ca")])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_path, _key_pem(key))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _wanted_sans(addresses: list[str]) -> tuple[set[str], set[str]]:
    dns = {
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    }
    ips = {"127.0.0.1", "::1"}
    for a in addresses:
        if not a or a in ("0.0.0.0", "::"):
            continue
        try:
            ips.add(str(ipaddress.ip_address(a)))
        except ValueError:
            dns.add(a)
    return dns, ips


def ensure_serving_cert(data_dir: Path, addresses: list[str]) -> tuple[Path, Path]:
    """The serving certificate for `addresses` (plus loopback and the `kubernetes` names)."""
    ca_cert, ca_key = ensure_ca(data_dir)
    cert_path, key_path = data_dir / SERVING_CERT, data_dir / SERVING_KEY
    dns, ips = _wanted_sans(addresses)
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            have_dns = set(san.get_values_for_type(x509.DNSName))
            have_ips = {str(i) for i in san.get_values_for_type(x509.IPAddress)}
        except x509.ExtensionNotFound:
            have_dns, have_ips = set(), set()
        fresh = cert.not_valid_after_utc > _now() + dt.timedelta(days=7)
        if dns <= have_dns and ips <= have_ips and fresh and cert.issuer == ca_cert.subject:
            return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    sans: list[x509.GeneralName] = [x509.DNSName(d) for d in sorted(dns)]
    sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in sorted(ips)]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(key_path, _key_pem(key))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def server_ssl_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


# -- tokens ------------------------------------------------------------------------------------


def ensure_tokens(data_dir: Path) -> dict[str, UserInfo]:
    """Load `tokens.csv`, creating it with an admin and a read-only token on first start."""
    path = data_dir / TOKENS
    if not path.exists():
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow([secrets.token_urlsafe(32), ADMIN_USER, ADMIN_USER, MASTERS_GROUP])
        w.writerow([secrets.token_urlsafe(32), READONLY_USER, READONLY_USER, READONLY_GROUP])
        _write_private(path, buf.getvalue().encode())
    return load_tokens(path)


def load_tokens(path: Path) -> dict[str, UserInfo]:
    users: dict[str, UserInfo] = {}
    with path.open(newline="") as f:
        for row in csv.reader(f):
            if not row or row[0].startswith("#") or len(row) < 3:
                continue
            groups = tuple(g.strip() for g in row[3].split(",") if g.strip()) if len(row) > 3 else ()
            users[row[0].strip()] = UserInfo(row[1].strip(), row[2].strip(), groups)
    return users


def token_for(users: dict[str, UserInfo], user: str) -> str:
    for tok, info in users.items():
        if info.name == user:
            return tok
    raise KeyError(user)


# -- kubeconfig --------------------------------------------------------------------------------


def write_kubeconfig(data_dir: Path, server: str, token: str, *, name: str = "kubesvc") -> Path:
    ca_pem = (data_dir / CA_CERT).read_bytes()
    import base64

    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": server,
                    "certificate-authority-data": base64.b64encode(ca_pem).decode(),
                },
            }
        ],
        "users": [{"name": f"{name}-admin", "user": {"token": token}}],
        "contexts": [
            {"name": name, "context": {"cluster": name, "user": f"{name}-admin", "namespace": "default"}}
        ],
        "current-context": name,
        "preferences": {},
    }
    path = data_dir / KUBECONFIG
    tmp = data_dir / (KUBECONFIG + ".tmp")
    _write_private(tmp, yaml.safe_dump(doc, sort_keys=False).encode())
    os.replace(tmp, path)
    return path
