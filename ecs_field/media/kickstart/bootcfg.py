"""The boot.cfg edit that makes the ESXi installer read the stick's kickstart.

ESXi's boot loader (mboot) reads ``kernelopt=`` from BOOT.CFG (legacy BIOS: /BOOT.CFG; UEFI:
/EFI/BOOT/BOOT.CFG) and passes it to the installer; ``ks=usb:/KS.CFG`` there makes the installer
run the script at that path on the USB stick (vSphere 8.0 "Boot Options": ks=usb:</path>).
Everything else in the file stays byte for byte as it was ("Any other line must remain
unchanged", vSphere 8.0 "About the boot.cfg File").
"""

from __future__ import annotations

import re

KS_OPTION = "ks=usb:/KS.CFG"
_KERNELOPT = re.compile(r"^(?P<key>[ \t]*kernelopt[ \t]*=)(?P<value>[^\r\n]*)(?P<end>\r?\n?)$", re.MULTILINE)


def with_kickstart(boot_cfg: str, option: str = KS_OPTION) -> str:
    """``boot_cfg`` with ``option`` on its kernelopt line (an existing ``ks=`` is replaced).

    Raises ValueError when there is no kernelopt line, or more than one: such a file is not an
    ESXi installer's BOOT.CFG and editing a guess would make a stick that does not install.
    """
    matches = list(_KERNELOPT.finditer(boot_cfg))
    if len(matches) != 1:
        raise ValueError(f"expected one kernelopt= line in BOOT.CFG, found {len(matches)}")
    match = matches[0]
    words = [w for w in _words(match["value"]) if not w.startswith("ks=")]
    value = " ".join([*words, option])
    line = f"{match['key']}{value}{match['end']}"
    return boot_cfg[: match.start()] + line + boot_cfg[match.end() :]


def kernel_options(boot_cfg: str) -> list[str]:
    """The words of the kernelopt line (for verification: ``KS_OPTION in kernel_options(text)``)."""
    match = _KERNELOPT.search(boot_cfg)
    return _words(match["value"]) if match else []


def _words(value: str) -> list[str]:
    # mboot separates options with spaces (and tabs); other white space is part of a word
    return [w for w in re.split(r"[ \t]+", value) if w]
