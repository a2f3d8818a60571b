"""Where e-mail goes when no SMTP server is configured: one ``.eml`` file per message in
the data folder's ``outbox/`` (``CLIENTELA_EMAIL_OUTBOX``), which any mail program
opens. Django's own file backend writes several messages to a ``.log`` file instead."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone


class OutboxFolderBackend(BaseEmailBackend):
    """Writes each message as ``<time>-<random>.eml`` in ``CLIENTELA_EMAIL_OUTBOX``."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = Path(settings.CLIENTELA_EMAIL_OUTBOX)
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
            path = folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
            path.write_bytes(message.message().as_bytes(linesep="\r\n"))
        return len(email_messages)
