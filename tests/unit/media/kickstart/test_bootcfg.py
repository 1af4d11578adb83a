"""The kernelopt edit for ks=usb:/KS.CFG: one line changes, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecs_field.media.kickstart.bootcfg import KS_OPTION, kernel_options, with_kickstart

# The shape of an ESXi 8 installer BOOT.CFG (modules list shortened)
BOOT_CFG = (
    "bootstate=0\r\n"
    "title=Loading ESXi installer\r\n"
    "timeout=5\r\n"
    "prefix=\r\n"
    "kernel=/b.b00\r\n"
    "kernelopt=runweasel cdromBoot\r\n"
    "modules=/jumpstrt.gz --- /useropts.gz --- /features.gz --- /k.b00\r\n"
    "build=8.0.3-0.0.24022510\r\n"
    "updated=0\r\n"
)


def test_adds_the_option_and_keeps_every_other_byte() -> None:
    edited = with_kickstart(BOOT_CFG)
    assert edited == BOOT_CFG.replace(
        "kernelopt=runweasel cdromBoot\r\n", "kernelopt=runweasel cdromBoot ks=usb:/KS.CFG\r\n"
    )
    assert kernel_options(edited) == ["runweasel", "cdromBoot", KS_OPTION]


def test_replaces_an_existing_ks_and_is_idempotent() -> None:
    once = with_kickstart(BOOT_CFG.replace("cdromBoot", "ks=cdrom:/KS_CUST.CFG cdromBoot"))
    assert kernel_options(once) == ["runweasel", "cdromBoot", KS_OPTION]
    assert with_kickstart(once) == once


def test_unix_line_ends_and_no_final_newline() -> None:
    text = "kernel=/b.b00\nkernelopt=runweasel"
    assert with_kickstart(text) == "kernel=/b.b00\nkernelopt=runweasel ks=usb:/KS.CFG"


@pytest.mark.parametrize("text", ["", "title=x\n", "kernelopt=a\nkernelopt=b\n", "# kernelopt=a\n"])
def test_not_one_kernelopt_line_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="kernelopt"):
        with_kickstart(text)


@given(st.text(max_size=300))
def test_any_text_is_edited_or_refused(text: str) -> None:
    try:
        edited = with_kickstart(text)
    except ValueError:
        return
    assert kernel_options(edited)[-1] == KS_OPTION
    assert len(edited.splitlines()) == len(text.splitlines())
