"""SHA-512 crypt (``$6$``) password hashes, as ESXi's ``rootpw --iscrypted`` and /etc/shadow use.

Why this is implemented here instead of imported:
- Python's ``crypt`` module is deprecated (PEP 594) and gone in Python 3.13, and it only wraps
  the C library's crypt(3): there is none on Windows, and macOS's does not know ``$6$``. The
  technician's laptop may run any of the three.
- The packages that would do it are either unmaintained (passlib, last release 2020), a wrapper
  of the same C library (crypt-r, legacycrypt), or a whole password framework (libpass) for one
  function; each would be a new dependency of the wheel and the PyInstaller bundle.
- The algorithm is small and fully specified, with test vectors: Ulrich Drepper, "Unix crypt
  using SHA-256 and SHA-512" (https://www.akkadia.org/drepper/SHA-crypt.txt), the scheme glibc
  and libxcrypt implement. tests/unit/media/kickstart/test_cryptpw.py checks every SHA-512
  vector of the spec and compares with ``openssl passwd -6`` on random passwords.

Only hashlib (SHA-512) and secrets (the salt) are used.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

PREFIX = "$6$"
ROUNDS_DEFAULT = 5000  # the spec's default; written without "rounds=" like crypt(3) does
ROUNDS_MIN = 1000
ROUNDS_MAX = 999_999_999
SALT_MAX = 16
# crypt(3)'s base-64 alphabet (not RFC 4648's: "./" first, then digits, upper, lower case)
ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# The spec writes the 64 digest bytes in 21 groups of three, each group taking its bytes from
# positions 21 apart (byte i, i+21, i+42, rotated by one each group), then the last byte alone.
_GROUPS: tuple[tuple[int, int, int], ...] = tuple(
    (
        (k * 22) % 63,
        (k * 22 + 21) % 63,
        (k * 22 + 42) % 63,
    )
    for k in range(21)
)

# "$6$" [ "rounds=" N "$" ] salt "$" 86 characters
HASH_PATTERN = re.compile(
    r"^\$6\$(?:rounds=(?P<rounds>[0-9]{1,9})\$)?(?P<salt>[^$:\s]{0,16})\$(?P<digest>[./0-9A-Za-z]{86})\Z"
)


def _b64_group(b2: int, b1: int, b0: int, count: int) -> str:
    value = (b2 << 16) | (b1 << 8) | b0
    out = []
    for _ in range(count):
        out.append(ALPHABET[value & 0x3F])
        value >>= 6
    return "".join(out)


def _repeat_to(block: bytes, length: int) -> bytes:
    """``block`` repeated and cut to ``length`` bytes (the spec's "P" and "S" byte sequences)."""
    whole, rest = divmod(length, len(block))
    return block * whole + block[:rest]


def _digest(password: bytes, salt: bytes, rounds: int) -> bytes:
    # Steps 1-8 of the spec: digest B of password+salt+password.
    alternate = hashlib.sha512(password + salt + password).digest()
    # Steps 9-12: digest A of password, salt, B stretched to the password's length, and one of
    # B or the password per bit of the password's length (lowest bit first).
    ctx = hashlib.sha512(password + salt)
    ctx.update(_repeat_to(alternate, len(password)))
    length = len(password)
    while length:
        ctx.update(alternate if length & 1 else password)
        length >>= 1
    current = ctx.digest()
    # Steps 13-20: the "P" and "S" sequences.
    p_bytes = _repeat_to(hashlib.sha512(password * len(password)).digest(), len(password))
    s_bytes = _repeat_to(hashlib.sha512(salt * (16 + current[0])).digest(), len(salt))
    # Step 21: the rounds that make brute force slow.
    for i in range(rounds):
        ctx = hashlib.sha512(p_bytes if i & 1 else current)
        if i % 3:
            ctx.update(s_bytes)
        if i % 7:
            ctx.update(p_bytes)
        ctx.update(current if i & 1 else p_bytes)
        current = ctx.digest()
    return current


def _encode(digest: bytes) -> str:
    text = "".join(_b64_group(digest[a], digest[b], digest[c], 4) for a, b, c in _GROUPS)
    return text + _b64_group(0, 0, digest[63], 2)


def sha512_crypt(password: str | bytes, salt: str | None = None, rounds: int | None = None) -> str:
    """The ``$6$`` hash of ``password``.

    ``salt``: up to 16 characters (longer is cut, as the spec says); None draws 16 random ones.
    ``rounds``: None means the default 5000 without a ``rounds=`` field; a number is clamped to
    1000..999999999 and written into the hash.
    """
    secret = password.encode("utf-8") if isinstance(password, str) else bytes(password)
    if salt is None:
        salt = new_salt()
    if "$" in salt or any(ch in salt for ch in ":\n\r\t "):
        raise ValueError("a crypt salt cannot hold '$', ':' or white space")
    salt_bytes = salt.encode("utf-8")[:SALT_MAX]
    salt_text = salt_bytes.decode("utf-8", errors="ignore")
    salt_bytes = salt_text.encode("utf-8")
    count = ROUNDS_DEFAULT if rounds is None else min(max(rounds, ROUNDS_MIN), ROUNDS_MAX)
    digest = _digest(secret, salt_bytes, count)
    field = "" if rounds is None else f"rounds={count}$"
    return f"{PREFIX}{field}{salt_text}${_encode(digest)}"


def crypt_with_setting(password: str | bytes, setting: str) -> str:
    """Hash ``password`` with the salt and rounds of ``setting`` ("$6$[rounds=N$]salt[$...]").

    This is how crypt(3) is called, and how the spec's test vectors are written.
    """
    if not setting.startswith(PREFIX):
        raise ValueError("not a SHA-512 crypt setting (it must start with $6$)")
    rest = setting[len(PREFIX) :]
    rounds: int | None = None
    if rest.startswith("rounds="):
        number, sep, rest = rest[len("rounds=") :].partition("$")
        if not sep or not number.isdigit():
            raise ValueError("rounds= must be followed by a number and '$'")
        rounds = int(number)
    salt = rest.split("$", 1)[0][:SALT_MAX]
    return sha512_crypt(password, salt, rounds)


def new_salt() -> str:
    """16 characters from the crypt alphabet, from the operating system's CSPRNG."""
    return "".join(secrets.choice(ALPHABET) for _ in range(SALT_MAX))


def is_sha512_crypt(text: str) -> bool:
    """True when ``text`` has the shape of a ``$6$`` hash (salt and 86-character digest)."""
    return HASH_PATTERN.match(text) is not None


def verify(password: str | bytes, hashed: str) -> bool:
    """Whether ``password`` gives ``hashed`` (constant-time comparison)."""
    if not is_sha512_crypt(hashed):
        return False
    return hmac.compare_digest(crypt_with_setting(password, hashed), hashed)
