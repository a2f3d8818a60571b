"""The customer catalog: customers, their e-mails, phones, contacts, addresses and tags.

Every model keeps a field-level history (django-simple-history), read by record and by
customer: it keeps no copy of the catalog's other indexes, which only slowed each
write (an import writes a history record for every row of six tables). Child records name
the fields that must stay unique per customer in ``MERGE_UNIQUE_FIELDS`` so that a
merge drops the duplicate's copy instead of colliding.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from clientela.core.history import History
from clientela.core.models import BaseModel
from clientela.core.validators import business_date_check, text_length_check


class CustomerKind(models.TextChoices):
    PERSON = "person", _("Person")
    BUSINESS = "business", _("Business")


class CustomerSource(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    EVENT = "event", _("Event or fair")
    REFERRAL = "referral", _("Referral")
    DIRECTORY = "directory", _("Directory")
    WEB = "web", _("Web")
    PHONE = "phone", _("Phone")
    SOCIAL = "social", _("Social media")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    MAIL = "mail", _("Direct mail")
    IN_PERSON = "in_person", _("In person")


class CustomerEvent(models.TextChoices):
    """What the catalog tells webhooks and the apps above it (``webhooks.registry``)."""

    CREATED = "customer.created", _("A customer was created")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


LIVE = models.Q(merged_into__isnull=True)


class Customer(BaseModel):
    """A person or business that buys, bought or may buy from us."""

    kind = models.CharField(
        _("kind"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.BUSINESS
    )
    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=32, blank=True, db_index=True)
    tax_id_type = models.CharField(_("tax id type"), max_length=16, blank=True)
    # The customer's code in another system (a spreadsheet's "Código", an old CRM's id),
    # which an import may match on.
    external_id = models.CharField(_("external id"), max_length=64, blank=True, db_index=True)
    # The day the business started with the customer (a spreadsheet's "Alta"), which may
    # be long before the record was created here; empty: since the record was created.
    customer_since = models.DateField(
        _("customer since"), null=True, blank=True, validators=[business_date_check]
    )
    country = models.CharField(
        _("country"), max_length=2, default=settings.CLIENTELA_DEFAULT_COUNTRY
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_customers",
    )
    source = models.CharField(
        _("source"), max_length=16, choices=CustomerSource.choices, blank=True
    )
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("referred by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
    )
    consent_email = models.BooleanField(_("agrees to e-mail"), default=False)
    consent_phone = models.BooleanField(_("agrees to calls"), default=False)
    consent_sms = models.BooleanField(_("agrees to SMS and WhatsApp"), default=False)
    consent_mail = models.BooleanField(_("agrees to direct mail"), default=False)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=16, choices=Channel.choices, blank=True
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    notes = models.TextField(_("notes"), blank=True, validators=[text_length_check])
    version = models.PositiveIntegerField(_("version"), default=1)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_customers",
        db_index=False,  # indexed below for the few merged rows only
    )
    anonymized_at = models.DateTimeField(_("anonymised"), null=True, blank=True)
    # Derived by customer services for search and duplicate detection; never edited.
    name_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    search_document = models.TextField(blank=True, editable=False)
    # The newest interaction with the customer, either way; kept by the relations app's
    # ``interaction_record`` for "not contacted for N days".
    last_contacted_at = models.DateTimeField(
        _("last contact"), null=True, blank=True, editable=False
    )

    history = History(
        excluded_fields=["search_document", "name_key", "updated_at", "last_contacted_at"],
        no_db_index=["created_at", "tax_id", "external_id", "owner", "referred_by", "merged_into"],
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        # The lists read live customers (not merged into another) in these orders.
        indexes = [
            models.Index(fields=["name", "id"], name="live_customer_name", condition=LIVE),
            models.Index(fields=["created_at", "id"], name="live_customer_created", condition=LIVE),
            models.Index(
                fields=["owner", "name", "id"], name="live_customer_owner_name", condition=LIVE
            ),
            models.Index(fields=["merged_into"], name="merged_customer", condition=~LIVE),
            models.Index(
                fields=["last_contacted_at"], name="live_customer_contacted", condition=LIVE
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, never writing ``last_contacted_at`` back over a change made meanwhile:
        only the relations app's service moves it on, by an UPDATE of its own."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "last_contacted_at"
            ]
        super().save(*args, **kwargs)


class CustomerEmail(models.Model):
    # Found by customer through the unique constraint's index (customer first).
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="emails", db_index=False
    )
    email = models.CharField(_("e-mail"), max_length=254, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)
    history = History(no_db_index=["email"])

    MERGE_UNIQUE_FIELDS = ("email",)

    class Meta:
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "email"], name="customer_email_unique")
        ]

    def __str__(self) -> str:
        return self.email


class CustomerPhone(models.Model):
    # Found by customer through the unique constraint's index (customer first).
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="phones", db_index=False
    )
    number = models.CharField(_("phone"), max_length=20, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)
    history = History(no_db_index=["number"])

    MERGE_UNIQUE_FIELDS = ("number",)

    class Meta:
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "number"], name="customer_phone_unique")
        ]

    def __str__(self) -> str:
        return self.number


class CustomerTag(models.Model):
    # Found by customer through the unique constraint's index (customer first).
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="customer_tags", db_index=False
    )
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="customer_tags")
    history = History(no_db_index=["tag"])

    MERGE_UNIQUE_FIELDS = ("tag",)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [
            models.UniqueConstraint(fields=["customer", "tag"], name="customer_tag_unique")
        ]

    def __str__(self) -> str:
        return str(self.tag)


class Contact(BaseModel):
    """A person we deal with at a business customer (buyer, manager, accounts)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=100, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_primary = models.BooleanField(_("main contact"), default=False)
    notes = models.TextField(_("notes"), blank=True, validators=[text_length_check])
    version = models.PositiveIntegerField(_("version"), default=1)
    history = History(excluded_fields=["updated_at"], no_db_index=["created_at"])

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-is_primary", "name", "id"]

    def __str__(self) -> str:
        return self.name


class Address(BaseModel):
    """A delivery address of a customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(_("label"), max_length=100, blank=True)
    street = models.CharField(_("street and number"), max_length=200)
    neighborhood = models.CharField(_("neighbourhood"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("state or region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True, db_index=True)
    country = models.CharField(
        _("country"), max_length=2, default=settings.CLIENTELA_DEFAULT_COUNTRY
    )
    delivery_notes = models.TextField(
        _("delivery notes"), blank=True, validators=[text_length_check]
    )
    is_default = models.BooleanField(_("default address"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    history = History(excluded_fields=["updated_at"], no_db_index=["created_at", "postal_code"])

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "id"]
        indexes = [models.Index(fields=["city"], name="address_city")]

    def __str__(self) -> str:
        return ", ".join(p for p in [self.street, self.neighborhood, self.city] if p)


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("To review")
    DISMISSED = "dismissed", _("Not a duplicate")


class DuplicateReason(models.TextChoices):
    TAX_ID = "tax_id", _("same tax id")
    EMAIL = "email", _("same e-mail")
    PHONE = "phone", _("same phone")
    NAME_ADDRESS = "name_address", _("similar name at a similar address")


class DuplicateCandidate(models.Model):
    """Two customers that look like the same one; ``customer`` has the lower id."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(default=list)
    score = models.FloatField(default=1.0)
    status = models.CharField(
        max_length=16, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    found_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "other"], name="duplicate_pair_unique"),
            models.CheckConstraint(
                condition=models.Q(customer__lt=models.F("other")), name="duplicate_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.customer_id} ~ #{self.other_id}"

    def reason_labels(self) -> list[str]:
        return [str(DuplicateReason(r).label) for r in self.reasons]
