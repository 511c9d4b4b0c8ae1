"""The address of the client that made a request, for rate limits and logs.

    from newsroom.clientip import client_ip
    ip = client_ip(request)        # "203.0.113.7" or "2001:db8::1"

`REMOTE_ADDR` is the peer of this process. When that peer is one of our own
proxies (the `TRUSTED_PROXIES` setting: addresses or CIDR networks, e.g.
``["127.0.0.1", "10.0.0.0/8"]``), the client is found in `X-Forwarded-For`:
each proxy appends the address it received the request from, so the list is
read from the right, skipping our own proxies, and the first address that is
not ours is the client. Everything to the left of it was written by the client
and is ignored: a spoofed header cannot choose the address a limit counts.

With `TRUSTED_PROXIES` empty (the default) the header is never read.

For counting, `rate_key(ip)` groups an IPv6 client by its /64 network (one
home or one server usually holds a whole /64, so per-address limits on IPv6
would be trivial to dodge); IPv4 addresses are used as they are.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

UNKNOWN = "0.0.0.0"


def client_ip(request) -> str:
    """The client's address as a normalised string (never empty)."""
    remote = _parse(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        # Only a test client or a broken server omits REMOTE_ADDR; one shared
        # bucket for such requests is the safe choice for limits.
        return UNKNOWN
    networks = trusted_networks()
    if not networks or not _is_trusted(remote, networks):
        return str(remote)
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    client = remote
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # A trusted proxy wrote something that is not an address: stop at
            # the last hop we can vouch for rather than trust what follows.
            break
        client = address
        if not _is_trusted(address, networks):
            break
    return str(client)


def rate_key(ip: str) -> str:
    """What a per-client limit should count: the IPv4 address or the IPv6 /64."""
    address = _parse(ip)
    if address is None:
        return UNKNOWN
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: {entry!r} is not an IP address or network."
            ) from None
    return tuple(networks)


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def _parse(value: str) -> Address | None:
    """An address from REMOTE_ADDR or one X-Forwarded-For hop, or None.

    Hops may carry a port ("203.0.113.7:4711", "[2001:db8::1]:443"); IPv4
    addresses mapped into IPv6 ("::ffff:203.0.113.7") count as IPv4.
    """
    value = value.strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    value = value.split("%", 1)[0]  # an IPv6 zone id names a local interface
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
