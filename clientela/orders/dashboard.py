"""The order book's cards on the home page: deliveries, orders to confirm, money owed."""

from datetime import timedelta
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clientela.core.access import Capability, user_can
from clientela.core.models import User
from clientela.orders.selectors import (
    OVERDUE,
    MoneyOwed,
    lead_time_late_orders,
    money_owed_totals,
    order_day,
)
from clientela.web.dashboard import CardOrder, DashboardCard, dashboard_owner
from clientela.web.templatetags.clientela import money


def _url(name: str, **query) -> str:
    """The page ``name`` with the query string of ``query`` (empty values left out)."""
    query = {key: value for key, value in query.items() if value}
    return reverse(name) + (f"?{urlencode(query)}" if query else "")


def _orders(count: int) -> str:
    return ngettext("%(count)s order", "%(count)s orders", count) % {"count": count}


def _owed(totals: list[MoneyOwed], part: str) -> tuple[str, int]:
    """The ``part`` (``"owed"`` or ``"overdue"``) of the money owed: its amounts, one per
    currency that has any, joined by " + " (zero without), and its number of orders."""
    amounts = [(getattr(row, part), row.currency) for row in totals]
    text = " + ".join(money(owed.amount, currency) for owed, currency in amounts if owed.orders)
    return text or money(0), sum(owed.orders for owed, _currency in amounts)


def order_cards(user: User) -> list[DashboardCard]:
    """Deliveries due today and overdue, late deliveries this week, and for who acts on
    them the drafts to confirm and the money owed (in all and overdue). A salesperson
    counts their own customers' orders (``dashboard_owner``)."""
    if not user_can(user, Capability.ORDER_VIEW):
        return []
    today = timezone.localdate()
    owner = dashboard_owner(user)
    mine = "on" if owner else ""
    day = order_day(user=user, owner=owner)
    yesterday = (today - timedelta(days=1)).isoformat()
    cards = [
        DashboardCard(
            _("Deliveries today"),
            day.due_today,
            _url(
                "orders:list",
                status="to_deliver",
                due_from=today.isoformat(),
                due_to=today.isoformat(),
                mine=mine,
            ),
            "truck",
            _("See them"),
            detail=_("Confirmed, due today"),
            order=CardOrder.TODAY,
        ),
        DashboardCard(
            _("Overdue deliveries"),
            day.overdue,
            _url("orders:list", status="to_deliver", due_to=yesterday, mine=mine),
            "alarm",
            _("See them"),
            attention=day.overdue > 0,
            detail=_("Due before today, not delivered"),
            order=CardOrder.TODAY,
        ),
    ]
    if user_can(user, Capability.ORDER_EDIT):
        cards.append(
            DashboardCard(
                _("Orders to confirm"),
                day.to_confirm,
                _url("orders:list", status="draft", mine=mine),
                "pencil-square",
                _("Confirm them"),
                attention=day.to_confirm > 0,
                detail=_("Drafts"),
                order=CardOrder.TODAY,
            )
        )
    if user_can(user, Capability.PAYMENT_RECORD):
        totals = money_owed_totals(user=user, owner=owner)
        owed, owed_orders = _owed(totals, "owed")
        overdue, overdue_orders = _owed(totals, "overdue")
        cards += [
            DashboardCard(
                _("Money owed"),
                owed,
                _url("orders:owing", mine=mine),
                "cash-coin",
                _("See who owes"),
                detail=_orders(owed_orders),
                order=CardOrder.MONEY,
            ),
            DashboardCard(
                _("Overdue payments"),
                overdue,
                _url("orders:owing", aging=OVERDUE.key, mine=mine),
                "hourglass-bottom",
                _("Collect them"),
                attention=overdue_orders > 0,
                detail=_orders(overdue_orders),
                order=CardOrder.MONEY,
            ),
        ]
    week_start = today - timedelta(days=today.weekday())
    late = lead_time_late_orders(
        user=user, date_from=week_start, date_to=today, owner=owner
    ).count()
    cards.append(
        DashboardCard(
            _("Late deliveries this week"),
            late,
            _url(
                "orders:late",
                date_from=week_start.isoformat(),
                date_to=today.isoformat(),
                mine=mine,
            ),
            "clock-history",
            _("See them"),
            attention=late > 0,
            detail=_("Delivered later than their tolerance"),
            order=CardOrder.PLANNING,
        )
    )
    return cards
