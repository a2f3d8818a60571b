"""Campaigns: saved segments of customers, campaigns on them and their members
(decision 0016).

A segment keeps its conditions as JSON (``conditions.py`` says what they may ask); its
members are found when asked, by the same query the live count, the list, the export,
the API and a campaign's launch use.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from clientela.core.history import History
from clientela.core.models import BaseModel
from clientela.core.validators import business_date_check, text_length_check
from clientela.customers.models import Customer
from clientela.orders.models import AMOUNT, Product, business_currency
from clientela.relations.models import Outcome

NAME_LENGTH = 120


class Segment(BaseModel):
    """A named group of customers: the conditions they meet, who made it, and whether
    the rest of the staff see and use it."""

    name = models.CharField(_("name"), max_length=NAME_LENGTH)
    description = models.TextField(_("description"), blank=True, validators=[text_length_check])
    conditions = models.JSONField(_("conditions"), default=list)
    shared = models.BooleanField(_("shared with the staff"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    history = History()

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="segment_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    CALL = "call", _("Call list")
    MAIL = "mail", _("Direct mail")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    FINISHED = "finished", _("Finished")


class ConversionRule(models.TextChoices):
    ANY_ORDER = "any_order", _("Any order")
    PRODUCTS = "products", _("An order with given products")
    AMOUNT = "amount", _("An order of at least an amount")


class CampaignEvent(models.TextChoices):
    """What campaigns tell webhooks (``webhooks.registry``)."""

    LAUNCHED = "campaign.launched", _("A campaign was launched")
    FINISHED = "campaign.finished", _("A campaign finished")


class Campaign(BaseModel):
    """A campaign: whom (a segment), how (a channel), when, at what cost, with which
    offer, what counts as a conversion and for how long, and how many are held out."""

    name = models.CharField(_("name"), max_length=NAME_LENGTH)
    objective = models.TextField(_("objective"), blank=True, validators=[text_length_check])
    segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("segment")
    )
    channel = models.CharField(_("channel"), max_length=8, choices=CampaignChannel.choices)
    starts_on = models.DateField(_("starts"), validators=[business_date_check])
    ends_on = models.DateField(_("ends"), validators=[business_date_check])
    currency = models.CharField(_("currency"), max_length=3, default=business_currency)
    cost_fixed = models.DecimalField(
        _("fixed cost"), **AMOUNT, default=0, validators=[MinValueValidator(0)]
    )
    cost_per_contact = models.DecimalField(
        _("cost per contact"), **AMOUNT, default=0, validators=[MinValueValidator(0)]
    )
    offer = models.TextField(_("offer"), blank=True, validators=[text_length_check])
    conversion_rule = models.CharField(
        _("counts as a conversion"),
        max_length=10,
        choices=ConversionRule.choices,
        default=ConversionRule.ANY_ORDER,
    )
    conversion_products = models.ManyToManyField(
        Product, blank=True, related_name="+", verbose_name=_("conversion products")
    )
    conversion_amount = models.DecimalField(
        _("conversion order amount"),
        **AMOUNT,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    attribution_days = models.PositiveSmallIntegerField(
        _("attribution window (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    holdout_percent = models.PositiveSmallIntegerField(
        _("hold-out (%)"), default=10, validators=[MaxValueValidator(50)]
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    send_rate = models.PositiveIntegerField(
        _("messages per minute"),
        default=600,
        validators=[MinValueValidator(1), MaxValueValidator(60000)],
    )
    seed = models.PositiveIntegerField(_("random seed"), default=0)
    # Bumped each time sending starts (launch, resume): batches of an older round stop, so
    # a quick pause and resume never leaves two workers sending at twice the rate.
    send_round = models.PositiveIntegerField(default=0, editable=False)
    launched_at = models.DateTimeField(_("launched"), null=True, blank=True)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("launched by"),
    )
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    history = History(excluded_fields=["send_round"])

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


class BodyFormat(models.TextChoices):
    MARKDOWN = "markdown", _("Markdown")
    HTML = "html", _("Simple HTML")


class CampaignMessage(BaseModel):
    """What a campaign says: an e-mail's subject and body, a letter's text or a call's
    script, as a sandboxed template (``personalisation``); one version per language,
    the one without a language for everyone else."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="messages")
    language = models.CharField(_("language"), max_length=8, blank=True, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200, blank=True)  # messages.SUBJECT_LENGTH
    body = models.TextField(_("body"), validators=[text_length_check])
    body_format = models.CharField(
        _("format"), max_length=8, choices=BodyFormat.choices, default=BodyFormat.MARKDOWN
    )

    class Meta:
        verbose_name = _("campaign message")
        verbose_name_plural = _("campaign messages")
        ordering = ["campaign", "language"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "language"], name="message_language"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.language or '*'}"


class MemberGroup(models.TextChoices):
    CONTACTED = "contacted", _("To contact")
    HOLDOUT = "holdout", _("Hold-out")
    SET_ASIDE = "set_aside", _("Set aside")


class SetAsideReason(models.TextChoices):
    CONSENT = "consent", _("No consent for the channel")
    PRESSURE = "pressure", _("Contact limit reached")
    NO_ADDRESS = "no_address", _("No address for the channel")
    ANONYMISED = "anonymised", _("Anonymised")


class MemberState(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    UNKNOWN = "unknown", _("Interrupted while sending")
    BOUNCED = "bounced", _("Bounced")
    REFUSED = "refused", _("Refused at sending")
    DONE = "done", _("Done")


class CampaignMember(models.Model):
    """A customer frozen into a campaign at its launch: their group (contacted, held
    out, set aside with the reason), their Pareto class then, and how their contact
    went."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="campaign_memberships"
    )
    group = models.CharField(_("group"), max_length=10, choices=MemberGroup.choices)
    reason = models.CharField(
        _("set aside because"), max_length=10, choices=SetAsideReason.choices, blank=True
    )
    pareto_class = models.CharField(_("Pareto class at launch"), max_length=1, blank=True)
    state = models.CharField(
        _("state"), max_length=8, choices=MemberState.choices, blank=True, default=""
    )
    error = models.TextField(_("error"), blank=True)
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("caller"),
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    contacted_at = models.DateTimeField(_("contacted"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    # Sending an e-mail (services.sending): when the member was last taken for sending,
    # and how many times the mail server asked to try again later.
    claimed_at = models.DateTimeField(_("taken for sending"), null=True, blank=True)
    deferrals = models.PositiveSmallIntegerField(_("sends put off"), default=0)

    class Meta:
        verbose_name = _("campaign member")
        verbose_name_plural = _("campaign members")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="member_unique"),
        ]
        indexes = [
            models.Index(fields=["campaign", "group", "state", "id"], name="member_work"),
            models.Index(fields=["customer"], name="member_customer"),
            models.Index(fields=["campaign", "caller", "state"], name="member_caller"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.customer_id}"
