"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd): the ``smtp`` fixture starts one
on a free port, points the settings at it and hands over its ``Inbox``, which keeps
the messages it accepted. A test folder's conftest.py imports the fixture from here."""

import email
import email.message
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An SMTP server's handler: keeps what it accepts; answers ``refuse`` (an SMTP
    reply, "451 …" or "550 …") to every recipient while it is set, and
    ``refusals[address]`` to that recipient."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = ""
        self.refusals: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.refuse or address in self.refusals:
            return self.refuse or self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """The messages accepted for ``address``."""
        return [message for message in self.messages if message["To"] == address]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free loopback port, the settings pointing at it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "Panadería La Espiga <ventas@espiga.mx>"
    yield inbox
    controller.stop()
