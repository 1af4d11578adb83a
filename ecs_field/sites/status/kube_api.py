"""A small read-only client for a host's Kubernetes-style API (the ECS host's kube API).

Only GETs: lists (with ``limit``/``continue`` pagination) and discovery documents. Every
failure becomes a NetworkError subclass whose message names the URL and what happened, never
the token. requests is used (not the kubernetes client library) because we need five GETs,
TLS with a custom CA and a bearer token, and the project already depends on it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from ecs_field.errors import BadInput, NetworkError
from ecs_field.events import CancelToken

log = logging.getLogger(__name__)

KEYRING_SERVICE = "ecs-field"
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 20.0)
PAGE_SIZE = 500
# Safety stop: a list that keeps returning a continue token forever is a broken server.
MAX_PAGES = 1000


class ApiError(NetworkError):
    """The host API could not be read."""


class ApiAuthError(ApiError):
    """401/403: the token is missing, wrong or lacks permission."""


class ApiNotFound(ApiError):
    """404: the API group/version or resource is not served by this host."""


class ApiServerError(ApiError):
    """5xx after the retries."""


class ApiTimeout(ApiError):
    """No answer within the connect or read timeout."""


class ApiTlsError(ApiError):
    """The server's certificate could not be verified."""


class ApiBadResponse(ApiError):
    """The answer was not the JSON document the Kubernetes API returns."""


@dataclass(frozen=True)
class ApiResource:
    """One entry of a discovery document (GET /apis/GROUP/VERSION)."""

    name: str  # plural, e.g. "hostconfigurations"
    kind: str
    namespaced: bool
    verbs: tuple[str, ...]


def normalize_api_url(url: str) -> str:
    """Accept "host:6443", "https://host:6443/" and the like; the API must be http(s)."""
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadInput(
            f"{url!r} is not an API address",
            "Give the host API as https://HOST:PORT (for example https://10.0.0.20:6443).",
        )
    return url.rstrip("/")


def resolve_token(
    *,
    token_env: str | None = None,
    token_ref: str | None = None,
    keyring_user: str | None = None,
) -> str | None:
    """The bearer token, from the first source named: ``token_env``, then ``token_ref``.

    ``token_ref`` is the registry's form: "env:VAR", "keyring:SERVICE", or a bare keyring user
    name in our own service "ecs-field". Keyring entries are looked up with ``keyring_user``
    (the API address) as the user name. A named but empty environment variable is an error
    (the user asked for it); a keyring that is missing or locked means "no token" (the host
    may allow anonymous reads, and the 401 that follows says what to do).
    """
    if token_env:
        return _from_env(token_env)
    if not token_ref:
        return None
    if token_ref.startswith("env:"):
        return _from_env(token_ref[4:])
    if token_ref.startswith("keyring:"):
        return _from_keyring(token_ref[8:] or KEYRING_SERVICE, keyring_user or "")
    return _from_keyring(KEYRING_SERVICE, keyring_user or token_ref)


def _from_env(name: str) -> str:
    from ecs_field.tokens import from_env

    return from_env(
        name,
        hint=f"Export the host API token first, e.g. `export {name}=...`, or store it in the "
        f"keyring (service {KEYRING_SERVICE!r}).",
    )


def _from_keyring(service: str, user: str) -> str | None:
    from ecs_field.tokens import from_keyring

    return from_keyring(service, user)


class KubeClient:
    """GETs against one API server with TLS verification, a bearer token and brief retries."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = 2,
        retry_delay_s: float = 0.5,
        cancel: CancelToken | None = None,
        allow_http: bool = False,
    ) -> None:
        from ecs_field.sites.status.tls import check_ca_file, check_token_transport

        self.base_url = normalize_api_url(base_url)
        check_token_transport(self.base_url, has_token=bool(token), allow_http=allow_http)
        self._ca_given = ca_file is not None
        self._token = token
        self.timeout = timeout
        self.retries = retries
        self.retry_delay_s = retry_delay_s
        self.cancel = cancel or CancelToken()
        self.session = requests.Session()
        # Proxies from the environment would send a site-LAN request to an office proxy.
        self.session.trust_env = False
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = "ecs-field"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        if ca_file is not None:
            ca = os.fspath(ca_file)
            if not os.path.exists(ca):
                raise BadInput(f"{ca}: CA file not found", "Give the PEM file of the host's CA with --ca.")
            check_ca_file(Path(ca))
            self.session.verify = ca
        else:
            self.session.verify = True

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- low level ---------------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        if self._token:
            text = text.replace(self._token, "***")
        return text

    def get_json(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        url = self.base_url + path
        attempt = 0
        while True:
            self.cancel.check()
            attempt += 1
            try:
                response = self.session.get(url, params=params, timeout=self.timeout)
            except requests.exceptions.SSLError as exc:
                from ecs_field.sites.status.tls import describe_tls_failure

                message, hint = describe_tls_failure(url, self._scrub(str(exc)), ca_given=self._ca_given)
                raise ApiTlsError(message, hint) from _plain(exc)
            except requests.exceptions.Timeout as exc:
                what = "connect" if isinstance(exc, requests.exceptions.ConnectTimeout) else "read"
                limit = self.timeout[0] if what == "connect" else self.timeout[1]
                raise ApiTimeout(
                    f"{url}: no answer within the {what} timeout ({limit:g} s)",
                    "Check that the laptop is on the site LAN and the host is up; then fetch again.",
                ) from _plain(exc)
            except requests.exceptions.ConnectionError as exc:
                if attempt <= self.retries and not self.cancel.wait(self.retry_delay_s * attempt):
                    log.info("connection to %s failed, retrying (%d)", url, attempt)
                    continue
                self.cancel.check()
                raise ApiError(
                    f"{url}: could not connect ({_reason(exc)})",
                    "Check the address, that the laptop is on the site LAN and that the host is up.",
                ) from _plain(exc)
            except requests.exceptions.RequestException as exc:
                raise ApiError(
                    f"{url}: request failed ({type(exc).__name__})", "Check the API address."
                ) from _plain(exc)
            status = response.status_code
            if status >= 500 and attempt <= self.retries:
                log.info("%s answered %d, retrying (%d)", url, status, attempt)
                response.close()
                if self.cancel.wait(self.retry_delay_s * attempt):
                    self.cancel.check()
                continue
            return self._decode(url, response)

    def _decode(self, url: str, response: requests.Response) -> dict[str, Any]:
        status = response.status_code
        if status in (401, 403):
            raise ApiAuthError(
                f"{url}: {status} {'unauthorized' if status == 401 else 'forbidden'}",
                "The token is missing, expired or lacks read access. Store a valid token in the keyring "
                f"(service {KEYRING_SERVICE!r}) or pass --token-env VAR.",
            )
        if status == 404:
            raise ApiNotFound(f"{url}: 404 not found", "This host does not serve that API.")
        if status >= 500:
            raise ApiServerError(
                f"{url}: the server answered {status} {response.reason or ''}".rstrip(),
                "The host API is failing; wait a minute and fetch again. The last snapshot is kept.",
            )
        if status >= 400:
            raise ApiError(
                f"{url}: the server answered {status} {response.reason or ''}".rstrip(),
                "Check the API address and version.",
            )
        try:
            document = json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiBadResponse(
                f"{url}: the answer is not valid JSON ({_first_line(str(exc))})",
                "Is this the host's Kubernetes API? Check the address and port.",
            ) from None
        if not isinstance(document, dict):
            raise ApiBadResponse(
                f"{url}: the answer is not a JSON object",
                "Is this the host's Kubernetes API? Check the address and port.",
            )
        return document

    # -- Kubernetes shapes -------------------------------------------------------------------
    def iter_list(self, path: str, *, page_size: int = PAGE_SIZE) -> Iterator[tuple[dict[str, Any], str]]:
        """Yield (item, apiVersion) from every page of a list; items get apiVersion/kind filled in.

        List items from the API server carry no apiVersion/kind of their own; the list's kind
        without "List" is theirs.
        """
        token = ""
        for _ in range(MAX_PAGES):
            params = {"limit": str(page_size)}
            if token:
                params["continue"] = token
            page = self.get_json(path, params)
            items = page.get("items")
            if not isinstance(items, list):
                raise ApiBadResponse(
                    f"{self.base_url}{path}: the answer has no 'items' list",
                    "Is this the host's Kubernetes API? Check the address and port.",
                )
            api_version = str(page.get("apiVersion") or "")
            list_kind = str(page.get("kind") or "")
            item_kind = list_kind[:-4] if list_kind.endswith("List") else ""
            for item in items:
                if not isinstance(item, dict):
                    continue
                item.setdefault("apiVersion", api_version)
                if item_kind:
                    item.setdefault("kind", item_kind)
                yield item, api_version
            metadata = page.get("metadata") or {}
            token = str(metadata.get("continue") or "") if isinstance(metadata, dict) else ""
            if not token:
                return
            self.cancel.check()
        raise ApiBadResponse(
            f"{self.base_url}{path}: the list never ended ({MAX_PAGES} pages)",
            "The host API is misbehaving; try again later.",
        )

    def list_all(self, path: str, *, page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
        return [item for item, _ in self.iter_list(path, page_size=page_size)]

    def discover(self, group_version: str) -> list[ApiResource]:
        """Resources of ``group/version`` that can be listed (subresources left out)."""
        document = self.get_json(f"/apis/{group_version}")
        found: list[ApiResource] = []
        for entry in document.get("resources") or []:
            if not isinstance(entry, dict):
                continue
            name = str(entry.get("name") or "")
            verbs = tuple(str(v) for v in entry.get("verbs") or [])
            if not name or "/" in name or (verbs and "list" not in verbs):
                continue
            found.append(
                ApiResource(name, str(entry.get("kind") or ""), bool(entry.get("namespaced")), verbs)
            )
        return found


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in (
        "Connection refused",
        "Name or service not known",
        "No route to host",
        "Network is unreachable",
        "timed out",
        "Temporary failure in name resolution",
    ):
        if marker in text:
            return marker.lower()
    return type(exc).__name__


def _first_line(text: str) -> str:
    return text.splitlines()[0] if text else text


def _plain(exc: Exception) -> Exception:
    # Keep the chain for the log without the request object (whose headers hold the token).
    return RuntimeError(f"{type(exc).__name__}")
