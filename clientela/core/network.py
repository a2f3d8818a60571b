"""The address a request comes from, behind reverse proxies or not.

Behind a proxy every request arrives from the proxy's address, so login throttling by
address would lock everybody out at once. The addresses in ``CLIENTELA_TRUSTED_PROXIES``
(addresses or networks, comma-separated) are the proxies in front of Clientela: a request
arriving from one is taken to come from the last address of its ``X-Forwarded-For`` that
is not another trusted proxy (each proxy adds the address it was reached from at the
end). From anywhere else the header is ignored, as anybody can send it.
"""

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest


@cache
def _networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.CLIENTELA_TRUSTED_PROXIES)))


def client_address(request: HttpRequest) -> str:
    """The client's address: the connection's, or the one a trusted proxy says it was
    reached from (see the module)."""
    address = request.META.get("REMOTE_ADDR", "")
    if not _trusted(address):
        return address
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed([hop.strip() for hop in forwarded if hop.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # not an address: what is left of it was not written by a proxy
        if not _trusted(hop):
            return hop
        address = hop
    return address
