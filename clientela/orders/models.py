"""The order book: products, orders of known customers, their renegotiations and payments."""

from typing import TypedDict

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.core.history import History
from clientela.core.locale import unit_is_counted
from clientela.core.models import BaseModel
from clientela.core.validators import business_date_check, text_length_check
from clientela.customers.models import Address, Customer


class DecimalSize(TypedDict):
    """The size of a decimal column, spread into its field: ``DecimalField(**AMOUNT)``."""

    max_digits: int
    decimal_places: int


QUANTITY: DecimalSize = {"max_digits": 12, "decimal_places": 3}
PRICE: DecimalSize = {"max_digits": 14, "decimal_places": 4}
AMOUNT: DecimalSize = {"max_digits": 14, "decimal_places": 2}


def business_currency() -> str:
    """The currency of the business (``CLIENTELA_CURRENCY``), read when a record is made."""
    return settings.CLIENTELA_CURRENCY


class Product(BaseModel):
    """Something the business makes or sells, with its list price."""

    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=20, default="pza")
    unit_price = models.DecimalField(_("unit price"), **PRICE, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, default=business_currency)
    lead_time_tolerance_days = models.PositiveSmallIntegerField(
        _("delivery tolerance (days)"),
        default=1,
        help_text=_("Deliveries later than the due date by more than this are flagged."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    history = History(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["category", "name"], name="product_category_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    @property
    def counted_in_pieces(self) -> bool:
        """Whether the product is counted in whole units (its unit is a piece, a box…)."""
        return unit_is_counted(self.unit)


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed")
    IN_PRODUCTION = "in_production", _("In production")
    READY = "ready", _("Ready")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class OrderEvent(models.TextChoices):
    """What the order book tells webhooks and the apps above it (``webhooks.registry``)."""

    CREATED = "order.created", _("An order was created")
    STATUS_CHANGED = "order.status_changed", _("An order changed status")


# Bought orders are the ones the customer committed to: neither drafts nor cancelled.
BOUGHT = ~models.Q(status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED])
# Bought orders with money still due ("Money owed").
OWING = BOUGHT & models.Q(total__gt=models.F("paid"))

# Delivered orders that arrived later than their tolerance allows.
LATE = models.Q(days_late__gt=models.F("tolerance_days"))

# The only moves an order's status may make; anything else is refused.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.DRAFT: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.IN_PRODUCTION, OrderStatus.CANCELLED}),
    OrderStatus.IN_PRODUCTION: frozenset({OrderStatus.READY, OrderStatus.CANCELLED}),
    OrderStatus.READY: frozenset({OrderStatus.DELIVERED, OrderStatus.CANCELLED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
# Orders with no move left (delivered, cancelled) are closed: they no longer change.
CLOSED_STATUSES = frozenset(status for status, moves in ORDER_TRANSITIONS.items() if not moves)


class Order(BaseModel):
    """What a known customer ordered, for delivery on a due date."""

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="orders", verbose_name=_("customer")
    )
    delivery_address = models.ForeignKey(
        Address,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("delivery address"),
    )
    # The order's number in the business's own system (a spreadsheet's "Folio"), stored
    # trimmed and in capitals; an import matches orders by it.
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    order_date = models.DateField(
        _("order date"), default=timezone.localdate, validators=[business_date_check]
    )
    due_date = models.DateField(_("due delivery date"), validators=[business_date_check])
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.DRAFT
    )
    currency = models.CharField(_("currency"), max_length=3, default=business_currency)
    # Kept by the services from the lines and payments, so lists need no aggregation.
    total = models.DecimalField(_("total"), **AMOUNT, default=0)
    paid = models.DecimalField(_("paid"), **AMOUNT, default=0)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    production_finished_on = models.DateField(
        _("production finished"), null=True, blank=True, validators=[business_date_check]
    )
    delivered_on = models.DateField(
        _("delivered"), null=True, blank=True, validators=[business_date_check]
    )
    # Kept by the services for the lead-time figures: the smallest delivery tolerance of
    # the order's products and, once delivered, the days after the due date (0 if on time).
    tolerance_days = models.PositiveSmallIntegerField(_("delivery tolerance (days)"), default=0)
    days_late = models.PositiveIntegerField(_("days late"), null=True, blank=True)
    cancel_reason = models.TextField(
        _("reason for cancelling"), blank=True, validators=[text_length_check]
    )
    notes = models.TextField(_("notes"), blank=True, validators=[text_length_check])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    history = History(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-order_date", "-id"]
        indexes = [
            models.Index(fields=["customer", "order_date"], name="order_customer_date"),
            models.Index(fields=["order_date", "id"], name="order_date_id"),
            models.Index(fields=["status", "due_date"], name="order_status_due"),
            # "Money owed" reads the owing orders earliest due first.
            models.Index(fields=["due_date", "id"], name="order_owing_due", condition=OWING),
            # The lead-time figures of a day are recomputed from that day's deliveries.
            models.Index(
                fields=["delivered_on"],
                name="order_delivered_on",
                condition=models.Q(delivered_on__isnull=False),
            ),
            # Deliveries outside tolerance, by day, with their customer and id (index-only
            # scans for the ranking of customers and the late-orders list).
            models.Index(
                fields=["delivered_on", "customer", "id"], name="order_late_day", condition=LATE
            ),
            # A customer's deliveries with every column their figures use (index-only
            # reads of the figures of a page of customers, however many orders they have).
            models.Index(
                fields=[
                    "customer",
                    "delivered_on",
                    "days_late",
                    "tolerance_days",
                    "production_finished_on",
                ],
                name="order_customer_delivered",
                condition=models.Q(delivered_on__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reference"],
                name="order_reference_unique",
                condition=~models.Q(reference=""),
            ),
            models.CheckConstraint(
                condition=models.Q(due_date__gte=models.F("order_date")),
                name="order_due_not_before_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(total__gte=0, paid__gte=0), name="order_amounts_not_negative"
            ),
            # Only delivered orders have a delivery date (and days late): the lead-time
            # figures read deliveries by date alone.
            models.CheckConstraint(
                condition=models.Q(delivered_on__isnull=True, days_late__isnull=True)
                | models.Q(status="delivered", delivered_on__isnull=False, days_late__isnull=False),
                name="order_delivery_only_when_delivered",
            ),
        ]

    def __str__(self) -> str:
        return _("Order %(number)s") % {"number": self.pk}

    @property
    def is_closed(self) -> bool:
        """Whether the order is delivered or cancelled, so it can no longer change."""
        return self.status in CLOSED_STATUSES

    @property
    def balance(self):
        """What is still owed; negative is a credit (paid in excess, or paid and cancelled)."""
        return (0 if self.status == OrderStatus.CANCELLED else self.total) - self.paid


class OrderLine(BaseModel):
    """One product of an order: how many, at what price, with what discount."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("product")
    )
    position = models.PositiveSmallIntegerField(default=0)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    unit_price = models.DecimalField(_("unit price"), **PRICE)
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=0
    )
    line_total = models.DecimalField(_("line total"), **AMOUNT, default=0)
    history = History(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["product", "order"], name="orderline_product_order")]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="orderline_one_per_product"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="orderline_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="orderline_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product.name}"


class OrderChange(BaseModel):
    """A renegotiation: what changed in a confirmed order, from what to what, who and why.

    ``changes`` is a list of ``{"what": "due_date" | "quantity" | "unit_price" |
    "discount_percent" | "line_added" | "line_removed" | ..., "product": sku or None,
    "old": str, "new": str}``.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    reason = models.TextField(_("reason"), validators=[text_length_check])
    changes = models.JSONField(_("changes"), default=list)

    class Meta:
        verbose_name = _("order change")
        verbose_name_plural = _("order changes")
        ordering = ["-created_at", "-id"]


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    TRANSFER = "transfer", _("Transfer")
    CREDIT = "credit", _("Credit (on account)")
    OTHER = "other", _("Other")


class Payment(BaseModel):
    """Money received for an order; several per order, partial allowed."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(
        _("paid on"), default=timezone.localdate, validators=[business_date_check]
    )
    amount = models.DecimalField(_("amount"), **AMOUNT)
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    # A payment above the balance is accepted only when the user says it leaves a credit.
    leaves_credit = models.BooleanField(_("leaves a credit"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    history = History(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payment_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.order.currency} ({self.get_method_display()})"


class DeliveryDay(models.Model):
    """The delivery figures of one day, for one product or (``product`` empty) whole orders.

    Kept by the order services whenever a delivery is recorded or corrected, so the
    lead-time report adds up a few rows per day instead of reading every order. The
    figures follow the rules of ``orders.selectors``: ``on_time`` counts deliveries no
    more days late than the tolerance (the product's, or the order's for whole orders);
    ``produced`` counts those with a production date, ``production_days_sum`` their
    production-to-delivery days.
    """

    day = models.DateField()
    product = models.ForeignKey(Product, on_delete=models.CASCADE, null=True, related_name="+")
    delivered = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    days_late_sum = models.PositiveIntegerField(default=0)
    days_late_max = models.PositiveIntegerField(default=0)
    produced = models.PositiveIntegerField(default=0)
    production_days_sum = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "product"],
                name="deliveryday_product",
                condition=models.Q(product__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["day"], name="deliveryday_orders", condition=models.Q(product__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.product_id or '*'}: {self.delivered}"
