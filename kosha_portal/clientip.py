"""The one client address of a request, derived from the trusted-proxy setting.

Behind a reverse proxy every connection comes from the proxy, so ``REMOTE_ADDR`` names the proxy,
not the visitor. The proxy appends the address it saw to ``X-Forwarded-For``; everything left of
the entries our own proxies wrote was sent by the client and may be forged. Two settings say how
far to trust the header (docs/architecture.md, "Behind the proxy"):

- ``TRUSTED_PROXY_NETWORKS``: the proxies' addresses or networks. The chain is read from the right
  and the first address that is not a trusted proxy is the client; a request whose peer is not a
  trusted proxy is taken at its ``REMOTE_ADDR`` and its header ignored.
- ``TRUSTED_PROXY_COUNT``: the number of proxies in front of the server (used when no networks are
  set). The client is the address that many entries from the right of the header.

Neither set (the default): the header is ignored and ``REMOTE_ADDR`` is the client.

The rate limiter, django-axes (``AXES_CLIENT_IP_CALLABLE``) and its access log use this function,
so a lockout and a limit always name the same client."""

import ipaddress
from functools import lru_cache

from django.conf import settings

_CACHE_ATTR = "_kosha_client_ip"
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse(value: str) -> Address | None:
    value = value.strip().strip('"')
    if value.startswith("["):  # "[2001:db8::1]:443"
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


def trusted_networks() -> tuple:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXY_NETWORKS", ()) or ()))


def _is_trusted(address: Address, networks) -> bool:
    return any(address in network for network in networks)


def _forwarded_chain(request) -> list[Address | None]:
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return [_parse(part) for part in header.split(",") if part.strip()] if header else []


def _derive(request) -> str:
    remote = _parse(request.META.get("REMOTE_ADDR", "") or "")
    if remote is None:
        return ""  # no peer address (an internal request object); axes stores it as NULL
    networks = trusted_networks()
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if networks:
        if not _is_trusted(remote, networks):
            return str(remote)  # not from our proxy: its header is the client's own claim
        client = remote
        for hop in reversed(_forwarded_chain(request)):
            if hop is None:
                break  # garbage left of our proxies' entries: the last good hop is the client
            client = hop
            if not _is_trusted(hop, networks):
                break
        return str(client)
    if count > 0:
        chain = _forwarded_chain(request)
        if not chain:
            return str(remote)  # reached us without passing the proxy (e.g. a health check)
        hop = chain[-count] if len(chain) >= count else chain[0]
        return str(hop) if hop is not None else str(remote)
    return str(remote)


def client_ip(request) -> str:
    """The visitor's address as the trusted proxies report it ('' when the request has none)."""
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is None:
        cached = _derive(request)
        setattr(request, _CACHE_ATTR, cached)
    return cached


def client_rate_key(request) -> str:
    """The client address as a rate-limit key: an IPv4 address, or the /64 an IPv6 address is in
    (one subscriber holds a whole /64 and could otherwise rotate through it)."""
    ip = client_ip(request) or "unknown"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return ip
