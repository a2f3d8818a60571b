"""Where webhooks may be sent: not to this machine, a private or a link-local network.

A subscription's URL is chosen by whoever holds the owner's password or token; without
this, it could make the server post to its own admin ports, the database's, or a cloud's
metadata address (server-side request forgery). An address given as such, or
``localhost``, is refused when the subscription is made; a name is checked as each
delivery connects, against the address it was resolved to (so a name that later points
inside is refused too), before anything is sent. ``CLIENTELA_WEBHOOKS_ALLOW_PRIVATE=1``
allows such receivers (a service on the same machine or network).
"""

import http.client
import ipaddress
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class PrivateAddress(OSError):
    """The receiver is on this machine or a private or link-local network."""


def _private(address: str) -> bool:
    """Whether an IP address is not a public one (loopback, private, link-local,
    reserved, multicast...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def private_url(url: str) -> bool:
    """Whether ``url`` names this machine or a private network by its address, or as
    localhost, and such receivers are not allowed (a name is checked on delivery)."""
    if settings.CLIENTELA_WEBHOOKS_ALLOW_PRIVATE:
        return False
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return _private(host)
    except ValueError:  # a name, not an address
        return False


class _Guarded:
    """A connection that refuses a private peer once connected, before a byte is sent."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        create = self._create_connection

        def connected(*args, **kwargs):
            sock = create(*args, **kwargs)
            address = sock.getpeername()[0]
            if not settings.CLIENTELA_WEBHOOKS_ALLOW_PRIVATE and _private(address):
                sock.close()
                raise PrivateAddress(
                    _(
                        "%(address)s is on this machine or a private network, where webhooks "
                        "are not sent"
                    )
                    % {"address": address}
                )
            return sock

        self._create_connection = connected


class _HTTPConnection(_Guarded, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_Guarded, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_HTTPSConnection, req, context=self._context)


# What deliveries are sent with: urllib's opener with the guarded connections (a
# redirect is followed through them too).
opener = urllib.request.build_opener(_HTTPHandler, _HTTPSHandler)
