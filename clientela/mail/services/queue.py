"""Queueing e-mail: the message is written with the caller's write and its sending
enqueued when that commits (``tasks.mail_deliver``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clientela.core.parsing import one_line, text_block
from clientela.core.validators import normalize_email
from clientela.mail.models import SUBJECT_LENGTH, OutgoingEmail


@transaction.atomic
def mail_queue(*, to: Sequence[str], subject: str, text: str, html: str = "") -> OutgoingEmail:
    """Queue a message to ``to`` (its plain ``text``, and ``html`` as an alternative);
    the worker sends it once the caller's transaction commits. Refuses, keyed by field,
    a missing or invalid address, an empty or too long subject and an empty text."""
    errors: dict[str, list[str]] = {}
    addresses = []
    for address in to:
        try:
            addresses.append(normalize_email(address))
        except ValidationError as error:
            errors.setdefault("to", []).extend(error.messages)
    if not to:
        errors["to"] = [_("A message needs at least one address to go to.")]
    subject = one_line(subject)
    if not subject:
        errors["subject"] = [_("A message needs a subject.")]
    elif len(subject) > SUBJECT_LENGTH:
        errors["subject"] = [
            _("The subject may have at most %(count)d characters.") % {"count": SUBJECT_LENGTH}
        ]
    text = text_block(text)
    if not text:
        errors["text"] = [_("A message needs a text.")]
    if errors:
        raise ValidationError(errors)
    email = OutgoingEmail.objects.create(to=addresses, subject=subject, text=text, html=html)
    from clientela.mail.tasks import mail_deliver  # the tasks import this package

    transaction.on_commit(lambda: mail_deliver.enqueue(email.pk))
    return email
