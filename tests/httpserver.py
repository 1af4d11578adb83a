"""A real HTTP(S) server on 127.0.0.1 for tests, with ranges, validators, tokens and faults.

Generic on purpose (downloads, snapshot fetches and anything else can use it)::

    with HttpTestServer() as server:
        server.add("/img/a.iso", Resource(body, require_token="s3cret"))
        server.resources["/img/a.iso"].faults.append(Fault(drop_after=4096))
        requests.get(server.url("/img/a.iso"))
        server.requests  # what arrived: method, path, headers, status, bytes sent

HTTPS: ``HttpTestServer(tls=make_tls_files(tmp_path))`` serves with a certificate signed by a
CA made for the test; clients must trust ``tls.ca_cert`` explicitly.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import ipaddress
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Fault:
    """One injected misbehaviour, used up by the next request for its resource."""

    status: int | None = None  # answer with this status and a short body (e.g. 500, 503)
    drop_after: int | None = None  # send headers + this many body bytes, then cut the connection
    delay_s: float = 0.0  # wait before answering (a slow or hung server)
    stall_after: int | None = None  # send this many body bytes, then wait stall_s ...
    stall_s: float = 0.0
    release: threading.Event | None = None  # ... or until the test sets this event


@dataclass
class Resource:
    body: bytes
    etag: str | None = "auto"  # "auto": a strong ETag from the content; None: no ETag
    last_modified: str | None = None
    content_type: str = "application/octet-stream"
    require_token: str | None = None  # demand "Authorization: Bearer <token>"
    ignore_range: bool = False  # a server that always answers 200 with the whole body
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    faults: list[Fault] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.etag == "auto":
            self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass
class RequestRecord:
    method: str
    path: str
    headers: dict[str, str]
    status: int = 0
    bytes_sent: int = 0
    client_hung_up: bool = False  # seen while the server stalled (Fault.stall_after)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    owner: HttpTestServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (timeouts, cancelled downloads, failed TLS) are expected here.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures anyway
        pass

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def _serve(self, *, send_body: bool) -> None:
        owner = self.server.owner
        path = urlsplit(self.path).path
        record = RequestRecord(self.command, path, {k: v for k, v in self.headers.items()})
        with owner.lock:
            owner.requests.append(record)
            resource = owner.resources.get(path)
            fault = resource.faults.pop(0) if resource and resource.faults else None
        if fault and fault.delay_s and owner.stopping.wait(fault.delay_s):
            return
        if resource is None:
            self._simple(record, 404, b"not found\n")
            return
        wanted_auth = f"Bearer {resource.require_token}"
        if resource.require_token is not None and self.headers.get("Authorization") != wanted_auth:
            self._simple(record, 401, b"unauthorized\n", {"WWW-Authenticate": 'Bearer realm="test"'})
            return
        if fault and fault.status:
            self._simple(record, fault.status, b"injected failure\n")
            return

        body = resource.body
        start, end, status = 0, len(body), 200
        headers = {"Content-Type": resource.content_type, "Accept-Ranges": "bytes"}
        if resource.etag:
            headers["ETag"] = resource.etag
        if resource.last_modified:
            headers["Last-Modified"] = resource.last_modified
        wanted = self.headers.get("Range")
        if wanted and not resource.ignore_range and self._if_range_holds(resource):
            parsed = _parse_range(wanted, len(body))
            if parsed is None:
                self._simple(record, 416, b"", {"Content-Range": f"bytes */{len(body)}"})
                return
            start, end = parsed
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{len(body)}"
        record.status = status
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if resource.send_length:
            self.send_header("Content-Length", str(end - start))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if not send_body:
            return
        self._send_body(record, body[start:end], fault, close_at_end=not resource.send_length)

    def _if_range_holds(self, resource: Resource) -> bool:
        validator = self.headers.get("If-Range")
        return validator is None or validator in (resource.etag, resource.last_modified)

    def _send_body(self, record: RequestRecord, data: bytes, fault: Fault | None, close_at_end: bool) -> None:
        owner = self.server.owner
        limit = fault.drop_after if fault and fault.drop_after is not None else None
        stall = fault.stall_after if fault and fault.stall_after is not None else None
        view = memoryview(data)
        sent = 0
        try:
            while sent < len(view):
                step = min(owner.chunk, len(view) - sent)
                if limit is not None:
                    step = min(step, limit - sent)
                if stall is not None and sent < stall:
                    step = min(step, stall - sent)
                if step > 0:
                    self.wfile.write(view[sent:sent + step])
                    sent += step
                    record.bytes_sent = sent
                if limit is not None and sent >= limit:
                    self.wfile.flush()
                    self._cut()
                    return
                if stall is not None and sent >= stall and fault is not None:
                    self.wfile.flush()
                    stall = None
                    if self._stall(fault, record):
                        self._cut()
                        return
            self.wfile.flush()
        except OSError:
            self.close_connection = True
            return
        if close_at_end:
            self._cut()

    def _stall(self, fault: Fault, record: RequestRecord) -> bool:
        """Wait stall_s (or until released); True when the client hung up or the server stops."""
        owner = self.server.owner
        deadline = time.monotonic() + fault.stall_s
        while time.monotonic() < deadline:
            if owner.stopping.is_set():
                return True
            if fault.release is not None and fault.release.is_set():
                return False
            readable, _, _ = select.select([self.connection], [], [], 0.02)
            if readable:
                try:
                    # the raw socket, also under TLS: an empty peek means the peer closed
                    peek = socket.socket.recv(self.connection, 1, socket.MSG_PEEK)
                except OSError:
                    peek = b""
                if not peek:
                    record.client_hung_up = True
                    return True
        return False

    def _cut(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _simple(
        self, record: RequestRecord, status: int, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        record.status = status
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """(start, end-exclusive) for a single "bytes=a-b" / "bytes=a-" / "bytes=-n"; None: unsatisfiable."""
    spec = value.strip().removeprefix("bytes=")
    first, _, last = spec.partition("-")
    if first == "":
        count = int(last)
        return (max(0, size - count), size) if count else None
    start = int(first)
    end = min(size, int(last) + 1) if last else size
    if start >= size or end <= start:
        return None
    return start, end


@dataclass
class TlsFiles:
    ca_cert: Path
    cert: Path
    key: Path


class HttpTestServer:
    """The server; a context manager that starts on enter and stops (threads woken) on exit."""

    def __init__(self, tls: TlsFiles | None = None, chunk: int = 64 * 1024) -> None:
        self.resources: dict[str, Resource] = {}
        self.requests: list[RequestRecord] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.chunk = chunk
        self.tls = tls
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls.cert, tls.key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def add(self, path: str, resource: Resource) -> Resource:
        with self.lock:
            self.resources[path] = resource
        return resource

    def requests_for(self, path: str, method: str = "GET") -> list[RequestRecord]:
        with self.lock:
            return [r for r in self.requests if r.path == path and r.method == method]

    def start(self) -> HttpTestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HttpTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def http_date(when: float) -> str:
    return formatdate(when, usegmt=True)


def make_tls_files(folder: Path, host: str = "127.0.0.1") -> TlsFiles:
    """A CA and a server certificate for ``host`` signed by it (cryptography package)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    one_day = datetime.timedelta(days=1)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name("ecs-field test CA"))
        .issuer_name(name("ecs-field test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - one_day)
        .not_valid_after(now + one_day)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(host))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - one_day)
        .not_valid_after(now + one_day)
        .add_extension(x509.SubjectAlternativeName([alt, x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return files


def have_cryptography() -> bool:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return False
    return True

