"""Root passwords ESXi 8 would refuse, refused here first, with the reason.

ESXi checks passwords with pam_passwdqc, default setting ``Security.PasswordQualityControl =
retry=3 min=disabled,disabled,disabled,7,7`` (vSphere 8.0 Security, "ESXi Passwords and Account
Lockout"; notes and links in /work/notes/kickstart-reference.md). What that means, and what this
module checks:

- at least 7 characters, and fewer than 40 (the documented range);
- at least three of four character classes: lower case, upper case, digits, other characters.
  An upper-case letter at the start and a digit at the end do not count (passwdqc's rule,
  documented with the examples "Xqat3hi" and "xQaT3#2" refused);
- enough different characters: passwdqc asks for 5 distinct characters at this length;
- not the user name ("root", also reversed and in l33t spelling, as passwdqc compares);
- not built on a keyboard or alphabet run ("qwerty", "1234", "abcd") or a year (1900-2039):
  passwdqc discounts such a run, and a password that is then too short is refused.

Not checked, and said so: ESXi's passwdqc also discounts words from its built-in dictionary, so
a password built around a common word can still be refused by the host. Passwords here are
printable ASCII only: the host console (DCUI) and a remote KVM type them reliably, and
passwdqc's class counting is defined for ASCII.

With ``rootpw --iscrypted`` the installer cannot check the password (it only sees the hash), so
this is the only place a weak one is caught before the host is installed with it.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_LENGTH = 7
MAX_LENGTH = 39  # "less than 40"
MIN_CLASSES = 3
MIN_DISTINCT = 5  # passwdqc: expected_different(62 or 95, 7) - 1 for the 7-character minimum
MATCH_LENGTH = 4  # passwdqc's default "match=4": shorter common runs are ignored
USER_NAME = "root"
# Passwords printed in VMware's own samples: the default ks.cfg ("myp@ssw0rd", vSphere 8.0
# Installation, "About the Default ks.cfg Installation Script") and the lab/sample "VMware1!".
# ESXi accepts them; a host on a site network must not have them.
PUBLISHED_DEFAULTS = frozenset({"myp@ssw0rd", "vmware1!"})

# Runs a person types without thinking: digits, the shifted digit row, the alphabet, the rows
# and the columns of a US keyboard. Matching is case-insensitive and in both directions.
_RUNS = (
    "01234567890",
    "`1234567890-=",
    "~!@#$%^&*()_+",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "qwertyuiop{}|",
    'asdfghjkl:"',
    "zxcvbnm<>?",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/-['=]",
    "qazwsxedcrfvtgbyhnujmikolp",
)
_YEARS = tuple(str(year) for year in range(1900, 2040))

# passwdqc compares "unified" text: lower case with common letter-for-digit swaps folded.
_UNIFY = str.maketrans(
    {
        "a": "4",
        "@": "4",
        "e": "3",
        "i": "!",
        "|": "!",
        "l": "1",
        "o": "0",
        "s": "5",
        "$": "5",
        "t": "7",
        "+": "7",
    }
)

_UNIFIED_RUNS: tuple[str, ...] = ()  # filled below, once _unify exists

RULES_SUMMARY = (
    "ESXi 8 accepts root passwords of 7 to 39 characters that mix at least three of: lower-case "
    "letters, upper-case letters, digits, other characters (an upper-case first letter and a digit "
    "at the end do not count), with at least 5 different characters, without 'root' and without "
    "keyboard runs like 'qwerty' or '1234'."
)
NOT_CHECKED = (
    "Not checked here: ESXi also discounts common dictionary words, so a password built around "
    "one can still be refused when it is changed on the host."
)


@dataclass(frozen=True)
class PasswordVerdict:
    problems: tuple[str, ...]  # why ESXi 8 (default policy) would refuse it
    guessable: tuple[str, ...] = ()  # why it must not be used although ESXi takes it

    @property
    def ok(self) -> bool:
        return not self.problems and not self.guessable

    def reasons(self) -> tuple[str, ...]:
        return self.problems + self.guessable


def _unify(text: str) -> str:
    return text.lower().translate(_UNIFY)


_UNIFIED_RUNS = tuple(_unify(run) for run in _RUNS) + _YEARS


def character_classes(password: str) -> int:
    """Classes as passwdqc counts them: an upper-case first letter and a last digit are free."""
    uppers = sum(ch.isascii() and ch.isupper() for ch in password)
    digits = sum(ch.isascii() and ch.isdigit() for ch in password)
    lowers = sum(ch.isascii() and ch.islower() for ch in password)
    others = len(password) - uppers - digits - lowers
    if password and uppers and password[0].isascii() and password[0].isupper():
        uppers -= 1
    if password and digits and password[-1].isascii() and password[-1].isdigit():
        digits -= 1
    return sum(1 for count in (uppers, digits, lowers, others) if count)


def longest_run(password: str) -> str:
    """The longest piece (4+ characters) of ``password`` that is a keyboard/alphabet run or a year."""
    text = password[: MAX_LENGTH * 2]  # longer ones are refused for their length anyway
    unified = _unify(text)
    size = len(unified)
    best = (0, 0)
    for reverse in (False, True):
        probe = unified[::-1] if reverse else unified
        for start in range(size):
            end = start + max(MATCH_LENGTH, best[1] - best[0] + 1)
            # every prefix of a run is a run, so the piece can grow one character at a time
            while end <= size and any(probe[start:end] in run for run in _UNIFIED_RUNS):
                best = (size - end, size - start) if reverse else (start, end)
                end += 1
    return text[best[0] : best[1]]


def check_root_password(password: str) -> PasswordVerdict:
    """Every reason ESXi 8 (default policy) would refuse ``password``; none when it is fine."""
    problems: list[str] = []
    if not password:
        return PasswordVerdict(("the password is empty",))
    if not all(ch.isascii() and ch.isprintable() for ch in password):
        problems.append(
            "it holds characters other than printable ASCII (letters, digits, punctuation, space); "
            "the host console cannot always type them"
        )
    length = len(password)
    if length < MIN_LENGTH:
        problems.append(f"it is {length} characters long; ESXi needs at least {MIN_LENGTH}")
    elif length > MAX_LENGTH:
        problems.append(f"it is {length} characters long; ESXi takes fewer than {MAX_LENGTH + 1}")
    classes = character_classes(password)
    if classes < MIN_CLASSES:
        problems.append(
            f"it mixes {classes} character class{'es' if classes != 1 else ''}; ESXi needs "
            f"{MIN_CLASSES} of: lower case, upper case, digits, other characters (an upper-case first "
            "letter and a digit at the end do not count)"
        )
    distinct = len(set(password))
    if distinct < MIN_DISTINCT:
        problems.append(f"it has only {distinct} different characters; ESXi needs at least {MIN_DISTINCT}")
    unified = _unify(password)
    name = _unify(USER_NAME)
    if name in unified or name in unified[::-1]:
        problems.append(f"it contains the user name '{USER_NAME}' (ESXi refuses that)")
    run = longest_run(password)
    if run and length - (len(run) - (MATCH_LENGTH - 1)) < MIN_LENGTH and length >= MIN_LENGTH:
        problems.append(
            f"it is built on the run '{run}' (keyboard, alphabet or year); ESXi discounts such runs "
            f"and what is left is shorter than {MIN_LENGTH} characters"
        )
    guessable = []
    if password.lower() in PUBLISHED_DEFAULTS:
        guessable.append("it is printed in VMware's sample kickstarts, so anyone can guess it")
    return PasswordVerdict(tuple(problems), tuple(guessable))
