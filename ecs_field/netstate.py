"""Is this laptop online? A cheap local guess, never a packet sent (the app is offline-first)."""

from __future__ import annotations

import ipaddress

import psutil


def is_online() -> bool:
    """True when a non-loopback interface is up with a routable (not link-local) address."""
    try:
        stats = psutil.net_if_stats()
        addresses = psutil.net_if_addrs()
    except (OSError, RuntimeError):
        return False
    for name, stat in stats.items():
        if not stat.isup:
            continue
        for address in addresses.get(name, []):
            try:
                ip = ipaddress.ip_address(address.address.split("%")[0])
            except ValueError:
                continue  # MAC addresses and the like
            if not (ip.is_loopback or ip.is_link_local or ip.is_unspecified):
                return True
    return False
