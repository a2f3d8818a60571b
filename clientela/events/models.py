"""Event sales: fairs, markets and expos, what was brought and expected, what sold each day."""

from datetime import date, timedelta

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from clientela.core.history import History
from clientela.core.models import BaseModel
from clientela.core.validators import business_date_check, text_length_check
from clientela.events.forecast import last_day
from clientela.orders.models import PRICE, QUANTITY, Product


class EventKind(models.TextChoices):
    FAIR = "fair", _("Fair")
    MARKET = "market", _("Market")
    EXPO = "expo", _("Expo")
    TASTING = "tasting", _("Tasting")
    OTHER = "other", _("Other")


class Event(BaseModel):
    """A fair, market or expo where the business sells to people it does not know."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    location = models.CharField(_("location"), max_length=200)
    start_date = models.DateField(_("start date"), validators=[business_date_check])
    duration_days = models.PositiveSmallIntegerField(
        _("duration (days)"), default=1, validators=[MinValueValidator(1)]
    )
    notes = models.TextField(_("notes"), blank=True, validators=[text_length_check])
    # Set when the owner cancels an event that has sales (one without is deleted): it
    # stays, with its sales, but plans for later events leave it out.
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    # The version of the daily-sales grid, apart from the event's own: recording sales
    # does not make an open edit form of the event stale, nor the other way round.
    sales_version = models.PositiveIntegerField(
        _("version of the daily sales"), default=1, editable=False
    )
    history = History(excluded_fields=["updated_at", "sales_version"])

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["location", "start_date"], name="event_location_start"),
            models.Index(fields=["kind", "start_date"], name="event_kind_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_days__gte=1), name="event_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def end_date(self) -> date:
        """The last day of the event."""
        return last_day(self.start_date, self.duration_days)

    def days(self) -> list[date]:
        """Every day of the event, first to last."""
        count = (self.end_date - self.start_date).days + 1
        return [self.start_date + timedelta(days=n) for n in range(count)]


class EventProduct(BaseModel):
    """A product taken to an event: how much was brought, how much was expected to sell."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="event_items", verbose_name=_("product")
    )
    quantity_brought = models.DecimalField(_("quantity brought"), **QUANTITY)
    quantity_expected = models.DecimalField(_("quantity expected to sell"), **QUANTITY)
    unit_price = models.DecimalField(
        _("price at the event"), **PRICE, validators=[MinValueValidator(0)]
    )
    history = History(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("product at an event")
        verbose_name_plural = _("products at an event")
        ordering = ["event", "product__name"]
        constraints = [
            models.UniqueConstraint(fields=["event", "product"], name="event_product_once"),
            models.CheckConstraint(
                condition=models.Q(quantity_brought__gte=0, quantity_expected__gte=0),
                name="event_product_quantities_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="event_product_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} @ {self.event.name}"


class EventSale(BaseModel):
    """How much of a product sold on one day of an event."""

    item = models.ForeignKey(EventProduct, on_delete=models.CASCADE, related_name="sales")
    sold_on = models.DateField(_("day"), validators=[business_date_check])
    quantity = models.DecimalField(_("quantity sold"), **QUANTITY)
    history = History(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("daily sale")
        verbose_name_plural = _("daily sales")
        ordering = ["sold_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "sold_on"], name="event_sale_once_a_day"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=0), name="event_sale_quantity_not_negative"
            ),
        ]
