"""Transport rules for the hosts' API: where a token may go, which CA file is usable, and what a
failed certificate check means.

* A bearer token is a password for the host. It is never sent over plain ``http://`` except to
  this machine (loopback: 127.0.0.0/8, ::1, localhost), where nobody on the wire can read it.
  ``--allow-http`` overrides that for a lab; the refusal says so.
* ``--ca FILE`` must be PEM certificates: anything else is exit 2 before a connection is made
  (requests would otherwise fail later with an OpenSSL error that names no file).
* A certificate the CA does not vouch for and a certificate for another host name are different
  problems with different fixes, so they get different messages.
"""

from __future__ import annotations

import ipaddress
import re
import ssl
from pathlib import Path
from urllib.parse import urlsplit

from ecs_field.errors import BadInput

_PEM_CERT = re.compile(rb"-----BEGIN (?:TRUSTED )?CERTIFICATE-----")
MAX_CA_BYTES = 4 * 1024 * 1024


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_token_transport(url: str, *, has_token: bool, allow_http: bool = False) -> None:
    """Refuse (exit 2) to send a token over plain http:// to anything but loopback."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not has_token or allow_http:
        return
    if is_loopback(parts.hostname or ""):
        return
    raise BadInput(
        f"{url}: refusing to send the API token over plain http:// (anyone on the network could "
        "read it and act as you on the host)",
        "Use the host's https:// address (add --ca FILE for its CA), or, on a lab network you trust, "
        "pass --allow-http.",
    )


def check_ca_file(path: Path, *, option: str = "--ca") -> None:
    """Exit 2 naming the file when it is not a readable PEM file of CA certificates."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CA_BYTES + 1)
    except IsADirectoryError:
        raise BadInput(f"{option} {path}: is a folder", "Give the CA certificate file (PEM).") from None
    except OSError as exc:
        raise BadInput(f"{option} {path}: cannot read ({exc.strerror})", "Check the path.") from None
    if len(data) > MAX_CA_BYTES or not _PEM_CERT.search(data):
        looks_der = data[:1] == b"\x30"
        raise BadInput(
            f"{option} {path}: not a PEM certificate file"
            + (" (it looks like DER, binary)" if looks_der else ""),
            "Give the CA certificate in PEM form (text starting with -----BEGIN CERTIFICATE-----); "
            + (
                "convert with `openssl x509 -inform der -in FILE -out ca.pem`."
                if looks_der
                else "the host's CA is usually /etc/kubernetes/pki/ca.crt on the host."
            ),
        )
    context = ssl.create_default_context()
    try:
        context.load_verify_locations(cadata=data.decode("ascii", "replace"))
    except (ssl.SSLError, ValueError) as exc:
        raise BadInput(
            f"{option} {path}: the PEM certificate cannot be loaded ({getattr(exc, 'reason', None) or exc})",
            "The file may be cut short or not a certificate; copy it from the host again.",
        ) from None


def describe_tls_failure(url: str, error_text: str, *, ca_given: bool) -> tuple[str, str]:
    """(message, hint) for a failed TLS handshake, telling an unknown CA from a name mismatch."""
    text = error_text.lower()
    host = urlsplit(url).hostname or url
    if "mismatch" in text or "doesn't match" in text or "not valid for" in text:
        return (
            f"{url}: the host's certificate could not be verified: it is not issued for {host!r} "
            "(host name mismatch)",
            "Connect with the name or address the certificate was made for (see its subjectAltName: "
            f"`openssl s_client -connect {host}:PORT`), or have the host's certificate reissued. "
            "A different --ca does not fix this.",
        )
    if "expired" in text or "not yet valid" in text:
        return (
            f"{url}: the host's certificate could not be verified: it has expired or is not valid yet",
            "Check the laptop's clock and date; if they are right, the host's certificate must be renewed.",
        )
    if (
        "unable to get local issuer" in text
        or "self-signed" in text
        or "self signed" in text
        or "unknown ca" in text
        or "unable to get issuer" in text
    ):
        if ca_given:
            return (
                f"{url}: the host's certificate could not be verified: it is not signed by the CA given "
                "with --ca (unknown CA)",
                "Use the CA that signed the host's API certificate "
                "(on the host: /etc/kubernetes/pki/ca.crt).",
            )
        return (
            f"{url}: the host's certificate could not be verified: it is signed by a CA this "
            "laptop does not know (unknown CA)",
            "Give the host's CA certificate with --ca FILE (PEM), or store it with the site "
            "(`ecs-field sites edit NAME --ca FILE`). Verification stays on.",
        )
    return (
        f"{url}: the server's TLS certificate could not be verified",
        "Give the host's CA certificate with --ca FILE (PEM). Verification stays on.",
    )
