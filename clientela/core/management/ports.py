"""The port a command serves Clientela on: read from the command line, checked free."""

import argparse
import errno
import os
import socket

from django.core.management.base import CommandError
from django.utils.translation import gettext as _


def default_port() -> str:
    """The port Clientela is served on when none is given: ``CLIENTELA_PORT``, else 8000."""
    return os.environ.get("CLIENTELA_PORT", "8000")


def port_number(value: str) -> int:
    """A port from the command line (argparse's ``type``): 1 to 65535."""
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(_("a port is a number from 1 to 65535"))
    return int(value)


def port_in_use(host: str, port: int) -> bool:
    """Whether another program already listens on ``host:port``; CommandError if the
    address cannot be listened on for another reason."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return True
            raise CommandError(
                _("Cannot listen on %(host)s:%(port)s: %(reason)s")
                % {"host": host, "port": port, "reason": error.strerror}
            ) from error
    return False
