"""Webhook subscriptions and the log of every delivery: to a subscription's URL, or to
an in-process subscriber."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.core.models import BaseModel
from clientela.webhooks.registry import SUBSCRIBER_NAME_LENGTH, event_choices


class WebhookSubscription(BaseModel):
    """An address that receives the chosen events as signed JSON."""

    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("secret"), max_length=200)
    events = models.JSONField(_("event types"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(BaseModel):
    """One event sent to one receiver: a subscription (POSTed to its URL) or an
    in-process subscriber (run by the worker, ``registry.event_subscribe``); its
    payload and how its attempts went."""

    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    subscriber = models.CharField(_("subscriber"), max_length=SUBSCRIBER_NAME_LENGTH, blank=True)
    event = models.CharField(_("event type"), max_length=40, choices=event_choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["subscription", "-id"], name="delivery_subscription"),
            models.Index(
                fields=["subscriber", "-id"],
                name="delivery_subscriber",
                condition=~models.Q(subscriber=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subscription__isnull=False, subscriber="")
                | models.Q(subscription__isnull=True) & ~models.Q(subscriber=""),
                name="delivery_one_receiver",
            )
        ]

    @property
    def kind(self) -> str:
        """``webhook`` for a subscription's delivery, ``subscriber`` for an in-process one."""
        return "webhook" if self.subscription_id else "subscriber"
