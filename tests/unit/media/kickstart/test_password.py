"""Root passwords ESXi 8 refuses (default passwdqc policy) are refused here, with the reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecs_field.media.kickstart.password import (
    MAX_LENGTH,
    MIN_LENGTH,
    character_classes,
    check_root_password,
    longest_run,
)


# The examples VMware's vSphere 8.0 Security guide gives for the default policy.
@pytest.mark.parametrize("password", ["xQaTEhb!", "xQaT3#A"])
def test_documented_good_examples_pass(password: str) -> None:
    verdict = check_root_password(password)
    assert verdict.ok, verdict.problems


@pytest.mark.parametrize(
    ("password", "needle"),
    [
        ("Xqat3hi", "2 character classes"),  # upper-case first letter does not count
        ("xQaTEh2", "2 character classes"),  # digit at the end does not count
    ],
)
def test_documented_bad_examples_fail_for_the_documented_reason(password: str, needle: str) -> None:
    verdict = check_root_password(password)
    assert not verdict.ok
    assert any(needle in p for p in verdict.problems), verdict.problems


@pytest.mark.parametrize(
    ("password", "needle"),
    [
        ("", "empty"),
        ("aB3$xy", "6 characters long; ESXi needs at least 7"),
        ("aB3$" + "x" * 36, "40 characters long"),
        ("abcdefgh", "1 character class"),
        ("aaaaaaA1!", "only 4 different characters"),
        ("xQaT3#Aroot", "user name 'root'"),
        ("xQaT3#Ar00t", "user name 'root'"),  # l33t spelling, as passwdqc folds it
        ("xQaT3#At0or", "user name 'root'"),  # reversed
        ("Qwerty12!", "run 'Qwerty'"),
        ("Zasdfgh1!", "run 'asdfgh'"),
        ("1987Ab!", "run '1987'"),
        ("pässwörd-Ω1A", "printable ASCII"),
        ("tab\tAb1!xyz", "printable ASCII"),
    ],
)
def test_refusals_say_why(password: str, needle: str) -> None:
    verdict = check_root_password(password)
    assert not verdict.ok
    assert any(needle in p for p in verdict.reasons()), verdict.reasons()


def test_lengths_at_the_edges() -> None:
    base = "aB3$efghijklmnopqrstuvwxyzACDEFGHIJKLMN"
    assert len(base[:MIN_LENGTH]) == 7 and check_root_password(base[:MIN_LENGTH]).ok
    assert check_root_password(base[:MAX_LENGTH]).ok
    assert not check_root_password(base[: MIN_LENGTH - 1]).ok
    assert not check_root_password(base[:MAX_LENGTH] + "O").ok


def test_published_sample_passwords_are_refused_although_esxi_takes_them() -> None:
    for password in ("VMware1!", "myp@ssw0rd"):
        verdict = check_root_password(password)
        assert verdict.problems == () and verdict.guessable and not verdict.ok


def test_a_short_run_in_a_long_password_is_fine() -> None:
    assert longest_run("1234Abc!xy") == "1234"
    assert check_root_password("1234Abc!xy").ok  # 10 - (4 - 3) = 9 characters left >= 7
    assert longest_run("xQaT3#A") == ""


def test_character_classes() -> None:
    assert character_classes("abc") == 1
    assert character_classes("Abc") == 1
    assert character_classes("aBc") == 2
    assert character_classes("abc1") == 1
    assert character_classes("ab1c") == 2
    assert character_classes("a B") == 3  # the space is an "other" character


@given(st.text(max_size=200))
def test_any_text_gives_a_verdict(password: str) -> None:
    verdict = check_root_password(password)
    if verdict.ok:
        assert MIN_LENGTH <= len(password) <= MAX_LENGTH
        assert character_classes(password) >= 3 and len(set(password)) >= 5
        assert "root" not in password.lower()
