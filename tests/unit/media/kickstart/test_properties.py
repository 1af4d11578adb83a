"""Property tests: any input gives Problems or settings, never a traceback; what we write, we accept."""

from __future__ import annotations

import ipaddress
import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ecs_field.media.kickstart.cryptpw import sha512_crypt
from ecs_field.media.kickstart.model import RawSettings, check_settings, settings_from_site
from ecs_field.media.kickstart.render import render_kickstart
from ecs_field.media.kickstart.validate import COMMANDS, SECTIONS, kickstart_facts, validate_kickstart

HASH = sha512_crypt("xQaT3#A-example", "saltsaltsaltsalt")
SEVERITIES = {"error", "warning"}


def _lines(text: str) -> int:
    return len(re.split(r"\r\n|\r|\n", text))


def _sane(found: list, text_lines: int) -> None:
    for problem in found:
        assert problem.severity in SEVERITIES and problem.message
        assert problem.line is None or 1 <= problem.line <= max(text_lines, 1)


@given(st.text(max_size=2000))
def test_any_text_gives_problems_only(text: str) -> None:
    _sane(validate_kickstart(text, "ks.cfg"), _lines(text))


@given(st.binary(max_size=2000))
def test_any_bytes_give_problems_only(data: bytes) -> None:
    _sane(validate_kickstart(data, "ks.cfg"), data.count(b"\n") + data.count(b"\r") + 1)


_WORDS = [*COMMANDS, *SECTIONS, "#", "%end", "timezone", "esxcli", "vim-cmd"]
_OPTIONS = sorted({name for spec in COMMANDS.values() for name in spec.options} | {"--vlan", "--x"})
_VALUES = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ["10.0.0.1", "255.255.255.0", "vmnic0", "dhcp", "static", "local", "usb", HASH, "4094", '"a b"']
    ),
)
_LINE = st.builds(
    lambda word, options: " ".join([word, *options]),
    st.sampled_from(_WORDS),
    st.lists(
        st.one_of(
            st.sampled_from(_OPTIONS),
            st.builds(lambda o, v: f"{o}={v}", st.sampled_from(_OPTIONS), _VALUES),
            _VALUES,
        ),
        max_size=6,
    ),
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, max_size=25))
def test_random_kickstarts_of_real_words_give_problems_only(lines: list[str]) -> None:
    text = "\n".join(lines)
    _sane(validate_kickstart(text, "ks.cfg"), _lines(text))


_ANY = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(-10, 5000),
    st.booleans(),
    st.lists(st.text(max_size=15), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@given(
    st.fixed_dictionaries(
        {name: _ANY for name in ("hostname", "ip", "gateway", "dns", "vlan", "ntp", "nic", "disk", "prefix")}
    )
)
def test_any_values_give_settings_or_named_problems(values: dict) -> None:
    result, problems = check_settings(RawSettings(**values))
    assert (result is None) == bool(problems)
    for problem in problems:
        assert str(problem).startswith("--")
    if result is not None:  # whatever we accept renders into a kickstart we accept
        found = validate_kickstart(render_kickstart(result, HASH), "ks.cfg")
        assert [p for p in found if p.is_error] == [], found


@given(st.dictionaries(st.text(max_size=10), _ANY, max_size=10), st.text(min_size=1, max_size=20))
def test_any_site_mapping_gives_defaults_and_warnings(mapping: dict, site: str) -> None:
    raw, warnings = settings_from_site(mapping, site)
    assert all(isinstance(w, str) for w in warnings)
    check_settings(RawSettings(hostname="esx01", ip="10.0.0.5/24").filled_from(raw))


_LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?\Z")


@st.composite
def _good_values(draw: st.DrawFn) -> dict:
    prefix = draw(st.integers(8, 30))
    network = ipaddress.IPv4Network((draw(st.integers(0x0B000000, 0xDF000000)), prefix), strict=False)
    assume(not (network.is_loopback or network.is_link_local or network.is_multicast or network.is_reserved))
    hosts = network.num_addresses - 2
    first, second = draw(st.lists(st.integers(1, hosts), min_size=2, max_size=2, unique=True))
    labels = draw(st.lists(_LABEL, min_size=1, max_size=3))
    assume(not labels[-1].isdigit())
    dns = [
        ipaddress.IPv4Address(a)
        for a in draw(st.lists(st.integers(0x0B000000, 0xDF000000), min_size=1, max_size=2, unique=True))
    ]
    assume(not any(a.is_loopback or a.is_link_local for a in dns))
    return {
        "hostname": ".".join(labels),
        "ip": f"{network.network_address + first}/{prefix}",
        "gateway": str(network.network_address + second),
        "dns": ",".join(str(a) for a in dns),
        "vlan": draw(st.one_of(st.none(), st.integers(1, 4094).map(str))),
        "ntp": draw(
            st.one_of(
                st.none(),
                st.lists(_LABEL.filter(lambda x: not x.isdigit()), min_size=1, max_size=3, unique=True).map(
                    ",".join
                ),
            )
        ),
        "nic": draw(st.one_of(st.none(), st.integers(0, 31).map(lambda n: f"vmnic{n}"))),
        "disk": draw(st.sampled_from([None, "local", "first", "naa.5000c500a1b2c3d4"])),
    }


@settings(suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(_good_values())
def test_good_values_round_trip_through_the_kickstart(values: dict) -> None:
    result, problems = check_settings(RawSettings(**values))
    assert result is not None, problems
    text = render_kickstart(result, HASH)
    assert validate_kickstart(text, "ks.cfg") == []
    network = next(line for line in text.splitlines() if line.startswith("network "))
    assert f"--ip={values['ip'].split('/')[0]} " in network
    assert f"--netmask={result.netmask} " in network and f"--hostname={values['hostname']}" in network
    if values["vlan"]:
        assert f"--vlanid={int(values['vlan'])}" in network


@given(st.lists(_LINE, max_size=25))
def test_facts_of_random_kickstarts_are_text(lines: list[str]) -> None:
    facts = kickstart_facts("\n".join(lines))
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in facts.items())
    if HASH in repr(facts):  # only when another command carries it, never taken from rootpw
        assert any(HASH in line and not line.startswith("rootpw") for line in lines)
