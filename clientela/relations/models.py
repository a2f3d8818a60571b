"""Relationship work: opportunities on a pipeline of stages, planned activities, every
contact with a customer (``Interaction``, the one table "we contacted them" lives in),
notes, the owner's contact-pressure limits and each user's agenda settings.

Interactions, activities, opportunities and notes are each indexed on
``(customer, when, id)``: the customer's timeline reads a keyset page of each and merges
them (decision 0015). Opportunities and activities carry a ``version`` that every
change claims, as customers and orders do, so a board move drawn from an older page is
refused.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientela.core.history import History
from clientela.core.models import BaseModel
from clientela.core.validators import business_date_check, text_length_check
from clientela.customers.models import Contact, Customer
from clientela.orders.models import AMOUNT, Order, Product, business_currency


class Translated(models.Model):
    """A record the owner names in English, Spanish and Russian (a stage, a lost reason)."""

    name = models.CharField(_("name (English)"), max_length=80)
    name_es = models.CharField(_("name (Spanish)"), max_length=80, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=80, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        """The name in the active language, or the English one when that is blank."""
        language = (get_language() or "en")[:2]
        return getattr(self, f"name_{language}", "") or self.name


class Stage(Translated):
    """A column of the pipeline: its order, its default probability, whether it closes."""

    probability = models.PositiveSmallIntegerField(
        _("default probability (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    is_won = models.BooleanField(_("won"), default=False)
    is_lost = models.BooleanField(_("lost"), default=False)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(is_won=True, is_lost=True), name="stage_won_or_lost"
            ),
            models.CheckConstraint(condition=models.Q(probability__lte=100), name="stage_pct"),
        ]

    @property
    def is_closed(self) -> bool:
        """Whether an opportunity here is decided (won or lost)."""
        return self.is_won or self.is_lost


class LostReason(Translated):
    """Why a deal was lost, from a list the owner edits; some ask which competitor."""

    asks_competitor = models.BooleanField(_("asks which competitor"), default=False)

    class Meta:
        verbose_name = _("lost reason")
        verbose_name_plural = _("lost reasons")
        ordering = ["position", "id"]


class OpportunitySource(models.TextChoices):
    INBOUND = "inbound", _("The customer asked")
    REFERRAL = "referral", _("Referral")
    EXISTING = "existing", _("Existing customer")
    OUTBOUND = "outbound", _("Our own outreach")
    EVENT = "event", _("Event or fair")
    WEB = "web", _("Web")
    CAMPAIGN = "campaign", _("Campaign")
    OTHER = "other", _("Other")


class OpportunityEvent(models.TextChoices):
    """What the pipeline tells webhooks and the apps above it (``webhooks.registry``)."""

    STAGE_CHANGED = "opportunity.stage_changed", _("An opportunity moved to another stage")
    WON = "opportunity.won", _("An opportunity was won")
    LOST = "opportunity.lost", _("An opportunity was lost")


class ActivityEvent(models.TextChoices):
    DUE = "activity.due", _("A planned activity fell due")


OPEN_OPPORTUNITY = models.Q(closed_at__isnull=True)


class Opportunity(BaseModel):
    """A deal we hope to make with a customer or a prospect (a customer with no purchase)."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="opportunities",
        db_index=False,  # the timeline's index starts with the customer
    )
    title = models.CharField(_("title"), max_length=200)
    value = models.DecimalField(_("value"), **AMOUNT, default=0, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, default=business_currency)
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities"
    )
    probability = models.PositiveSmallIntegerField(
        _("probability (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    expected_close = models.DateField(
        _("expected close"), null=True, blank=True, validators=[business_date_check]
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source = models.CharField(
        _("source"), max_length=16, choices=OpportunitySource.choices, blank=True
    )
    products = models.ManyToManyField(
        Product, verbose_name=_("products of interest"), blank=True, related_name="+"
    )
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True, validators=[text_length_check])
    lost_reason = models.ForeignKey(
        LostReason,
        verbose_name=_("lost reason"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    competitor = models.CharField(_("competitor"), max_length=200, blank=True)
    # When it was won or lost; empty while open.
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # When it reached its current stage (the board's "days in stage").
    stage_since = models.DateTimeField(_("in this stage since"), null=True, blank=True)
    # The draft order opened when it was won.
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    history = History(
        excluded_fields=["updated_at"],
        no_db_index=["created_at", "customer", "stage", "owner", "lost_reason", "order"],
    )

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "created_at", "id"], name="opportunity_timeline"),
            # The board: a stage's column, by owner, nearest close first.
            models.Index(
                fields=["owner", "stage", "expected_close", "id"], name="opportunity_board_owner"
            ),
            models.Index(fields=["stage", "expected_close", "id"], name="opportunity_board"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gte=0), name="opportunity_value"),
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="opportunity_pct"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OpportunityStageChange(models.Model):
    """One move of an opportunity between stages, kept for conversion and days per stage."""

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["at"], name="stage_change_at")]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SMS = "sms", _("SMS")
    MAIL = "mail", _("Direct mail")
    WEB_FORM = "web_form", _("Web form")
    IN_PERSON = "in_person", _("In person")
    SOCIAL = "social", _("Social network")
    EVENT = "event", _("At an event")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class Outcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    LEFT_MESSAGE = "left_message", _("Left a message")
    INTERESTED = "interested", _("Interested")
    NOT_INTERESTED = "not_interested", _("Not interested")
    COMPLAINT = "complaint", _("Complaint")
    ORDER_TAKEN = "order_taken", _("Order taken")
    OTHER = "other", _("Other")


class ActivityKind(models.TextChoices):
    CALL = "call", _("Call")
    VISIT = "visit", _("Visit")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("E-mail")
    TASK = "task", _("Task")


# The channel an activity of each kind contacts the customer on; a task contacts nobody.
ACTIVITY_CHANNELS: dict[str, str] = {
    ActivityKind.CALL: ContactChannel.PHONE,
    ActivityKind.VISIT: ContactChannel.IN_PERSON,
    ActivityKind.MEETING: ContactChannel.IN_PERSON,
    ActivityKind.EMAIL: ContactChannel.EMAIL,
}


class ActivityStatus(models.TextChoices):
    OPEN = "open", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Overridable(BaseModel):
    """A contact that may pass a pressure limit with a reason, kept with who gave it."""

    override_reason = models.TextField(
        _("reason to go over the contact limit"), blank=True, validators=[text_length_check]
    )
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("limit overridden by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True


class Activity(Overridable):
    """Something a member of staff plans to do: a call, a visit, a meeting, an e-mail, a task."""

    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True, validators=[text_length_check])
    due_at = models.DateTimeField(_("due"))
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), default=30, validators=[MaxValueValidator(24 * 60 * 14)]
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="activities",
        db_index=False,  # the customer's indexes start with it
    )
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    opportunity = models.ForeignKey(
        Opportunity,
        verbose_name=_("opportunity"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="activities",
    )
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The channel the activity contacts the customer on (from its kind), kept for the
    # pressure check's index; blank for a task.
    channel = models.CharField(
        _("channel"), max_length=16, choices=ContactChannel.choices, blank=True, editable=False
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ActivityStatus.choices, default=ActivityStatus.OPEN
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    # When the worker told webhooks the activity fell due (sent once).
    due_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    history = History(
        excluded_fields=["updated_at", "due_sent_at"],
        no_db_index=["created_at", "owner", "customer", "contact", "opportunity", "order"],
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["owner", "status", "due_at", "id"], name="activity_agenda"),
            models.Index(fields=["status", "due_at", "id"], name="activity_due"),
            models.Index(fields=["customer", "status", "due_at"], name="activity_pressure"),
            models.Index(fields=["customer", "due_at", "id"], name="activity_timeline"),
            models.Index(fields=["contact"], name="activity_contact"),
            models.Index(fields=["order"], name="activity_order"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def ends_at(self) -> datetime:
        """When the activity is planned to end."""
        return self.due_at + timedelta(minutes=self.duration_minutes)


class Interaction(Overridable):
    """One contact with a customer, on any channel, either way: the record every app writes."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="interactions",
        db_index=False,  # the indexes below start with it
    )
    channel = models.CharField(_("channel"), max_length=16, choices=ContactChannel.choices)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    at = models.DateTimeField(_("when"))
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    notes = models.TextField(_("notes"), blank=True, validators=[text_length_check])
    # What caused it, when something did: the activity done, later a campaign's message
    # or a ticket's reply.
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    history = History(
        excluded_fields=["updated_at"],
        no_db_index=["created_at", "customer", "contact", "staff", "source_type"],
    )

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["customer", "direction", "at"], name="interaction_pressure"),
            models.Index(fields=["customer", "at", "id"], name="interaction_timeline"),
            models.Index(fields=["at", "id"], name="interaction_at"),
            models.Index(fields=["staff", "at"], name="interaction_staff"),
            models.Index(fields=["source_type", "source_id"], name="interaction_source"),
            models.Index(fields=["contact"], name="interaction_contact"),
            models.Index(
                fields=["-created_at"],
                name="interaction_override",
                condition=~models.Q(override_reason=""),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="interaction_satisfaction",
            ),
        ]

    def __str__(self) -> str:
        return self.subject or str(self.get_channel_display())


class CustomerNote(BaseModel):
    """A note about a customer that records no contact; pinned ones head the customer page."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="customer_notes",
        db_index=False,
    )
    text = models.TextField(_("note"), validators=[text_length_check])
    pinned = models.BooleanField(_("pinned"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    history = History(
        excluded_fields=["updated_at"], no_db_index=["created_at", "customer", "author"]
    )

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-pinned", "-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "created_at", "id"], name="note_timeline")]

    def __str__(self) -> str:
        return self.text[:60]


class ContactLimit(models.Model):
    """At most ``max_contacts`` outbound contacts per customer in ``days`` days, on one
    channel or (blank channel) on all of them together."""

    channel = models.CharField(
        _("channel"), max_length=16, choices=ContactChannel.choices, blank=True, unique=True
    )
    max_contacts = models.PositiveSmallIntegerField(_("at most"), validators=[MinValueValidator(1)])
    days = models.PositiveSmallIntegerField(
        _("in days"), validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    history = History()

    class Meta:
        verbose_name = _("contact limit")
        verbose_name_plural = _("contact limits")
        ordering = ["channel"]

    def __str__(self) -> str:
        return f"{self.max_contacts}/{self.days}"


class AgendaSettings(models.Model):
    """A user's calendar feed (the secret's digest, never the secret) and morning digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agenda_settings"
    )
    feed_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    feed_created_at = models.DateTimeField(null=True, blank=True)
    morning_digest = models.BooleanField(
        _("send me my day's activities each morning"), default=False
    )
    digest_sent_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("agenda settings")
        verbose_name_plural = _("agenda settings")

    def __str__(self) -> str:
        return str(self.user)
