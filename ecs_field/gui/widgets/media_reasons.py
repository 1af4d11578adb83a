"""The safety rules' reasons in the Boot media page's own words.

ecs_field.media.drives.safety writes its reasons for the command line ("use
--allow-non-removable --confirm-device /dev/sdb"). A person in the app does the same thing by
typing the device path into the page's box, so the page says that instead; a command-line flag
never reaches the screen (issue 8).
"""

from __future__ import annotations

import re

from ecs_field.media.drives import Drive

BOX = "the box below the list"
_OVERRIDE = re.compile(r"(?:use|add) --allow-non-removable --confirm-device (\S+?)(?=[.,;)]?(?:\s|$))")
_CONFIRM = re.compile(r"the confirmation must repeat the device path (\S+) exactly \(got (.*)\)$")
_LIST_HINT = "(ecs-field drives lists them)"
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+(?:[ =](?!-)\S+)?")


def page_words(text: str) -> str:
    """``text`` (a reason or a hint from the core) with command-line advice put as the page does it."""
    text = _OVERRIDE.sub(lambda m: f"type {m.group(1)} in {BOX}", text)
    text = _CONFIRM.sub(
        lambda m: f"type {m.group(1)} exactly in {BOX} (typed: {m.group(2).strip(chr(39)) or 'nothing'})",
        text,
    )
    text = text.replace(_LIST_HINT, "(the drive list shows them)")
    # Whatever flag is left (a reason written later, another rule): never show it to a GUI user.
    return _FLAG.sub("", text).replace("  ", " ").strip()


def reason_words(drive: Drive, code: str, reason: str) -> str:
    """One refusal in the page's words; ``code`` is the rule's short id (SafetyDecision.codes)."""
    name = drive.display_path or drive.path
    if code == "internal":
        what = reason.split(", not a removable", 1)[0]
        return f"{what}, not a removable or USB drive: to write it anyway, type {name} in {BOX}"
    return page_words(reason)
