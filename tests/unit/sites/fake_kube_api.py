"""A real HTTP(S) server on 127.0.0.1 that answers like a host's Kubernetes API.

Used by the snapshot tests and the e2e CLI tests. Behaviour is set per path: extra 500s before
an answer, a delay (for timeouts), a malformed body, a fixed status. Lists are paginated with
``limit``/``continue`` exactly like the API server (the continue token is opaque to clients).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FLUX_SOURCE_V1 = "/apis/source.toolkit.fluxcd.io/v1/gitrepositories"
FLUX_KUSTOMIZE_V1 = "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations"
FLUX_KUSTOMIZE_V1BETA2 = "/apis/kustomize.toolkit.fluxcd.io/v1beta2/kustomizations"
VMS = "/apis/vmoperator.vmware.com/v1alpha1/virtualmachines"
VM_CLASSES = "/apis/vmoperator.vmware.com/v1alpha1/virtualmachineclasses"
NAMESPACES = "/api/v1/namespaces"
EVENTS = "/api/v1/events"
ESX_DISCOVERY = "/apis/esx.vmware.com/v1alpha1"
HOSTCONFIGS = "/apis/esx.vmware.com/v1alpha1/hostconfigurations"

SHA_APPLIED = "1" * 40


@dataclass
class Route:
    list_kind: str = ""  # "KustomizationList": the path serves a paginated list of ``items``
    api_version: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    document: dict[str, Any] | None = None  # a fixed JSON object (discovery)
    status: int = 200
    fail_first: int = 0  # answer 500 this many times before the real answer
    delay_s: float = 0.0
    raw_body: bytes | None = None


class FakeKubeApi:
    def __init__(self, *, token: str | None = "s3cret-token", tls: ssl.SSLContext | None = None) -> None:
        self.token = token
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.auth_headers: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeKubeApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_list(self, path: str, api_version: str, list_kind: str, items: list[dict[str, Any]]) -> Route:
        route = Route(list_kind=list_kind, api_version=api_version, items=items)
        self.routes[path] = route
        return route

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                api.requests.append(self.path)
                api.auth_headers.append(self.headers.get("Authorization", ""))
                if api.token and self.headers.get("Authorization") != f"Bearer {api.token}":
                    self._send(
                        401, {"kind": "Status", "status": "Failure", "reason": "Unauthorized", "code": 401}
                    )
                    return
                route = api.routes.get(parts.path)
                if route is None:
                    self._send(404, {"kind": "Status", "reason": "NotFound", "code": 404})
                    return
                if route.delay_s:
                    time.sleep(route.delay_s)
                if route.fail_first > 0:
                    route.fail_first -= 1
                    self._send(500, {"kind": "Status", "reason": "InternalError", "code": 500})
                    return
                if route.raw_body is not None:
                    self._send_bytes(route.status, route.raw_body)
                    return
                if route.document is not None:
                    self._send(route.status, route.document)
                    return
                query = parse_qs(parts.query)
                limit = int(query.get("limit", ["500"])[0])
                start = int(query.get("continue", ["0"])[0] or 0)
                page = route.items[start : start + limit]
                following = start + limit
                body = {
                    "kind": route.list_kind,
                    "apiVersion": route.api_version,
                    "metadata": {
                        "resourceVersion": "1",
                        **({"continue": str(following)} if following < len(route.items) else {}),
                    },
                    "items": page,
                }
                self._send(route.status, body)

            def _send(self, status: int, body: Any) -> None:
                self._send_bytes(status, json.dumps(body).encode())

            def _send_bytes(self, status: int, data: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


def _meta(name: str, namespace: str = "", **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "uid": f"uid-{name}",
        "generation": 1,
        "managedFields": [{"manager": "kubectl"}],
    }
    if namespace:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def populate_host(
    api: FakeKubeApi, *, vm_count: int = 3, applied: str = SHA_APPLIED, kustomize_v1: bool = True
) -> None:
    """A host that pulled ``applied`` on main: Flux, VMs (more than one page), classes, events."""
    api.add_list(
        FLUX_SOURCE_V1,
        "source.toolkit.fluxcd.io/v1",
        "GitRepositoryList",
        [
            {
                "metadata": _meta("flux-system", "flux-system"),
                "spec": {"url": "https://git.example.test/site.git", "ref": {"branch": "main"}},
                "status": {
                    "observedGeneration": 1,
                    "artifact": {"revision": f"main@sha1:{applied}"},
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "reason": "Succeeded",
                            "message": f"stored artifact for revision 'main@sha1:{applied}'",
                        }
                    ],
                },
            }
        ],
    )
    kustomization = {
        "metadata": _meta("flux-system", "flux-system"),
        "spec": {"path": "./", "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
        "status": {
            "observedGeneration": 1,
            "lastAppliedRevision": f"main@sha1:{applied}",
            "lastAttemptedRevision": f"main@sha1:{applied}",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "ReconciliationSucceeded",
                    "message": f"Applied revision: main@sha1:{applied}",
                }
            ],
        },
    }
    if kustomize_v1:
        api.add_list(
            FLUX_KUSTOMIZE_V1, "kustomize.toolkit.fluxcd.io/v1", "KustomizationList", [kustomization]
        )
    else:
        api.add_list(
            FLUX_KUSTOMIZE_V1BETA2,
            "kustomize.toolkit.fluxcd.io/v1beta2",
            "KustomizationList",
            [kustomization],
        )
    vms = [
        {
            "metadata": _meta(f"vm-{i}", "apps"),
            "spec": {"className": "small", "imageName": "photon.ova", "powerState": "poweredOn"},
            "status": {"powerState": "poweredOn", "phase": "Created", "vmIp": f"10.0.0.{10 + i}"},
        }
        for i in range(vm_count)
    ]
    api.add_list(VMS, "vmoperator.vmware.com/v1alpha1", "VirtualMachineList", vms)
    api.add_list(
        VM_CLASSES,
        "vmoperator.vmware.com/v1alpha1",
        "VirtualMachineClassList",
        [{"metadata": _meta("small"), "spec": {"hardware": {"cpus": 2, "memory": "4Gi"}}}],
    )
    api.add_list(
        NAMESPACES,
        "v1",
        "NamespaceList",
        [{"metadata": _meta(name), "status": {"phase": "Active"}} for name in ("apps", "flux-system")],
    )
    api.add_list(
        EVENTS,
        "v1",
        "EventList",
        [
            {
                "metadata": _meta("flux-system.1", "flux-system"),
                "involvedObject": {
                    "kind": "GitRepository",
                    "name": "flux-system",
                    "namespace": "flux-system",
                },
                "reason": "NewArtifact",
                "type": "Normal",
                "message": "stored artifact for commit 'Add vm-2'",
                "lastTimestamp": "2026-11-26T10:00:00Z",
            }
        ],
    )
    api.routes[ESX_DISCOVERY] = Route(
        document={
            "kind": "APIResourceList",
            "groupVersion": "esx.vmware.com/v1alpha1",
            "resources": [
                {
                    "name": "hostconfigurations",
                    "kind": "HostConfiguration",
                    "namespaced": True,
                    "verbs": ["get", "list", "watch"],
                },
                {
                    "name": "hostconfigurations/status",
                    "kind": "HostConfiguration",
                    "namespaced": True,
                    "verbs": ["get"],
                },
            ],
        }
    )
    api.add_list(
        HOSTCONFIGS,
        "esx.vmware.com/v1alpha1",
        "HostConfigurationList",
        [
            {
                "metadata": _meta(
                    "vswitch-config", "esx-system", annotations={"veco.vmware.com/gitops-status": "Pulled"}
                ),
                "spec": {"layertype": "Incremental", "profile": "{}"},
                "status": {"gitopsStatus": "ApplyFailed"},
            }
        ],
    )


# -- TLS material -------------------------------------------------------------------------------
def make_ca_and_server_cert(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    try:
        return _with_cryptography(folder)
    except ImportError:
        return _with_openssl(folder)


def _with_cryptography(folder: Path) -> tuple[Path, Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ecs-field test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_path, cert_path, key_path


def _with_openssl(folder: Path) -> tuple[Path, Path, Path]:
    import subprocess

    ca_key, ca, key, csr, cert = (
        folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    ext = folder / "ext.cnf"
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)  # noqa: E731
    run(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=ecs-field test CA",
        "-keyout",
        str(ca_key),
        "-out",
        str(ca),
    )
    run(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        str(key),
        "-out",
        str(csr),
    )
    run(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        str(ext),
        "-out",
        str(cert),
    )
    return ca, cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
