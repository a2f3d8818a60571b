"""The log of outgoing e-mail: one row per message, written when it is queued and
updated by each attempt to send it."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.core.models import BaseModel

SUBJECT_LENGTH = 255


class MailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutgoingEmail(BaseModel):
    """A message to send (or sent, or given up on): to whom, what, and how it went."""

    to = models.JSONField(_("to"), default=list)
    subject = models.CharField(_("subject"), max_length=SUBJECT_LENGTH)
    text = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=MailStatus.choices, default=MailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [models.Index(fields=["status", "id"], name="mail_status_id")]

    def __str__(self) -> str:
        return f"{', '.join(self.to)}: {self.subject}"
