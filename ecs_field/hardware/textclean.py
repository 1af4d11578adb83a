"""Turning a pasted or redirected dump into clean text: decoding, noise lines, sections.

What technicians bring is rarely the tool's exact output: PowerShell writes UTF-16, old editors
write Windows-1252, terminals add CRLF and colour codes, a copy from the terminal takes the
prompt and the command along, stderr lines ("pcilib: ...") land between stdout lines and
sometimes in the middle of one (stdout is block-buffered, stderr is not), and several commands'
outputs end up in one file. This module undoes all that and says what it did, as
InputWarning entries (file left empty here; the importer names the file).

Line numbers are kept: a removed line becomes an empty line rather than disappearing, so line N
of the cleaned text is line N of the file. Every parser treats an empty line as a separator at
most, never as data.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass, field

from ecs_field.hardware.inventory import InputWarning


class BinaryInput(ValueError):
    """The bytes are not text (an image, an archive, a disk image)."""


# Decoding is an explicit cascade, not charset-normalizer: the encodings a hardware dump can come
# in are few and known (UTF-8, UTF-16 from PowerShell's ">", Windows-1252/Latin-1 from old
# editors), and the guess must be the same on every run. charset-normalizer scores the whole input
# statistically (slow on a 30 MB file) and can pick an exotic code page for a short ASCII-heavy
# dump with one stray byte, turning a vendor name into another alphabet; the cascade instead keeps
# every valid UTF-8 byte sequence and reads only the invalid bytes as Windows-1252.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SAMPLE = 4096
_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][A-Z0-9]|[=>])")
# Control characters that never occur in a text dump (tab, newlines, form feed and ESC do).
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    # Registered below: a byte that is not valid UTF-8 is read as Windows-1252 (Latin-1 for the
    # five bytes cp1252 leaves undefined), so one stray byte costs one character, not the file.
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    text = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad)
    return text, error.end


codecs.register_error("ecs-field-cp1252", _cp1252_fallback)


def _line_of(data: bytes, offset: int) -> int:
    newlines = data.count(b"\n", 0, offset)
    return (newlines if newlines else data.count(b"\r", 0, offset)) + 1  # old Mac files end lines with CR


def _utf16_without_bom(data: bytes) -> str | None:
    """ "utf-16-le"/"utf-16-be" when the bytes are plainly UTF-16 text without a BOM, else None."""
    sample = data[:_SAMPLE]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    # ASCII text in UTF-16 has a NUL in every other byte; binary data has NULs scattered on both.
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.05 * len(odd):
        return "utf-16-be"
    return None


def decode_bytes(data: bytes) -> tuple[str, list[InputWarning]]:
    """Bytes -> text with "\\n" line ends; warnings say how it was read. Raises BinaryInput."""
    warnings: list[InputWarning] = []
    text: str | None = None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = data.decode(codec, errors="replace")
            if codec == "utf-16":
                warnings.append(
                    InputWarning(
                        "", None, "read as UTF-16 (as PowerShell's '>' writes it); nothing to do", "encoding"
                    )
                )
            break
    if text is None:
        utf16 = _utf16_without_bom(data)
        if utf16:
            text = data[: len(data) - len(data) % 2].decode(utf16, errors="replace")
            warnings.append(
                InputWarning("", None, f"read as {utf16.upper()} without a byte-order mark", "encoding")
            )
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = data.decode("utf-8", errors="ecs-field-cp1252")
            warnings.append(
                InputWarning(
                    "",
                    _line_of(data, exc.start),
                    "not valid UTF-8 (first odd byte on this line): those bytes were read as "
                    "Windows-1252/Latin-1; if a name looks wrong, save the dump as UTF-8",
                    "encoding",
                )
            )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = len(_BAD_CONTROL.findall(text, 0, 1 << 16))
    sample = min(len(text), 1 << 16)
    # A dump is printable text; a few stray control bytes (a NUL from a serial console) are
    # tolerated, a few percent mean the file is an image, an archive or a disk image.
    if sample and (bad * 50 > sample or text.count("\x00") * 200 > len(text)):
        raise BinaryInput("binary data, not text")
    if bad or _BAD_CONTROL.search(text):
        first = _BAD_CONTROL.search(text)
        line = text.count("\n", 0, first.start()) + 1 if first else None
        text = _BAD_CONTROL.sub("", text)
        warnings.append(InputWarning("", line, "control characters (NUL bytes or similar) removed", "noise"))
    if "\x1b" in text:
        first_escape = text.index("\x1b")
        text = _ANSI.sub("", text).replace("\x1b", "")
        warnings.append(
            InputWarning(
                "", text.count("\n", 0, first_escape) + 1, "terminal colour/escape codes removed", "noise"
            )
        )
    return text, warnings


# --- noise lines ---------------------------------------------------------------------------------

# Commands a technician would run to make a dump; a bare "#"/"$" prompt only counts before one of
# these, because dmidecode itself prints comment lines starting with "#".
_COMMANDS = (
    r"(?:sudo|doas|lspci|lsusb|dmidecode|esxcli|lshw|lscpu|cat|wmic|powershell|pwsh|"
    r"get-\w+|system_profiler|ethtool|ip|ifconfig|uname|hwinfo|inxi|ecs-field|python3?|\./\S+)\b"
)
_PROMPT = re.compile(
    r"^\s*(?:"
    r"\[[^\]\s@]+@[^\]]+\]\s?[#$]?"  # [root@esx:~]  [user@host dir]$
    r"|[\w.-]+@[\w.-]+(?::[^\s#$%>]*|\s+[^\s#$%>]+)?\s?[#$%>]"  # root@host:~#  user@Mac ~ %
    r"|PS\s+[A-Za-z]:\\[^>]*>"  # PS C:\Users\me>
    r"|[A-Za-z]:\\[^>]*>"  # C:\>
    r"|(?:ba|z)?sh-[\d.]+[#$]"  # bash-3.2$
    r")(?:\s+(?P<cmd>\S.*?))?\s*$"
)
_BARE_PROMPT = re.compile(r"^\s*[$#%>]\s+(?P<cmd>" + _COMMANDS + r".*?)\s*$", re.IGNORECASE)
# stderr of the dump tools and of the shell, as whole lines.
_STDERR_START = (
    "pcilib: ",
    "lspci: ",
    "lsusb: ",
    "dmidecode: ",
    "setpci: ",
    "Couldn't open device",
    "can't get device qualifier",
    "can't get debug descriptor",
    "can't get hub descriptor",
    "cannot read device status",
    "/dev/mem: ",
    "/sys/firmware/dmi/tables/",
    "sudo: ",
    "[sudo] password for ",
    "bash: ",
    "-bash: ",
    "zsh: ",
    "sh: ",
)
# The same messages when they cut into a stdout line: only the tool prefixes, which no dump
# contains mid-line.
_SPLICE_MARKERS = ("pcilib: ", "lspci: ", "lsusb: ", "setpci: ", "Couldn't open", "can't get")
_SPLICE = re.compile(
    r"(?:pcilib|lspci|lsusb|setpci): |Couldn't open device, |can't get (?:device qualifier|debug descriptor)"
)


_DMI_HEADER = re.compile(r"^\s*# dmidecode \d")


def _may_be_prompt(line: str) -> bool:
    # Cheap test first: every prompt form above has one of these; most dump lines have none.
    first = line.lstrip()[:1]
    return first in ("$", "#", "%", ">", "[") or "@" in line or ":\\" in line or "sh-" in line


def command_of(line: str) -> str | None:
    """The command of a prompt line ("" for a bare prompt), or None when it is not one."""
    if not _may_be_prompt(line) or _DMI_HEADER.match(line):
        return None  # dmidecode's own first line, not a root prompt running "dmidecode"
    match = _PROMPT.match(line) or _BARE_PROMPT.match(line)
    if not match:
        return None
    return (match.group("cmd") or "").strip()


@dataclass
class CleanText:
    lines: list[str]  # one per line of the file; removed lines are ""
    ends_with_newline: bool
    warnings: list[InputWarning] = field(default_factory=list)
    commands: dict[int, str] = field(default_factory=dict)  # 0-based line -> command of a prompt


MAX_NOISE_WARNINGS = 8  # per file; the rest are summed up in one line


def clean_lines(text: str) -> CleanText:
    """Remove prompts and stderr lines, rejoin lines a stderr message was spliced into."""
    lines = text.split("\n")
    ends_with_newline = text.endswith("\n")
    if ends_with_newline:
        lines.pop()
    result = CleanText(lines, ends_with_newline)
    noise = _NoiseLog(result.warnings)
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if not stripped:
            index += 1
            continue
        command = command_of(line)
        if command is not None:
            result.commands[index] = command
            lines[index] = ""
            noise.add(index + 1, f"shell prompt skipped: {stripped[:60]!r}")
            index += 1
            continue
        if stripped.startswith(_STDERR_START):
            lines[index] = ""
            noise.add(index + 1, f"error message of a tool skipped: {stripped[:80]!r}")
            index += 1
            continue
        splice = _SPLICE.search(line) if any(m in line for m in _SPLICE_MARKERS) else None
        if splice and line[: splice.start()].strip():
            # stdout's line continues on the next line, after the stderr message's newline.
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if following.startswith("\t"):
                following = ""  # the next line is a line of its own (an attribute), not the rest
            else:
                lines[index + 1 : index + 2] = [""] if index + 1 < len(lines) else []
            lines[index] = line[: splice.start()] + following
            noise.add(
                index + 1,
                f"error message {line[splice.start() :][:60]!r} was printed into the middle of this line; "
                "the line was joined back together",
            )
            continue  # look at the joined line again
        index += 1
    noise.close()
    return result


class _NoiseLog:
    """Noise warnings, at most MAX_NOISE_WARNINGS, then one that counts the rest."""

    def __init__(self, sink: list[InputWarning]) -> None:
        self.sink = sink
        self.extra = 0
        self.first_extra: int | None = None

    def add(self, line: int, message: str) -> None:
        if sum(1 for w in self.sink if w.kind == "noise") < MAX_NOISE_WARNINGS:
            self.sink.append(InputWarning("", line, message, "noise"))
        else:
            self.extra += 1
            self.first_extra = self.first_extra or line

    def close(self) -> None:
        if self.extra:
            self.sink.append(
                InputWarning(
                    "",
                    self.first_extra,
                    f"{self.extra} more prompt/error line(s) skipped from here on",
                    "noise",
                )
            )


# --- sections ------------------------------------------------------------------------------------

_FAMILIES = (
    ("lspci", re.compile(r"^(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7] +\S")),
    ("lsusb", re.compile(r"^Bus \d{1,3} Device \d{1,3}: ID [0-9a-fA-F]{4}:")),
    (
        "dmidecode",
        re.compile(
            r"^(?:Handle 0x[0-9A-Fa-f]{4}, DMI type \d+|# dmidecode \d|Getting SMBIOS data|SMBIOS \d+\.\d+)"
        ),
    ),
    ("esxcli-pci", re.compile(r"^[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$")),
    ("esxcli-nic", re.compile(r"^Name\s+PCI Device\s+Driver\s+")),
    ("cpuinfo", re.compile(r"^processor\s*:\s*\d+$")),
)
# A new kind of output starts here even without a prompt line before it.
_OPENERS = {"dmidecode": re.compile(r"^# dmidecode \d")}
_INDENT = re.compile(r"^[ \t]*")


# First characters a first-level line of a known output can start with: most lines of a dump or
# of garbage are rejected by this one set lookup instead of six regular expressions.
_FIRST_CHARS = frozenset("0123456789abcdefABCDEF" + "BHGS#Np")


def family_of(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped[0] not in _FIRST_CHARS:
        return None
    for name, pattern in _FAMILIES:
        if pattern.match(stripped):
            return name
    return None


@dataclass
class Section:
    start: int  # 0-based index of its first line in the file
    end: int  # exclusive
    family: str | None  # what its lines look like ("lspci", "dmidecode", ...), None: not known here
    text: str  # its lines, common indentation removed, "\n"-joined
    command: str = ""  # the command of the prompt line before it, if any

    @property
    def first_line(self) -> int:
        return self.start + 1

    @property
    def last_line(self) -> int:
        return self.end


def split_sections(clean: CleanText) -> list[Section]:
    """The outputs of different commands in one file, in file order (blank-only ones dropped).

    A section ends at a prompt line, or where lines of another command's shape begin (an lspci
    device line after lsusb lines, a dmidecode "Handle" after lspci lines ...).
    """
    lines = clean.lines
    families = [family_of(line) for line in lines]
    sections: list[Section] = []
    start = 0
    family: str | None = None
    command = ""
    has_records = False  # the current section holds a dmidecode "Handle" line

    def close(end: int) -> None:
        if any(line.strip() for line in lines[start:end]):
            sections.append(
                _section(
                    lines[start:end],
                    families[start:end],
                    start,
                    family=family,
                    command=command,
                    last=end == len(lines) and not clean.ends_with_newline,
                )
            )

    for index, kind in enumerate(families):
        if index in clean.commands:
            close(index)
            start, family, command, has_records = index + 1, None, clean.commands[index], False
            continue
        if kind is None:
            continue
        stripped = lines[index].strip()
        opener = kind in _OPENERS and _OPENERS[kind].match(stripped) and family is not None
        if family is None:
            family = kind
        elif kind != family or (opener and has_records):
            close(index)
            start, family, command, has_records = index, kind, "", False
        if kind == "dmidecode" and stripped.startswith("Handle 0x"):
            has_records = True
    close(len(lines))
    return sections


def _section(
    body: list[str], families: list[str | None], start: int, *, family: str | None, command: str, last: bool
) -> Section:
    end = start + len(body)
    # Pasted into a document or a mail, whole outputs get indented. The tools print first-level
    # lines (device, "Bus", "Handle") at column 0, so those lose any indentation; the other lines
    # lose the indentation most first-level lines had (one damaged line, say by a stderr message
    # spliced into its indentation, must not change the rest).
    indents = Counter(
        _INDENT.match(line).group(0)  # type: ignore[union-attr]
        for line, kind in zip(body, families, strict=True)
        if kind
    )
    indent = indents.most_common(1)[0][0] if indents else ""
    if indents and (indent or len(indents) > 1):
        body = [
            line.lstrip() if kind else line[len(indent) :] if line.startswith(indent) else line
            for line, kind in zip(body, families, strict=True)
        ]
    text = "\n".join(body)
    if last:
        return Section(start, end, family, text, command)
    return Section(start, end, family, text + "\n", command)
