"""`write --kickstart` on the FAT32 stick: /KS.CFG, the two kernelopt edits, refusals, record text.

The stick images are checked with independent tools (mtools reads the files back, fsck.fat checks
the file system); the boot.cfg edit and the ks.cfg summary also get Hypothesis runs.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecs_field.errors import BadInput
from ecs_field.media.image.fat32 import (
    KICKSTART_BOOT_OPTION,
    Fat32StickSource,
    add_kickstart_option,
    build_stick_image,
)
from ecs_field.media.image.iso_tree import read_iso_tree
from ecs_field.media.write.kickstart_stick import load_kickstart, network_identity
from ecs_field.media.write.writejob import WriteRequest, open_source, resolve_mode
from tests.clirun import run_process
from tests.conftest import have
from tests.fixtures.efi.esxi_like_iso import BuiltIso, build_esxi_like_iso

MIB = 1024 * 1024
MTOOLS_ENV = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
tools = pytest.mark.skipif(
    not all(have(t) for t in ("xorriso", "mcopy", "mkfs.fat", "fsck.fat")),
    reason="needs xorriso, mtools and dosfstools",
)

# A hash of the right shape (the validator checks the form; nobody logs in with it).
HASH = "$6$Qx0p2r3cZ9mLk1Ab$" + "A" * 86
KS = (
    "vmaccepteula\n"
    "install --firstdisk=local --overwritevmfs\n"
    f"rootpw --iscrypted {HASH}\n"
    "network --bootproto=static --ip=10.7.0.10 --netmask=255.255.255.0 --gateway=10.7.0.1 "
    "--nameserver=10.7.0.2 --hostname=esx01.depot7.example --vlanid=70\n"
    "reboot\n"
)
ESXI_BOOT_CFG = (
    b"bootstate=0\ntitle=Loading ESXi installer\ntimeout=5\nkernel=/b.b00\n"
    b"kernelopt=runweasel cdromBoot\nmodules=/jumpstrt.gz --- /useropts.gz\n"
)


@pytest.fixture(scope="module")
def esxi_iso(tmp_path_factory: pytest.TempPathFactory) -> BuiltIso:
    return build_esxi_like_iso(tmp_path_factory.mktemp("iso"))


def _mtype(image: Path, path: str) -> bytes:
    return subprocess.run(
        ["mtype", "-i", f"{image}@@{MIB}", f"::{path}"], check=True, capture_output=True, env=MTOOLS_ENV
    ).stdout


def _fsck_clean(image: Path, tmp: Path) -> None:
    part = tmp / "partition.img"
    with open(image, "rb") as src, open(part, "wb") as dst:
        src.seek(MIB)
        while chunk := src.read(4 * MIB):
            dst.write(chunk)
    done = subprocess.run(["fsck.fat", "-n", "-v", str(part)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


# ----------------------------------------------------------------------------- boot.cfg edit


def test_kernelopt_gets_the_ks_option_and_nothing_else_changes() -> None:
    edited = add_kickstart_option(ESXI_BOOT_CFG)
    assert edited == ESXI_BOOT_CFG.replace(
        b"kernelopt=runweasel cdromBoot", b"kernelopt=runweasel cdromBoot ks=usb:/KS.CFG"
    )


def test_an_existing_ks_option_is_replaced_not_doubled() -> None:
    edited = add_kickstart_option(b"kernel=/b.b00\r\nkernelopt=ks=cdrom:/KS_CUST.CFG runweasel\r\n")
    assert edited == b"kernel=/b.b00\r\nkernelopt=runweasel ks=usb:/KS.CFG\r\n"  # CR LF kept


def test_a_missing_kernelopt_line_is_added_after_kernel() -> None:
    assert (
        add_kickstart_option(b"title=x\nkernel=/b.b00\nmodules=/a")
        == b"title=x\nkernel=/b.b00\nkernelopt=ks=usb:/KS.CFG\nmodules=/a"
    )


@pytest.mark.parametrize("text", [b"title=not a boot.cfg\n", b"kernel=/b.b00 \xff\n"])
def test_what_is_not_an_esxi_boot_cfg_is_refused(text: bytes) -> None:
    with pytest.raises(BadInput) as caught:
        add_kickstart_option(text, "x.iso:/BOOT.CFG")
    assert caught.value.exit_code == 2 and "x.iso:/BOOT.CFG" in caught.value.message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_boot_cfg_bytes_give_one_ks_option_or_bad_input(data: bytes) -> None:
    try:
        edited = add_kickstart_option(data)
    except BadInput:
        return
    lines = edited.decode("ascii").splitlines()
    options = [line for line in lines if line.strip().startswith("kernelopt=")]
    assert options, edited
    assert options[0].split()[-1].endswith(KICKSTART_BOOT_OPTION)
    assert edited.count(b"ks=usb:/KS.CFG") >= 1


# ----------------------------------------------------------------------------- ks.cfg summary


def test_network_identity_names_host_and_ip_only() -> None:
    assert network_identity(KS.encode()) == ("esx01.depot7.example", "10.7.0.10")
    assert network_identity(b"vmaccepteula\nnetwork --bootproto=dhcp --device=vmnic0\n") == (None, None)
    # a "network" line inside a script section is not the install's network
    assert network_identity(b"vmaccepteula\n%post\nnetwork --ip=1.2.3.4\n") == (None, None)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_network_identity_never_fails_on_any_bytes(data: bytes) -> None:
    host, ip = network_identity(data)
    assert host is None or isinstance(host, str)
    assert ip is None or isinstance(ip, str)


def test_the_record_names_host_and_ip_never_the_hash(tmp_path: Path) -> None:
    ks = tmp_path / "ks.cfg"
    ks.write_text(KS)
    loaded = load_kickstart(ks)
    assert loaded.describe() == {"file": "ks.cfg", "hostname": "esx01.depot7.example", "ip": "10.7.0.10"}
    assert HASH not in repr(loaded.describe()) and HASH not in loaded.label
    assert loaded.data == KS.encode()


# ----------------------------------------------------------------------------- the stick


@tools
def test_stick_with_kickstart_holds_ks_cfg_and_both_boot_cfgs_boot_with_it(
    esxi_iso: BuiltIso, tmp_path: Path
) -> None:
    image = tmp_path / "stick.img"
    build_stick_image(esxi_iso.iso, image, kickstart=KS.encode())
    assert _mtype(image, "/KS.CFG") == KS.encode()
    original = (esxi_iso.tree / "BOOT.CFG").read_bytes()
    for path in ("/BOOT.CFG", "/EFI/BOOT/BOOT.CFG"):
        assert _mtype(image, path) == add_kickstart_option(original)
        assert b"kernelopt=runweasel cdromBoot ks=usb:/KS.CFG\n" in _mtype(image, path)
    # every other file is still the ISO's, byte for byte
    assert _mtype(image, "/B.B00") == (esxi_iso.tree / "B.B00").read_bytes()
    _fsck_clean(image, tmp_path)


@tools
def test_kickstart_replaces_a_ks_cfg_the_iso_already_has(tmp_path: Path) -> None:
    built = build_esxi_like_iso(tmp_path, extra_files={"ks.cfg": b"old\n"}, names="rock-ridge")
    image = tmp_path / "stick.img"
    build_stick_image(built.iso, image, kickstart=KS.encode())
    listing = subprocess.run(
        ["mdir", "-b", "-i", f"{image}@@{MIB}", "::/"],
        capture_output=True,
        text=True,
        env=MTOOLS_ENV,
        check=True,
    ).stdout
    assert [line for line in listing.splitlines() if line.upper().endswith("/KS.CFG")] == ["::/KS.CFG"]
    assert _mtype(image, "/KS.CFG") == KS.encode()
    _fsck_clean(image, tmp_path)


@tools
def test_offsets_are_named_by_file_and_the_callers_tree_is_not_changed(esxi_iso: BuiltIso) -> None:
    tree = read_iso_tree(esxi_iso.iso)
    before = [(path, item.size) for path, item in tree.root.iter_files()]
    with Fat32StickSource(esxi_iso.iso, tree=tree, kickstart=KS.encode()) as source:
        starts = dict(zip(source._labels, source._starts, strict=True))
        ks_at = starts["/KS.CFG"]
        assert source.describe_offset(ks_at + 5) == "/KS.CFG (byte 5 of the file)"
        assert source.describe_offset(0) == "the MBR (partition table)"
        assert "kickstart /KS.CFG" in source.description
    assert [(path, item.size) for path, item in tree.root.iter_files()] == before


@tools
def test_an_iso_without_boot_cfg_cannot_take_a_kickstart(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "EFI" / "BOOT").mkdir(parents=True)
    (tree / "EFI" / "BOOT" / "BOOTX64.EFI").write_bytes(b"MZ" + bytes(100))
    iso = tmp_path / "plain.iso"
    subprocess.run(
        ["xorriso", "-as", "mkisofs", "-quiet", "-o", str(iso), "-R", str(tree)],
        check=True,
        capture_output=True,
    )
    with pytest.raises(BadInput) as caught:
        Fat32StickSource(iso, kickstart=KS.encode())
    assert "neither /BOOT.CFG nor /EFI/BOOT/BOOT.CFG" in caught.value.message


# ----------------------------------------------------------------------------- refusals


def test_raw_mode_with_a_kickstart_is_refused_before_the_image_is_read(tmp_path: Path) -> None:
    missing = tmp_path / "not-read.iso"  # never opened: the refusal comes first
    with pytest.raises(BadInput) as caught:
        resolve_mode(missing, "raw", kickstart=True)
    assert caught.value.exit_code == 2 and "--kickstart cannot be used" in caught.value.message
    with pytest.raises(BadInput):
        open_source(missing, "raw", KS.encode())


def test_a_bad_kickstart_is_refused_with_its_line(tmp_path: Path) -> None:
    ks = tmp_path / "ks.cfg"
    ks.write_text("vmaccepteula\nbootloader --location=mbr\n")  # Red Hat only, and no install/rootpw
    request = WriteRequest(image_path=tmp_path / "x.iso", kickstart_path=ks)
    with pytest.raises(BadInput) as caught:
        request.kickstart()
    assert caught.value.exit_code == 2 and f"{ks}:2" in caught.value.message


def test_cli_refuses_a_bad_kickstart_before_any_drive_is_touched(esxi_iso: BuiltIso, tmp_path: Path) -> None:
    ks = tmp_path / "ks.cfg"
    ks.write_text("vmaccepteula\n")
    target = tmp_path / "not-a-stick.img"
    target.write_bytes(b"\xaa" * 4096)
    done = run_process("write", str(esxi_iso.iso), str(target), "--kickstart", str(ks), "--yes")
    assert done.returncode == 2, done.stderr
    assert "cannot be used" in done.stderr and "rootpw" in done.stderr
    assert target.read_bytes() == b"\xaa" * 4096


def test_cli_refuses_kickstart_with_raw_mode(esxi_iso: BuiltIso, tmp_path: Path) -> None:
    ks = tmp_path / "ks.cfg"
    ks.write_text(KS)
    done = run_process(
        "write", str(esxi_iso.iso), "/dev/null", "--kickstart", str(ks), "--mode", "raw", "--yes"
    )
    assert done.returncode == 2, done.stderr
    assert "--kickstart cannot be used with 'raw' writes" in done.stderr
