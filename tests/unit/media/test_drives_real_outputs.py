"""Windows and macOS drive parsers on outputs published by others (tests/fixtures/drives/real/SOURCES.md).

Each test names what the real output showed that the hand-written fixtures did not.
"""

from __future__ import annotations

import contextlib
import json
import plistlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecs_field.errors import DeviceError
from ecs_field.media import winvolumes
from ecs_field.media.drives import macos, windows
from ecs_field.media.drives.model import Drive

REAL = Path(__file__).resolve().parents[2] / "fixtures" / "drives" / "real"


def by_name(drives: list[Drive]) -> dict[str, Drive]:
    return {d.name: d for d in drives}


def wmic_list_records(path: Path) -> list[dict[str, str]]:
    """``wmic ... get /format:list`` (UTF-16, CRLF, blank lines between records) -> records.

    Test-side reader only: the app runs Get-CimInstance and reads JSON; this turns the published
    wmic form of the same Win32_DiskDrive instances into the records the JSON would carry.
    """
    text = windows.decode_output(path.read_bytes())
    records: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.replace("\r", "").split("\n"):
        key, sep, value = line.partition("=")
        if not sep:
            continue
        if key == "Availability" and current:  # first property of every Win32_DiskDrive record
            records.append(current)
            current = {}
        current[key] = value
    if current:
        records.append(current)
    return records


# --- Windows: Get-Disk / Get-Partition ------------------------------------------------------


def runner() -> dict[str, Drive]:
    return by_name(
        windows.parse_storage_json((REAL / "windows-github-runner-disks-partitions.json").read_bytes())
    )


def test_runner_lists_its_three_disks_with_capitalised_keys() -> None:
    # That script printed "Disks"/"Partitions" (not "disks"): PowerShell keys are case-insensitive.
    assert sorted(runner()) == ["0", "1", "2"]


def test_runner_system_disk_is_protected_and_mounted_at_c() -> None:
    system = runner()["0"]
    assert system.path == "\\\\.\\PHYSICALDRIVE0" and (system.kind, system.bus) == ("internal", "sas")
    assert len(system.protected) == 2  # IsSystem and IsBoot
    assert system.all_mountpoints() == ["C:\\"]
    assert not system.offered_by_default


def test_runner_partitions_carry_their_own_file_system_and_label() -> None:
    # No Get-Volume list in that document: FileSystem/Label sit on the partitions.
    parts = runner()["0"].partitions
    assert [(p.name, p.fstype, p.label) for p in parts] == [
        ("1", "", ""),
        ("2", "NTFS", "Recovery"),
        ("3", "FAT32", ""),
        ("4", "NTFS", "Windows"),
    ]
    # "DriveLetter": "\u0000" is no letter; "AccessPaths": [null] is no path, not the text "None".
    assert parts[0].mountpoints == [] and parts[1].mountpoints == []


def test_runner_temporary_disk_and_vhd() -> None:
    drives = runner()
    temp = drives["1"]
    assert temp.mountpoints == ["D:\\"] and temp.partitions[0].label == "Temporary Storage"
    assert not temp.protected
    vhd = drives["2"]  # BusType "File Backed Virtual", RAW, no partitions
    assert (vhd.kind, vhd.bus, vhd.partitions) == ("virtual", "file backed virtual", [])
    assert not vhd.offered_by_default


def test_runner_document_as_utf16_with_bom_reads_the_same() -> None:
    # "> disks.json" in Windows PowerShell 5.1 writes UTF-16 LE with a BOM.
    text = (REAL / "windows-github-runner-disks-partitions.json").read_text(encoding="utf-8")
    utf16 = windows.parse_storage_json(text.encode("utf-16"))
    utf8_bom = windows.parse_storage_json(b"\xef\xbb\xbf" + text.encode("utf-8"))

    def facts(drives: list[Drive]) -> list[tuple[str, int, list[str], int]]:
        return [(d.name, d.size_bytes, d.all_mountpoints(), len(d.protected)) for d in drives]

    assert facts(utf16) == facts(list(runner().values()))
    assert sorted(d.name for d in utf8_bom) == ["0", "1", "2"]
    assert by_name(utf16)["0"].partitions[3].label == "Windows"


def test_runner_disks_alone_as_bare_get_disk_output() -> None:
    # What "Get-Disk | ConvertTo-Json" prints: the array itself, or one object for one disk.
    disks = json.loads((REAL / "windows-github-runner-disks-partitions.json").read_text())["Disks"]
    assert sorted(d.name for d in windows.parse_storage_json(json.dumps(disks))) == ["0", "1", "2"]
    (only,) = windows.parse_storage_json(json.dumps(disks[1]))
    assert only.name == "0" and len(only.protected) == 2 and only.partitions == []


def test_string_booleans_are_read_not_cast() -> None:
    # Select-Object with [string] (or a CSV round trip) gives "False": bool("False") is True.
    disks = json.loads((REAL / "windows-github-runner-disks-partitions.json").read_text())["Disks"]
    for disk in disks:
        for key in ("IsBoot", "IsSystem", "IsReadOnly", "IsOffline"):
            disk[key] = str(disk[key])  # "True" / "False" as PowerShell's [string] prints them
        disk["Size"] = str(disk["Size"])
    drives = by_name(windows.parse_storage_json(json.dumps({"Disks": disks})))
    assert not drives["1"].read_only and not drives["1"].protected and not drives["1"].warnings
    assert len(drives["0"].protected) == 2 and drives["0"].size_bytes == 161061273600


def test_access_paths_of_the_runner_resolve_to_volume_device_paths() -> None:
    class NoKernel:
        def volume_name_for_mount_point(self, mount: str) -> str | None:
            raise AssertionError(f"no lookup expected for {mount}")

    doc = json.loads((REAL / "windows-github-runner-disks-partitions.json").read_text())
    paths = [a for p in doc["Partitions"] for a in p["AccessPaths"] if a]
    resolved = [winvolumes.volume_device_path(a, NoKernel()) for a in paths]  # type: ignore[arg-type]
    assert "\\\\.\\C:" in resolved and "\\\\.\\D:" in resolved
    assert "\\\\?\\Volume{c310a8dc-799c-43d9-bdf5-dcd066eeaad4}" in resolved  # trailing \ dropped


# --- Windows: Win32_DiskDrive (the fallback when Get-Disk does not answer) -------------------


def test_win32_diskdrive_json_usb_flash_is_removable_and_msata_internal() -> None:
    records = json.loads((REAL / "windows-win32-diskdrive-json-liteon-flashdisk.json").read_text())
    assert [windows.classify_diskdrive(r) for r in records] == [("internal", "ide"), ("usb", "usb")]
    # That output has neither Index nor DeviceID: no \\.\PHYSICALDRIVEn can be named, so no drive.
    assert (
        windows.parse_cim_json((REAL / "windows-win32-diskdrive-json-liteon-flashdisk.json").read_bytes())
        == []
    )
    with_index = [dict(r, Index=i) for i, r in enumerate(records)]
    drives = by_name(windows.drives_from_diskdrives(with_index))
    assert drives["1"].removable and drives["1"].kind == "usb" and drives["1"].offered_by_default
    assert drives["1"].model == "Generic Flash Disk USB Device" and drives["1"].size_bytes == 1998743040
    assert not drives["0"].offered_by_default
    # No letter map: nobody can say which disk holds Windows, and each drive says so.
    assert all("not checked" in d.warnings[0] for d in drives.values())


def test_wmic_win10_nvme_is_internal_nvme_with_french_driver_name_dropped() -> None:
    records = wmic_list_records(REAL / "windows10-wmic-win32-diskdrive-list-nvme-fr.txt")
    (nvme,) = windows.drives_from_diskdrives(records, [{"DeviceID": "C:", "DiskIndex": 0}], "C:")
    # InterfaceType SCSI, PNPDeviceID SCSI\DISK&amp;VEN_NVME&amp;... (wmic escapes & as &amp;)
    assert (nvme.kind, nvme.bus, nvme.removable) == ("internal", "nvme", False)
    assert nvme.vendor == ""  # "(Lecteurs de disque standard)" is the driver, not a maker
    assert nvme.model == "KXG50ZNV512G NVMe TOSHIBA 512GB" and nvme.size_bytes == 512105932800
    assert nvme.path == "\\\\.\\PHYSICALDRIVE0" and nvme.mountpoints == ["C:\\"]
    assert nvme.protected == ["it holds the Windows drive C:"] and not nvme.warnings


def test_wmic_win7_vbox_disk_and_attached_vhd() -> None:
    records = wmic_list_records(REAL / "windows7-wmic-win32-diskdrive-list-vbox-vhd-fr.txt")
    drives = by_name(windows.drives_from_diskdrives(records, [{"DeviceID": "C:", "DiskIndex": "0"}], "C:"))
    assert sorted(drives) == ["0", "1"]
    assert (drives["0"].kind, drives["0"].bus) == ("internal", "ide") and drives["0"].protected
    vhd = drives["1"]  # PNPDeviceID SCSI\DISK&amp;VEN_MSFT&amp;PROD_VIRTUAL_DISK: a mounted .vhd
    assert (vhd.kind, vhd.size_bytes, vhd.serial) == ("virtual", 98703360, "")
    assert not vhd.protected and not vhd.offered_by_default


def test_wmic_records_without_index_use_device_id() -> None:
    records = wmic_list_records(REAL / "windows7-wmic-win32-diskdrive-list-vbox-vhd-fr.txt")
    for record in records:
        del record["Index"]
    assert sorted(d.name for d in windows.drives_from_diskdrives(records)) == ["0", "1"]


# --- macOS: diskutil list -plist / info -plist ----------------------------------------------


def catalina(infos: dict[str, bytes] | None = None) -> dict[str, Drive]:
    return by_name(
        macos.parse_diskutil((REAL / "macos-catalina-diskutil-list-apfs.plist").read_bytes(), infos or {})
    )


def test_catalina_apfs_container_is_not_a_drive_and_its_mounts_go_to_disk0() -> None:
    drives = catalina()
    assert sorted(drives) == ["disk0"]  # disk1 is the synthesised APFS container
    disk0 = drives["disk0"]
    assert disk0.mountpoints == ["/System/Volumes/Data", "/Volumes/Recovery", "/private/var/vm", "/"]
    assert disk0.size_bytes == 500107862016 and disk0.path == "/dev/rdisk0"
    assert [(p.name, p.fstype, p.label) for p in disk0.partitions] == [
        ("disk0s1", "EFI", "EFI"),
        ("disk0s2", "Apple_APFS", ""),
    ]


def test_catalina_without_info_is_unknown_not_internal() -> None:
    # Before: no info plist -> "internal". The listing alone does not say which disk it is.
    disk0 = catalina()["disk0"]
    assert disk0.kind == "unknown" and disk0.bus == ""
    assert "diskutil info for disk0 is missing" in disk0.warnings[0]
    assert not disk0.offered_by_default


def test_apfs_volume_info_gives_the_physical_disk_its_bus() -> None:
    # The info of the sealed "/" snapshot (disk1s5s1) names ParentWholeDisk disk1 (the container)
    # and APFSPhysicalStore disk0s2: its BusProtocol PCI and Internal true describe disk0.
    # (That info comes from another machine with the same disk numbering.)
    info = (REAL / "macos-diskutil-info-apfs-root-snapshot-disk1s5s1.plist").read_bytes()
    disk0 = catalina({"disk1s5s1": info})["disk0"]
    assert (disk0.kind, disk0.bus) == ("internal", "pci") and not disk0.warnings
    assert disk0.size_bytes == 500107862016  # the volume's TotalSize is not the disk's
    assert disk0.model == ""  # nor its IORegistryEntryName (the snapshot name)
    assert not disk0.read_only  # WritableMedia false belongs to the sealed snapshot, not the disk


def test_usb_hdd_partition_info_is_usb_not_removable_but_offered() -> None:
    info = plistlib.loads((REAL / "macos-diskutil-info-usb-hdd-partition-disk11s2.plist").read_bytes())
    assert macos._kind(info) == ("usb", "usb")
    listing = plistlib.dumps(
        {"AllDisksAndPartitions": [{"DeviceIdentifier": "disk11", "Size": 5000603328512}]}
    )
    (hdd,) = macos.parse_diskutil(listing, {"disk11s2": plistlib.dumps(info)})
    assert (hdd.kind, hdd.removable, hdd.offered_by_default) == ("usb", False, True)


@pytest.mark.parametrize(
    ("name", "disk", "size", "mount", "label"),
    [
        (
            "macos-diskutil-list-external-usb-stick-fat32.plist",
            "disk2",
            31914983424,
            "/Volumes/UNTITLED",
            "UNTITLED",
        ),
        (
            "macos-diskutil-list-external-wd-elements.plist",
            "disk4",
            2000365289472,
            "/Volumes/Elements",
            "Elements",
        ),
    ],
)
def test_external_listings(name: str, disk: str, size: int, mount: str, label: str) -> None:
    (drive,) = macos.parse_diskutil((REAL / name).read_bytes(), {})
    assert (drive.name, drive.size_bytes, drive.mountpoints) == (disk, size, [mount])
    assert drive.partitions[0].label == label and drive.display_path == f"/dev/{disk}"


def test_apple_silicon_vm_listing_with_an_unpartitioned_disk() -> None:
    # A tart VM: disk0 with the Apple silicon ISC partition, disk2 raw (Content "", no Partitions).
    drives = by_name(
        macos.parse_diskutil(
            (REAL / "macos-tart-vm-diskutil-list-apple-silicon-raw-disk2.plist").read_bytes(), {}
        )
    )
    assert sorted(drives) == ["disk0", "disk2"]
    assert [p.fstype for p in drives["disk0"].partitions] == ["Apple_APFS_ISC", "Apple_APFS"]
    raw = drives["disk2"]
    assert (raw.size_bytes, raw.partitions, raw.mountpoints) == (107164426240, [], [])
    assert raw.kind == "unknown"  # no info plist: not called internal, not offered


def test_disk_image_volume_info_makes_the_image_disk_virtual() -> None:
    # macOS 26: an APFS volume (disk6s1) of a sparse image; its container disk6 lives on disk5s1,
    # the image's own disk. The listing is the minimal one those identifiers imply (written here).
    listing = plistlib.dumps(
        {
            "AllDisksAndPartitions": [
                {
                    "DeviceIdentifier": "disk5",
                    "Size": 104857600,
                    "Partitions": [{"DeviceIdentifier": "disk5s1"}],
                },
                {
                    "DeviceIdentifier": "disk6",
                    "APFSPhysicalStores": [{"DeviceIdentifier": "disk5s1"}],
                    "APFSVolumes": [{"DeviceIdentifier": "disk6s1", "MountPoint": "/Volumes/CMDR1"}],
                },
            ]
        }
    )
    info = (REAL / "macos26-diskutil-info-disk-image-apfs-volume-trimmed.plist").read_bytes()
    (image,) = macos.parse_diskutil(listing, {"disk6s1": info})
    assert (image.name, image.kind, image.bus) == ("disk5", "virtual", "disk image")
    assert image.mountpoints == ["/Volumes/CMDR1"] and not image.offered_by_default


def test_listing_with_a_leading_blank_line_or_bom_still_reads() -> None:
    data = (REAL / "macos-diskutil-list-external-usb-stick-fat32.plist").read_bytes()
    for variant in (b"\n" + data, b"\xef\xbb\xbf" + data, data.decode()):
        assert [d.name for d in macos.parse_diskutil(variant, {})] == ["disk2"]


def test_text_form_of_diskutil_info_is_refused_with_the_plist_command() -> None:
    # Only the text form was published for that stick's partition; the app runs -plist itself.
    text = (REAL / "macos-diskutil-info-text-usb-stick-disk2s1.txt").read_bytes()
    with pytest.raises(DeviceError, match="diskutil"):
        macos.parse_diskutil(text, {})


# --- mutated and garbage inputs: the module's error only, never a traceback or a hang --------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "disks",
                    "Disks",
                    "partitions",
                    "volumes",
                    "Number",
                    "Size",
                    "BusType",
                    "DriveLetter",
                    "AccessPaths",
                    "DiskNumber",
                    "PartitionNumber",
                    "IsSystem",
                    "Path",
                    "diskdrives",
                    "Index",
                    "DeviceID",
                    "logicaldisks",
                    "systemdrive",
                    "InterfaceType",
                    "PNPDeviceID",
                ]
            ),
            inner,
            max_size=6,
        )
    ),
    max_leaves=20,
)


def _mutate(document: Any, data: st.DataObject) -> Any:
    if isinstance(document, dict) and document:
        key = data.draw(st.sampled_from(sorted(document)))
        return {
            **document,
            key: _mutate(document[key], data) if data.draw(st.booleans()) else data.draw(_JSON),
        }
    if isinstance(document, list) and document:
        i = data.draw(st.integers(0, len(document) - 1))
        return [*document[:i], _mutate(document[i], data), *document[i + 1 :]]
    return data.draw(_JSON)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_windows_parsers_on_mutated_real_documents(data: st.DataObject) -> None:
    base = json.loads((REAL / "windows-github-runner-disks-partitions.json").read_text())
    for parse in (windows.parse_storage_json, windows.parse_cim_json):
        try:
            drives = parse(json.dumps(_mutate(base, data)))
        except DeviceError:
            continue
        assert all(d.size_bytes > 0 and d.path.startswith("\\\\.\\PHYSICALDRIVE") for d in drives)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "replace")))
def test_windows_parsers_on_garbage(raw: bytes) -> None:
    for parse in (windows.parse_storage_json, windows.parse_cim_json):
        with contextlib.suppress(DeviceError):
            parse(raw)


def _plist_value() -> st.SearchStrategy[Any]:
    leaves = (
        st.none().map(lambda _: "") | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=10)
    )
    keys = st.sampled_from(
        [
            "AllDisksAndPartitions",
            "DeviceIdentifier",
            "Partitions",
            "APFSVolumes",
            "APFSPhysicalStores",
            "MountPoint",
            "Size",
            "TotalSize",
            "BusProtocol",
            "Internal",
            "ParentWholeDisk",
            "WholeDisk",
            "APFSPhysicalStore",
            "VirtualOrPhysical",
        ]
    )
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=20,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_macos_parser_on_mutated_real_plists(data: st.DataObject) -> None:
    listing = plistlib.loads((REAL / "macos-catalina-diskutil-list-apfs.plist").read_bytes())
    info = plistlib.loads((REAL / "macos-diskutil-info-apfs-root-snapshot-disk1s5s1.plist").read_bytes())

    def draw_mutation(document: Any) -> Any:
        if isinstance(document, dict) and document:
            key = data.draw(st.sampled_from(sorted(document)))
            value = draw_mutation(document[key]) if data.draw(st.booleans()) else data.draw(_plist_value())
            return {**document, key: value}
        if isinstance(document, list) and document:
            i = data.draw(st.integers(0, len(document) - 1))
            return [*document[:i], draw_mutation(document[i]), *document[i + 1 :]]
        return data.draw(_plist_value())

    mutated_listing, mutated_info = draw_mutation(listing), draw_mutation(info)
    try:
        list_bytes, info_bytes = plistlib.dumps(mutated_listing), plistlib.dumps(mutated_info)
    except (TypeError, ValueError, OverflowError):
        return  # not representable as a plist: nothing diskutil could print
    try:
        drives = macos.parse_diskutil(list_bytes, {"disk1s5s1": info_bytes})
    except DeviceError:
        return
    assert all(d.size_bytes > 0 and d.path.startswith("/dev/r") for d in drives)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_macos_parser_on_garbage(raw: bytes) -> None:
    for call in (
        lambda: macos.parse_diskutil(raw, {}),
        lambda: macos.parse_diskutil(
            (REAL / "macos-diskutil-list-external-wd-elements.plist").read_bytes(), {"disk4": raw}
        ),
    ):
        with contextlib.suppress(DeviceError):
            call()


# --- the safety verdict on the real listings (pure parts: no mount table, no home folder) ----


def test_runner_verdict_refuses_the_system_disk_and_the_mounted_temporary_disk() -> None:
    from ecs_field.media.drives import safety

    drives = runner()
    safety.mark_by_mounts(list(drives.values()))
    safety.apply_verdict(list(drives.values()))
    assert not any(d.writable for d in drives.values())
    assert drives["0"].system and any("system drive" in r for r in drives["0"].reasons)
    assert any("mounted file systems (D:\\)" in r for r in drives["1"].reasons)
    assert any("a virtual disk" in r for r in drives["2"].reasons)


def test_catalina_verdict_protects_the_disk_holding_root() -> None:
    from ecs_field.media.drives import safety

    disk0 = catalina()["disk0"]
    safety.mark_by_mounts([disk0])
    safety.apply_verdict([disk0])
    assert disk0.system and not disk0.writable
    assert any("holds / " in p for p in disk0.protected)
    assert any("/System/Volumes/Data" in p for p in disk0.protected)


def test_usb_stick_with_its_disk_info_is_offered_and_unmounted_first() -> None:
    from ecs_field.media.drives import safety

    # The stick's own whole-disk info was not published; its partition's text says Protocol USB,
    # Removable Media, External: the same facts as a partition plist, written here as one.
    info = plistlib.dumps(
        {
            "DeviceIdentifier": "disk2s1",
            "ParentWholeDisk": "disk2",
            "WholeDisk": False,
            "BusProtocol": "USB",
            "Internal": False,
            "RemovableMedia": True,
        }
    )
    (stick,) = macos.parse_diskutil(
        (REAL / "macos-diskutil-list-external-usb-stick-fat32.plist").read_bytes(), {"disk2s1": info}
    )
    safety.mark_by_mounts([stick])
    safety.apply_verdict([stick])
    assert (stick.kind, stick.removable, stick.writable) == ("usb", True, True)
    assert any("/Volumes/UNTITLED" in w and "unmounted" in w for w in stick.warnings)


class _NoVolumeNames:
    def volume_name_for_mount_point(self, mount: str) -> str | None:
        return None


def test_volume_device_path_takes_ascii_drive_letters_only() -> None:
    # "ß:".upper() is "SS:" and "é:" is no drive: both went to CreateFileW as \\.\SS: / \\.\É:.
    assert winvolumes.volume_device_path("ß:", _NoVolumeNames()) is None  # type: ignore[arg-type]
    assert winvolumes.volume_device_path("é:\\", _NoVolumeNames()) is None  # type: ignore[arg-type]
    assert winvolumes.volume_device_path("e:\\", _NoVolumeNames()) == "\\\\.\\E:"  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60) | st.sampled_from(["ß:", "é:\\", "ǆ:/", "C:", "c:\\", "\\\\?\\Volume{x}\\"]))
def test_volume_device_path_on_any_mount_text(mount: str) -> None:
    path = winvolumes.volume_device_path(mount, _NoVolumeNames())  # type: ignore[arg-type]
    assert path is None or path.startswith(("\\\\.\\", "\\\\?\\Volume{"))
    if path and path.startswith("\\\\.\\"):
        assert len(path) == 6 and path[4].isalpha() and path[4].isupper() and path.endswith(":")


def test_access_paths_cut_by_a_shallow_depth_are_not_mount_points() -> None:
    # ConvertTo-Json -Depth too small (PowerShell 5.1's default is 2) writes the array's type name.
    doc = json.loads((REAL / "windows-github-runner-disks-partitions.json").read_text())
    for part in doc["Partitions"]:
        part["AccessPaths"] = "System.String[]"
    drives = by_name(windows.parse_storage_json(json.dumps(doc)))
    assert drives["0"].all_mountpoints() == ["C:\\"]  # from DriveLetter alone
    assert drives["1"].all_mountpoints() == ["D:\\"]
    assert drives["2"].all_mountpoints() == []


def test_uas_usb_ssd_reported_as_scsi_external_media_is_not_internal() -> None:
    # Written from the Win32_DiskDrive documentation (no published record found): a UAS-driven USB
    # SSD says InterfaceType SCSI and MediaType "External hard disk media".
    record = {
        "Index": 2,
        "Model": "Samsung PSSD T7 SCSI Disk Device",
        "InterfaceType": "SCSI",
        "MediaType": "External hard disk media",
        "PNPDeviceID": "SCSI\\DISK&VEN_SAMSUNG&PROD_PSSD_T7\\4&0&000000",
        "Size": 1000202273280,
    }
    assert windows.classify_diskdrive(record) == ("unknown", "scsi")
    (drive,) = windows.drives_from_diskdrives([record])
    assert drive.kind == "unknown" and not drive.removable and not drive.offered_by_default
