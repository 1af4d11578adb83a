from __future__ import annotations

import pytest

from ecs_field.hardware.parsers.common import ParseError, infer_hybrid_split
from ecs_field.hardware.parsers.dmidecode import parse_dmidecode
from tests.unit.hardware.conftest import FIXTURES


def facts(name: str):  # type: ignore[no-untyped-def]
    return parse_dmidecode((FIXTURES / name).read_text())


def test_nuc11_system_board_bios_cpu_memory() -> None:
    f = facts("nuc11tnhi5-dmidecode.txt")
    p = f.platform
    assert (p.vendor, p.product, p.board, p.family) == (
        "Intel(R) Client Systems",
        "NUC11TNHi5",
        "NUC11TNBi5",
        "TN",
    )
    assert p.board_vendor == "Intel Corporation"
    assert p.bios_version.startswith("TNTGL357")
    assert f.cpu.model.startswith("11th Gen Intel(R) Core(TM) i5-1135G7")
    assert (f.cpu.vendor, f.cpu.cores, f.cpu.threads, f.cpu.sockets) == ("GenuineIntel", 4, 8, 1)
    assert f.cpu.hybrid is False  # 4 cores, 8 threads: every core has two threads
    assert {"nx", "vmx"} <= set(f.cpu.flags)
    assert f.memory_bytes == 32 << 30


def test_blank_product_name_stays_empty_and_board_is_kept() -> None:
    f = facts("nuc11tnhv7-dmidecode-empty-product.txt")
    assert f.platform.product == ""
    assert f.platform.version == ""
    assert f.platform.board == "NUC11TNBv7"
    assert f.memory_bytes == 8 << 30  # the empty slot counts nothing


def test_hybrid_cores_from_counts() -> None:
    f = facts("nuc12wshi7-dmidecode.txt")
    assert (f.cpu.cores, f.cpu.threads, f.cpu.p_cores, f.cpu.e_cores) == (12, 16, 4, 8)
    assert f.cpu.hybrid is True
    asus = facts("nuc13anh-b-asus-dmidecode.txt")
    assert (asus.platform.vendor, asus.platform.product, asus.platform.board) == (
        "ASUSTeK COMPUTER INC.",
        "NUC13ANH-B",
        "NUC13ANB-M",
    )
    assert asus.cpu.hybrid is True


def test_lenovo_model_name_in_version_and_placeholders_dropped() -> None:
    lenovo = facts("lenovo-m70q-gen2-dmidecode.txt").platform
    assert (lenovo.vendor, lenovo.product, lenovo.version) == (
        "LENOVO",
        "11MY003MRU",
        "ThinkCentre M70q Gen 2",
    )
    generic = facts("rtl8125-minipc-dmidecode.txt")
    assert generic.platform.product == "" and generic.platform.vendor == ""
    assert generic.memory_bytes == 16 << 30  # "16384 MB"
    assert generic.cpu.hybrid is None  # 4 cores, 4 threads: the counts cannot tell


def test_infer_hybrid_split_only_when_counts_say_so() -> None:
    assert infer_hybrid_split("GenuineIntel", 12, 16) == (4, 8)
    assert infer_hybrid_split("GenuineIntel", 4, 8) == (4, 0)
    assert infer_hybrid_split("GenuineIntel", 4, 4) is None
    assert infer_hybrid_split("AuthenticAMD", 12, 16) is None


def test_truncated_header_and_wrong_subset() -> None:
    text = (FIXTURES / "nuc11tnhi5-dmidecode.txt").read_text()
    cut = text[: text.index("DMI type 4") - 8]
    with pytest.raises(ParseError) as exc:
        parse_dmidecode(cut)
    assert exc.value.line == len(cut.splitlines())
    only_memory = "Handle 0x0041, DMI type 17, 92 bytes\nMemory Device\n\tSize: 8 GB\n"
    with pytest.raises(ParseError, match="no System"):
        parse_dmidecode(only_memory)
