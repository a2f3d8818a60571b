"""Sending one queued message once: the worker's task (``tasks.mail_deliver``) calls
``mail_attempt`` and schedules the next attempt when it says so."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.mail.models import MailStatus, OutgoingEmail

# The waits before the second, third… attempt when the server fails for a while.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def mail_attempt(email: OutgoingEmail) -> timedelta | None:
    """Send ``email`` once and log the outcome; the wait before the next attempt when the
    server failed for a while (a refused connection, a 4xx answer), or None: sent, or
    refused for good (a 5xx answer), or out of attempts."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.to,
        connection=get_connection(fail_silently=False),
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    now = timezone.now()
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as refusal:
        codes = [code for code, _answer in refusal.recipients.values()]
        answers = "; ".join(
            f"{address}: {code} {answer.decode(errors='replace')}"
            for address, (code, answer) in refusal.recipients.items()
        )
        return _attempt_log(email, at=now, error=answers, lasting=all(c >= 500 for c in codes))
    except smtplib.SMTPResponseException as refusal:
        answer = refusal.smtp_error
        text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
        error = f"{refusal.smtp_code} {text}"
        return _attempt_log(email, at=now, error=error, lasting=refusal.smtp_code >= 500)
    except (smtplib.SMTPException, OSError) as failure:
        error = _("Could not reach the mail server: %(reason)s.") % {"reason": failure}
        return _attempt_log(email, at=now, error=error, lasting=False)
    return _attempt_log(email, at=now, error="", lasting=False, sent=True)


def _attempt_log(
    email: OutgoingEmail, *, at: datetime, error: str, lasting: bool, sent: bool = False
) -> timedelta | None:
    """Save an attempt's outcome; the wait before the next one, or None."""
    email.attempts += 1
    email.last_attempt_at = at
    email.error = error
    retry = None
    if sent:
        email.status, email.sent_at = MailStatus.SENT, at
    elif lasting or email.attempts >= MAX_ATTEMPTS:
        email.status = MailStatus.FAILED
    else:
        retry = RETRY_DELAYS[email.attempts - 1]
    email.save(update_fields=["attempts", "last_attempt_at", "error", "status", "sent_at"])
    return retry
