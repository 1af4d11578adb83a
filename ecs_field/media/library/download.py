"""Download an image over HTTP(S) with resume, a bearer token and a SHA-256 check.

Decisions (each one a technician's problem seen in the field):
- The bytes go to ``<name>.part`` next to the final file, with ``<name>.part.json`` remembering
  the URL (without credentials) and the server's validator (strong ETag or Last-Modified). A
  later run resumes with ``Range`` + ``If-Range``: 206 appends, 200 (range ignored or the
  remote changed) restarts from 0, 416 with the same length means the part is complete.
  Without a validator we only resume when a checksum will check the result.
- The SHA-256 is computed while downloading (no second pass over 2 GB). The expected value
  comes from ``--sha256`` or, if absent, from ``URL.sha256`` or ``SHA256SUMS`` next to the URL.
  No checksum at all is reported as "not verified", never as a pass.
- A wrong checksum deletes the ``.part``: a complete but wrong part would otherwise be
  "resumed" (416) and fail again forever, and nothing that could pass for a good image stays.
- A full disk, a cancel or a dropped connection keep the ``.part`` for the next run.
- The token never appears in the index, logs or messages; messages show the URL without
  userinfo, query or fragment (pre-signed URLs carry credentials in the query).
"""

from __future__ import annotations

import contextlib
import logging
import os
import posixpath
import queue
import re
import shutil
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

if TYPE_CHECKING:
    import requests

from ecs_field import __version__, storage
from ecs_field.errors import BadInput, Cancelled, EcsFieldError, NetworkError, VerifyMismatch
from ecs_field.events import CancelToken, Progress, ProgressCallback, ignore_progress
from ecs_field.media.library.hashing import (
    ThrottledProgress,
    disk_full_error,
    human_bytes,
    is_disk_full,
    new_hasher,
    normalize_sha256,
    sha256_file,
)
from ecs_field.media.library.store import ImageLibrary, ImageRecord, check_image_name
from ecs_field.redact import redact_url

log = logging.getLogger(__name__)
# urllib3 logs every request line at DEBUG, query string included, and the app's log file takes
# DEBUG: a pre-signed URL's credentials would land there. Its INFO and above carry no URLs.
logging.getLogger("urllib3.connectionpool").setLevel(logging.INFO)

KEYRING_SERVICE = "ecs-field"
PART_SCHEMA = "ecs-field/partial-download@1"
RETRY_DELAYS_S = (1.0, 2.0, 4.0)
SIDECAR_MAX_BYTES = 1 << 20
# Network reads are smaller than disk chunks: urllib3 drops the bytes of a read that a broken
# connection interrupts, so this bounds what a break costs; at 100 MB/s it is ~800 reads/s.
NET_CHUNK = 128 * 1024
SYNC_EVERY = 32 << 20
_datasync = getattr(os, "fdatasync", os.fsync)  # macOS and Windows have only fsync
_HEX64 = re.compile(r"\b([0-9a-fA-F]{64})\b")
_BSD_LINE = re.compile(r"^SHA256 \((?P<name>.+)\) = (?P<hex>[0-9a-fA-F]{64})$")


@dataclass
class DownloadResult:
    """What ``download`` produced. ``checksum_source`` is None when nothing was verified."""

    path: Path
    url: str  # redacted: no userinfo, query or fragment
    size_bytes: int
    sha256: str
    checksum_source: str | None
    resumed_from: int  # bytes already on disk when this call started (0: fresh)
    requests: int  # HTTP requests for the image itself (retries and resumes included)
    bytes_received: int  # body bytes received for the image in this call

    @property
    def verified(self) -> bool:
        return self.checksum_source is not None


@dataclass
class _Token:
    value: str | None
    origin: str  # for messages: where it came from, never the value


class _Retry(Exception):
    """A transient failure; the loop resumes after a short wait."""

    def __init__(self, message: str, *, progressed: bool = False, delay: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.progressed = progressed
        self.delay = delay


class _WriteAndHash:
    """Writes and hashes received chunks in a second thread, so reading the socket overlaps them.

    File writes and hashlib release the GIL: on a 2-core laptop this is what lets a download
    keep up with a gigabit link (measured in tests/bench/download.py). The queue is short, so
    at most ~1 MiB is in flight; ``close`` waits for it and re-raises a write error (ENOSPC).
    """

    def __init__(self, handle: Any, hasher: Any, depth: int = 8) -> None:
        self._handle = handle
        self._hasher = hasher
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._unsynced = 0
        self._thread = threading.Thread(target=self._run, name="download-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            chunk = self._queue.get()
            if chunk is None:
                return
            if self._error is not None:
                continue  # drain after a failure so put() never blocks forever
            try:
                self._handle.write(chunk)
                self._hasher.update(chunk)
                self._unsynced += len(chunk)
                if self._unsynced >= SYNC_EVERY:
                    # Flushing as we go overlaps the disk with the network; one fsync of 2 GB
                    # at the end would stall for seconds before the rename.
                    self._handle.flush()
                    _datasync(self._handle.fileno())
                    self._unsynced = 0
            except BaseException as exc:
                self._error = exc

    def put(self, chunk: bytes) -> None:
        if self._error is not None:
            self.close()
        self._queue.put(chunk)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error


class _AbortOnCancel:
    """Cuts the connection when the user cancels, so a stalled server cannot delay a cancel.

    Without it a cancel is only seen when the next block arrives, which on a hung server is
    the read timeout (60 s). Shutting the socket down makes the blocked read return at once.
    """

    def __init__(self, response: requests.Response, cancel: CancelToken) -> None:
        self._response = response
        self._cancel = cancel
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="download-cancel", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            if self._cancel.wait(0.05):
                if not self._done.is_set():
                    self._cut()
                return

    def _cut(self) -> None:
        connection = getattr(self._response.raw, "connection", None)
        sock = getattr(connection, "sock", None)
        if sock is None:
            return
        # the plain socket's shutdown, not SSLSocket's (that one tears down TLS state the
        # reading thread still uses); the blocked read then ends with an error
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


# ----- URL and token helpers


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(
            f"{redact_url(url) or url[:60]!r} is not an http:// or https:// URL.",
            "Give the full URL of the ISO, e.g. https://orchestrator.example/images/ECS-8.0U3.iso",
        )
    return url.strip()


def name_from_url(url: str) -> str:
    name = unquote(posixpath.basename(urlsplit(url).path))
    if not name:
        raise BadInput(
            f"{redact_url(url)} does not end in a file name.", "Give the name to save it under with --name."
        )
    return check_image_name(name)


def resolve_token(url: str, token_env: str | None = None) -> _Token:
    """The bearer token: from the environment variable ``token_env``, else the keyring.

    Keyring entry: service "ecs-field", user = the URL's host name.
    """
    from ecs_field.tokens import from_env, from_keyring

    host = urlsplit(url).hostname or ""
    if token_env:
        value = from_env(
            token_env, what=f"--token-env {token_env}: the environment variable",
            hint=f"Set it first (e.g. read -s {token_env}; export {token_env}) or leave out --token-env "
            f"to use the keyring entry (service {KEYRING_SERVICE!r}, user {host!r}).",
        )
        return _Token(value, f"the token from environment variable {token_env}")
    value = from_keyring(KEYRING_SERVICE, host) or ""
    if value.strip():
        return _Token(value.strip(), f"the token in the keyring (service {KEYRING_SERVICE!r}, user {host!r})")
    return _Token(
        None,
        f"no token (no --token-env given and none in the keyring for service {KEYRING_SERVICE!r}, "
        f"user {host!r})",
    )


def _scrub(text: str, url: str, token: str | None) -> str:
    """Removes the token and the URL's secrets from library error text before it is shown."""
    if token:
        text = text.replace(token, "***")
    parts = urlsplit(url)
    for secret in (parts.query, parts.password or "", parts.username or ""):
        if secret:
            text = text.replace(secret, "***")
    return text


def _reason(exc: BaseException, url: str, token: str | None) -> str:
    """A short reason from a requests/urllib3 exception, without pool/url noise."""
    text = str(exc)
    for pattern in (
        r"certificate verify failed: ([^(')\"]+)",
        r"(\[Errno -?\d+\] [^'\")]+)",
        r"(Read timed out[^'\")]*)",
        r"(Connection broken: [^'\")]+\)?)",
        r"(Connection aborted[^'\")]*)",
        r"(Remote end closed connection without response)",
        r"(IncompleteRead\([^)]*\))",
    ):
        match = re.search(pattern, text)
        if match:
            text = match.group(1)
            break
    else:
        text = re.sub(r"\S+ConnectionPool\([^)]*\): ", "", text)
        text = re.sub(r"with url: \S+", "", text)
    return _scrub(text.strip().rstrip(".,"), url, token) or type(exc).__name__


# ----- the download


class _Downloader:
    def __init__(
        self,
        url: str,
        *,
        dest_dir: Path,
        file_name: str | None,
        expected: tuple[str, str] | None,
        token: _Token,
        progress: ProgressCallback,
        cancel: CancelToken,
        timeout: tuple[float, float],
        ca_file: Path | None,
        retries: int,
        retry_delays: Sequence[float],
        find_checksum: bool,
        session: requests.Session | None,
    ) -> None:
        import requests  # loaded on first download: the app starts without it
        self.url = check_url(url)
        self.shown = redact_url(self.url)
        self.host = urlsplit(self.url).hostname or ""
        self.dest_dir = dest_dir
        self.name = check_image_name(file_name) if file_name else name_from_url(self.url)
        self.final = dest_dir / self.name
        self.part = dest_dir / f"{self.name}.part"
        self.meta = dest_dir / f"{self.name}.part.json"
        self.expected = expected
        self.token = token
        self.progress = progress
        self.cancel = cancel
        self.timeout = timeout
        self.ca_file = ca_file
        self.retries = retries
        self.retry_delays = tuple(retry_delays) or (0.0,)
        self.find_checksum = find_checksum
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = f"ecs-field/{__version__}"
        # identity: byte ranges and sizes must refer to the file, not a compressed stream
        self.session.headers["Accept-Encoding"] = "identity"
        if token.value:
            self.session.headers["Authorization"] = f"Bearer {token.value}"
        if ca_file is not None and not ca_file.is_file():
            raise BadInput(f"--ca {ca_file}: no such file.", "Give the CA certificate as a PEM file.")
        # Passed on every request: a session-level verify loses to REQUESTS_CA_BUNDLE in requests.
        self.verify: str | bool = str(ca_file) if ca_file is not None else True
        self.requests = 0
        self.bytes_received = 0
        self.resumed = False
        self._hasher: Any = None
        self._hashed = 0

    # -- requests

    def _get(self, url: str, headers: dict[str, str] | None = None) -> requests.Response:
        import requests  # loaded on first download: the app starts without it
        try:
            return self.session.get(
                url, headers=headers or {}, stream=True, timeout=self.timeout, verify=self.verify
            )
        except requests.exceptions.SSLError as exc:
            against = f" against {self.ca_file}" if self.ca_file else ""
            raise NetworkError(
                f"{self.shown}: the TLS certificate of {self.host} could not be verified{against}: "
                f"{_reason(exc, self.url, self.token.value)}.",
                "If the server uses a private CA, pass --ca FILE with that CA certificate (PEM). "
                "Verification is never switched off.",
            ) from None
        except requests.exceptions.ConnectTimeout:
            raise NetworkError(
                f"{self.shown}: could not connect to {self.host} within {self.timeout[0]:g} s.",
                "Check the network, VPN or proxy, and that the host name is right.",
            ) from None
        except requests.exceptions.ReadTimeout as exc:
            raise _Retry(f"{self.host} did not answer within {self.timeout[1]:g} s") from exc
        except requests.exceptions.ConnectionError as exc:
            reason = _reason(exc, self.url, self.token.value)
            if "Connection aborted" in reason or "Remote end closed" in reason:
                raise _Retry(f"the connection to {self.host} was closed: {reason}") from exc
            raise NetworkError(
                f"{self.shown}: could not reach {self.host}: {reason}.",
                "Check the network, VPN or proxy, and that the URL is right.",
            ) from None
        except requests.exceptions.RequestException as exc:
            raise NetworkError(
                f"{self.shown}: the request failed: {_reason(exc, self.url, self.token.value)}.",
                "Check the URL.",
            ) from None

    def _status_error(self, response: requests.Response, what: str) -> EcsFieldError:
        status = response.status_code
        head = f"{what}: the server answered HTTP {status} {response.reason or ''}".rstrip()
        if status in (401, 403):
            refused = "refused" if status == 401 else "refused (forbidden)"
            sent = self.token.origin
            hint = (
                f"Pass the orchestrator token with --token-env VAR (an environment variable holding it), "
                f"or store it in the keyring: service {KEYRING_SERVICE!r}, user {self.host!r} "
                f"(e.g. keyring set {KEYRING_SERVICE} {self.host})."
            )
            if self.token.value:
                hint = f"The token was sent but {refused}: it may be wrong, expired or lack access. " + hint
            return NetworkError(f"{head}; sent {sent}.", hint)
        if status in (404, 410):
            return BadInput(
                f"{head}: there is no such file.", "Check the URL (copy it from the orchestrator)."
            )
        return NetworkError(f"{head}.", "Check the URL; try again later.")

    # -- checksum

    def published_checksum(self) -> tuple[str, str] | None:
        """(sha256, where) from ``URL.sha256`` or ``SHA256SUMS`` in the same folder, if published."""
        parts = urlsplit(self.url)
        base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        sidecar = base + ".sha256"
        text = self._fetch_small(sidecar)
        if text is not None:
            match = _HEX64.search(text)
            if match is None:
                raise BadInput(
                    f"{redact_url(sidecar)} exists but holds no SHA-256 checksum.",
                    "Pass the checksum yourself with --sha256 HEX.",
                )
            return match.group(1).lower(), f"sidecar {redact_url(sidecar)}"
        folder = base.rsplit("/", 1)[0]
        sums_url = f"{folder}/SHA256SUMS"
        text = self._fetch_small(sums_url)
        if text is not None:
            found = parse_sha256sums(text, self.name_on_server)
            if found:
                return found, f"SHA256SUMS {redact_url(sums_url)}"
            log.info("download: %s lists no %s", redact_url(sums_url), self.name_on_server)
        return None

    @property
    def name_on_server(self) -> str:
        return unquote(posixpath.basename(urlsplit(self.url).path))

    def _fetch_small(self, url: str) -> str | None:
        import requests  # loaded on first download: the app starts without it
        try:
            response = self._get(url)
        except _Retry as exc:
            log.info("download: checksum file %s not read: %s", redact_url(url), exc.message)
            return None
        with response:
            if response.status_code != 200:
                # 404 is the common "not published"; anything else is logged, and the missing
                # check shows up as "not verified", never as a pass
                log.info("download: no checksum file at %s (HTTP %s)", redact_url(url), response.status_code)
                return None
            if "html" in response.headers.get("Content-Type", "").lower():
                # a portal's login or error page answering 200: not a checksum file (its 64-hex
                # CSRF tokens would otherwise be taken for a checksum)
                log.info("download: %s is a web page, not a checksum file", redact_url(url))
                return None
            body = b""
            try:
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > SIDECAR_MAX_BYTES:
                        log.info("download: %s is too large for a checksum file", redact_url(url))
                        return None
            except requests.exceptions.RequestException as exc:
                log.info("download: checksum file %s not read: %s", redact_url(url), type(exc).__name__)
                return None
        return body.decode("utf-8", errors="replace")

    # -- partial file bookkeeping

    def _load_meta(self) -> dict[str, Any] | None:
        try:
            return storage.load_json_document(self.meta, PART_SCHEMA)
        except EcsFieldError as exc:  # corrupt: set aside by storage; restart the download
            log.warning("download: %s", exc.message)
            return None

    def _save_meta(self, validator: str | None, total: int | None) -> None:
        storage.atomic_write_json(
            self.meta, {"schema": PART_SCHEMA, "url": self.shown, "validator": validator, "total": total}
        )

    def _discard_part(self) -> None:
        for path in (self.part, self.meta):
            path.unlink(missing_ok=True)
        self._hasher, self._hashed = new_hasher(), 0

    def _part_size(self) -> int:
        try:
            return self.part.stat().st_size
        except FileNotFoundError:
            return 0

    def _ensure_hashed(self, have: int) -> None:
        """Bring the running hash up to the ``have`` bytes already in the part file."""
        if self._hasher is not None and self._hashed == have:
            return
        self._hasher = new_hasher()
        self._hashed = 0
        if have:
            note = f"re-reading {human_bytes(have)} already downloaded"
            self.progress(Progress("download", have, 0, message=note))
            sha256_file(self.part, hasher=self._hasher, limit=have, cancel=self.cancel, phase="download")
            self._hashed = have

    # -- one attempt

    def attempt(self) -> bool:
        """One request; True when the part file is complete. Raises _Retry for transient trouble."""
        have = self._part_size()
        meta = self._load_meta() if have else None
        headers: dict[str, str] = {}
        if have:
            validator = (meta or {}).get("validator")
            same_url = meta is not None and meta.get("url") == self.shown
            if same_url and (validator or self.expected is not None):
                headers["Range"] = f"bytes={have}-"
                if validator:
                    headers["If-Range"] = validator
            else:
                why = "it belongs to another URL" if meta and not same_url else "the server gave no validator"
                log.info("download: restarting %s from 0 (%s)", self.name, why)
                self._discard_part()
                have = 0
        if have:
            self._ensure_hashed(have)

        self.requests += 1
        response = self._get(self.url, headers)
        with response:
            status = response.status_code
            if status == 416 and have:
                remote = _total_from_content_range(response.headers.get("Content-Range", ""))
                if remote == have:
                    self.resumed = True
                    return True
                log.info("download: range not satisfiable (remote %s, part %s); restarting", remote, have)
                self._discard_part()
                raise _Retry("the partial file does not fit the remote file; restarting", delay=False)
            if status == 429 or status >= 500:
                raise _Retry(f"the server answered HTTP {status} {response.reason or ''}".rstrip())
            if status not in (200, 206):
                raise self._status_error(response, self.shown)

            append = False
            total: int | None
            if status == 206:
                start, total = _parse_content_range(response.headers.get("Content-Range", ""))
                if start != have:
                    log.info("download: server resumed at %s, not %s; restarting", start, have)
                    self._discard_part()
                    raise _Retry("the server resumed at the wrong offset; restarting", delay=False)
                append = True
                self.resumed = self.resumed or have > 0
            else:
                if have:
                    log.info("download: server sent the whole file (range ignored or remote changed)")
                have = 0
                self._hasher, self._hashed = new_hasher(), 0
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
            if total is not None:
                self._check_space(total - have, keep_part=append and have > 0)
            if not append:
                self._save_meta(_validator(response), total)
            return self._receive(response, append=append, have=have, total=total)

    def _check_space(self, remaining: int, *, keep_part: bool) -> None:
        try:
            free = shutil.disk_usage(self.dest_dir).free
        except OSError:
            return
        if not keep_part:
            free += self._part_size()  # a part we restart over is replaced
        if free < remaining:
            if not keep_part:
                self._discard_part()
            raise disk_full_error(self.dest_dir, remaining, self.part if keep_part else None, self.name)

    def _receive(self, response: requests.Response, *, append: bool, have: int, total: int | None) -> bool:
        import requests  # loaded on first download: the app starts without it
        done = have
        meter = ThrottledProgress(self.progress, "download", total or 0, f"downloading {self.name}")
        meter.update(done, force=True)
        broken: _Retry | None = None
        try:
            with self.part.open("ab" if append else "wb") as handle:
                sink = _WriteAndHash(handle, self._hasher)
                watcher = _AbortOnCancel(response, self.cancel)
                try:
                    for chunk in response.iter_content(NET_CHUNK):
                        self.cancel.check()
                        sink.put(chunk)
                        done += len(chunk)
                        self.bytes_received += len(chunk)
                        meter.update(done)
                except requests.exceptions.RequestException as exc:
                    if not self.cancel.cancelled:  # a cancel cuts the connection on purpose
                        broken = _Retry(
                            f"the connection broke after {human_bytes(done)}: "
                            f"{_reason(exc, self.url, self.token.value)}",
                            progressed=done > have,
                        )
                finally:
                    watcher.stop()
                    sink.close()  # every received byte is on disk and hashed (or its error raised)
                self._hashed = done
                self.cancel.check()
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            if self.cancel.cancelled and not is_disk_full(exc):
                raise self._cancelled() from None  # the cut connection surfaced as a socket error
            if is_disk_full(exc):
                remaining = (total - self._part_size()) if total else None
                raise disk_full_error(self.dest_dir, remaining, self.part, self.name) from None
            raise EcsFieldError(
                f"Writing {self.part} failed: {exc.strerror or exc}",
                "Check that the library folder is writable.",
                exit_code=5,
            ) from None
        except Cancelled:
            raise self._cancelled() from None
        if broken is not None:
            raise broken
        meter.update(done, force=True)
        if total is not None and done < total:
            raise _Retry(f"the connection closed after {done} of {total} bytes", progressed=done > have)
        return True

    def _cancelled(self) -> Cancelled:
        return Cancelled(
            f"Download cancelled; {self.part.name} ({human_bytes(self._part_size())}) was kept.",
            "Run the same command again to continue where it stopped.",
        )

    # -- the whole job

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Two downloads into one .part would interleave bytes; the second one is refused."""
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks here; rare enough to accept
            yield
            return
        lock_path = self.dest_dir / f".{self.name}.download.lock"
        with lock_path.open("a") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise BadInput(
                    f"{self.name} is already being downloaded into {self.dest_dir} by another ecs-field.",
                    "Wait for it to finish, or cancel it first.",
                ) from None
            try:
                yield
            finally:
                lock_path.unlink(missing_ok=True)
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def run(self) -> DownloadResult:
        self.dest_dir.mkdir(parents=True, exist_ok=True)
        with self._exclusive():
            return self._run()

    def _run(self) -> DownloadResult:
        if self.final.exists():
            raise BadInput(
                f"{self.final} already exists.",
                "Remove it first (ecs-field images remove NAME) or save under another --name.",
            )
        if self.expected is None and self.find_checksum:
            self.expected = self.published_checksum()
        started_with = self._part_size()

        failures = 0
        while True:
            self.cancel.check()
            try:
                if self.attempt():
                    break
            except _Retry as exc:
                failures = 0 if exc.progressed else failures + 1
                if failures > self.retries:
                    kept = self._part_size()
                    raise NetworkError(
                        f"{self.shown}: download failed: {exc.message} ({failures} tries).",
                        (f"{self.part.name} ({human_bytes(kept)}) was kept; run the same command again "
                         "to resume." if kept else "Try again later.")
                        + " Check the network if it keeps failing.",
                    ) from None
                # a break after progress reconnects at once; repeated failures back off briefly
                delay = 0.0
                if exc.delay and failures:
                    delay = self.retry_delays[min(failures, len(self.retry_delays)) - 1]
                log.info("download: %s; retrying in %.1f s", exc.message, delay)
                if delay and self.cancel.wait(delay):
                    raise Cancelled(
                        f"Download cancelled; {self.part.name} was kept.",
                        "Run the same command again to continue where it stopped.",
                    ) from None

        size = self._part_size()
        self._ensure_hashed(size)  # a 416-complete part from an earlier run is hashed here
        digest = str(self._hasher.hexdigest())
        self.progress(Progress("verify", size, size, message=f"checking SHA-256 of {self.name}"))
        if self.expected is not None:
            want, where = self.expected
            if digest != want:
                self._discard_part()
                raise VerifyMismatch(
                    f"{self.shown}: the SHA-256 of the download does not match {where}: expected {want}, "
                    f"got {digest}. The download was deleted; nothing was added.",
                    "If the checksum is right, the file on the server or the transfer is damaged: try "
                    "again. If you typed --sha256, check it against the orchestrator.",
                )
        os.replace(self.part, self.final)
        self.meta.unlink(missing_ok=True)
        verdict = (
            f"SHA-256 matches {self.expected[1]}" if self.expected else "not verified: no checksum published"
        )
        self.progress(Progress("verify", size, size, message=verdict))
        log.info("download: %s complete, %s, %s", self.shown, human_bytes(size), verdict)
        return DownloadResult(
            path=self.final,
            url=self.shown,
            size_bytes=size,
            sha256=digest,
            checksum_source=self.expected[1] if self.expected else None,
            resumed_from=started_with if self.resumed else 0,
            requests=self.requests,
            bytes_received=self.bytes_received,
        )


def _validator(response: requests.Response) -> str | None:
    etag = response.headers.get("ETag")
    if etag and not etag.startswith("W/"):  # If-Range needs a strong validator
        return etag
    return response.headers.get("Last-Modified")


def _parse_content_range(value: str) -> tuple[int, int | None]:
    match = re.match(r"bytes (\d+)-(\d+)/(\d+|\*)", value.strip())
    if match is None:
        return -1, None
    total = match.group(3)
    return int(match.group(1)), (int(total) if total != "*" else None)


def _total_from_content_range(value: str) -> int | None:
    match = re.match(r"bytes \*/(\d+)", value.strip())
    return int(match.group(1)) if match else None


def parse_sha256sums(text: str, name: str) -> str | None:
    """The checksum for ``name`` in a SHA256SUMS file (GNU ``hex  [*]name`` or BSD style)."""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        bsd = _BSD_LINE.match(line)
        if bsd:
            if bsd.group("name").removeprefix("./") == name:
                return bsd.group("hex").lower()
            continue
        fields = line.split(None, 1)
        if len(fields) == 2 and re.fullmatch(r"[0-9a-fA-F]{64}", fields[0]):
            listed = fields[1].strip().lstrip("*").removeprefix("./")
            if listed == name:
                return fields[0].lower()
    return None


def download(
    url: str,
    *,
    dest_dir: Path,
    sha256: str | None = None,
    token: str | None = None,
    token_origin: str | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    timeout: tuple[float, float] = (10, 60),
    ca_file: Path | None = None,
    file_name: str | None = None,
    retries: int = 3,
    retry_delays: Sequence[float] = RETRY_DELAYS_S,
    find_checksum: bool = True,
    session: requests.Session | None = None,
) -> DownloadResult:
    """Download ``url`` into ``dest_dir`` (resuming a ``.part``), check it, rename it into place.

    Raises NetworkError (3), BadInput (2), VerifyMismatch (6), DeviceError (5, disk full) or
    Cancelled (130). The result's ``checksum_source`` is None when no checksum was available.
    """
    expected = (normalize_sha256(sha256), "--sha256") if sha256 else None
    origin = token_origin or ("the given token" if token else "no token")
    job = _Downloader(
        url,
        dest_dir=dest_dir,
        file_name=file_name,
        expected=expected,
        token=_Token(token, origin),
        progress=progress,
        cancel=cancel or CancelToken(),
        timeout=timeout,
        ca_file=ca_file,
        retries=retries,
        retry_delays=retry_delays,
        find_checksum=find_checksum,
        session=session,
    )
    return job.run()


def download_image(
    url: str,
    *,
    sha256: str | None = None,
    token_env: str | None = None,
    ca_file: Path | None = None,
    name: str | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    library: ImageLibrary | None = None,
    timeout: tuple[float, float] = (10, 60),
    retries: int = 3,
    retry_delays: Sequence[float] = RETRY_DELAYS_S,
) -> tuple[ImageRecord, DownloadResult | None]:
    """Download into the image library and index it; the CLI's and GUI's entry point.

    Returns (record, result); result is None when the same image (same --sha256) was already
    in the library and nothing was downloaded.
    """
    lib = library or ImageLibrary()
    url = check_url(url)
    file_name = check_image_name(name) if name else name_from_url(url)
    expected = normalize_sha256(sha256) if sha256 else None
    existing = lib.find(file_name)
    if existing is not None:
        if expected and existing.sha256 == expected:
            return existing, None
        raise BadInput(
            f"An image named {file_name!r} is already in the library "
            f"(sha256 {(existing.sha256 or '?')[:16]}…).",
            f"Remove it first (ecs-field images remove {file_name}) or save under another --name.",
        )
    if (lib.root / file_name).exists():
        raise BadInput(
            f"{lib.root / file_name} already exists in the library folder but is not indexed.",
            f"Add it as it is: ecs-field images add {lib.root / file_name}",
        )
    token = resolve_token(url, token_env)
    result = download(
        url,
        dest_dir=lib.root,
        sha256=expected,
        token=token.value,
        token_origin=token.origin,
        progress=progress,
        cancel=cancel,
        timeout=timeout,
        ca_file=ca_file,
        file_name=file_name,
        retries=retries,
        retry_delays=retry_delays,
    )
    try:
        info = lib.inspect(result.path)
    except BadInput as exc:
        result.path.unlink(missing_ok=True)
        raise BadInput(
            f"{result.url}: the downloaded file is not a boot image ({exc.message}); it was deleted.",
            "Check the URL points at the ESXi/ECS ISO, not a web page or an archive.",
        ) from None
    record = lib.adopt(
        result.path,
        sha256=result.sha256,
        source=result.url,
        checksum_source=result.checksum_source,
        info=info,
    )
    return record, result
