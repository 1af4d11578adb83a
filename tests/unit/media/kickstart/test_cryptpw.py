"""SHA-512 crypt: the spec's test vectors, a hash made by someone else, and openssl on random input."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecs_field.media.kickstart import cryptpw

# Every SHA-512 vector of Ulrich Drepper's "Unix crypt using SHA-256 and SHA-512"
# (https://www.akkadia.org/drepper/SHA-crypt.txt): (setting, password, expected).
SPEC_VECTORS = [
    (
        "$6$saltstring",
        "Hello world!",
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    ),
    (
        "$6$rounds=10000$saltstringsaltstring",
        "Hello world!",
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/"
        "YTBmSK6H9qs/y3RnOaw5v.",
    ),
    (
        "$6$rounds=5000$toolongsaltstring",
        "This is just a test",
        "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/"
        "e1JSbq3y6JMxxl8audkUEm0",
    ),
    (
        "$6$rounds=1400$anotherlongsaltstring",
        "a very much longer text to encrypt.  This one even stretches over morethan one line.",
        "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7U"
        "mJEiDwGqd8p4ur1",
    ),
    (
        "$6$rounds=77777$short",
        "we have a short salt string but not a short password",
        "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5Cx"
        "tgfiAc0",
    ),
    (
        "$6$rounds=123456$asaltof16chars..",
        "a short string",
        "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMN"
        "rCzIMVcgEJAstJeonj1",
    ),
    (
        "$6$rounds=10$roundstoolow",
        "the minimum number is still observed",
        "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dq"
        "bpBYYBaHHrsX.",
    ),
]


@pytest.mark.parametrize(("setting", "password", "expected"), SPEC_VECTORS)
def test_spec_vectors(setting: str, password: str, expected: str) -> None:
    assert cryptpw.crypt_with_setting(password, setting) == expected
    assert cryptpw.is_sha512_crypt(expected)
    assert cryptpw.verify(password, expected)
    assert not cryptpw.verify(password + "x", expected)


def test_a_hash_made_by_someone_else() -> None:
    # foresterorg/forester seed.sh publishes this hash as the root password "root" (see SOURCES.md)
    published = (
        "$6$.VxgzAA.37fSpLhE$KN4Cr92uYFYdndautiEd6jjd3p.C.0lzevLx5lGSPj5s.UHGocp57RG5bF2/"
        "HgFKmCW.fQd1gF0qn8et6i6WY/"
    )
    assert cryptpw.verify("root", published)
    assert not cryptpw.verify("Root", published)


def test_new_hashes_use_a_fresh_16_character_salt_and_default_rounds() -> None:
    first = cryptpw.sha512_crypt("xQaT3#A-pw")
    second = cryptpw.sha512_crypt("xQaT3#A-pw")
    assert first != second  # a new salt each time
    for hashed in (first, second):
        match = cryptpw.HASH_PATTERN.match(hashed)
        assert match and len(match["salt"]) == 16 and match["rounds"] is None
        assert set(match["salt"]) <= set(cryptpw.ALPHABET)
        assert cryptpw.verify("xQaT3#A-pw", hashed)


def test_salt_rules() -> None:
    assert cryptpw.sha512_crypt("pw", "a" * 20).startswith("$6$" + "a" * 16 + "$")  # cut to 16
    for bad in ("ab$cd", "a b", "a:b", "a\nb"):
        with pytest.raises(ValueError):
            cryptpw.sha512_crypt("pw", bad)
    with pytest.raises(ValueError):
        cryptpw.crypt_with_setting("pw", "$5$salt")
    with pytest.raises(ValueError):
        cryptpw.crypt_with_setting("pw", "$6$rounds=x$salt")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "$6$",
        "$6$salt$short",
        "$1$salt$" + "a" * 22,
        "$6$s$" + "!" * 86,
        "myp@ssw0rd",
        "$6$salt$" + "a" * 86 + "\n",
    ],
)
def test_is_sha512_crypt_refuses_other_text(text: str) -> None:
    assert not cryptpw.is_sha512_crypt(text)
    assert not cryptpw.verify("anything", text)


needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")


def _openssl(password: bytes, salt: str) -> str:
    out = subprocess.run(
        ["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
        input=password + b"\n",
        capture_output=True,
        check=True,
    )
    return out.stdout.decode().strip()


@needs_openssl
@settings(max_examples=40, deadline=None)
@given(
    password=st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=60),
    salt=st.text(st.sampled_from(cryptpw.ALPHABET), min_size=1, max_size=16),
)
def test_equal_to_openssl_passwd_6(password: str, salt: str) -> None:
    assert cryptpw.sha512_crypt(password, salt) == _openssl(password.encode(), salt)


@needs_openssl
def test_equal_to_openssl_for_utf8_and_long_passwords() -> None:
    for password in ("pässwörd-Ω1", "x" * 64, "y" * 65, "z" * 200):
        assert cryptpw.sha512_crypt(password, "saltsaltsaltsalt") == _openssl(
            password.encode(), "saltsaltsaltsalt"
        )
