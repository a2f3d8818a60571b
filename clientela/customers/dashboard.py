"""The catalog's cards on the home page."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clientela.core.access import Capability, user_can
from clientela.core.models import User
from clientela.customers.selectors import customer_summary
from clientela.web.dashboard import CardOrder, DashboardCard


def customer_cards(user: User) -> list[DashboardCard]:
    """Customers, new this month and possible duplicates to review."""
    if not user_can(user, Capability.CUSTOMER_VIEW):
        return []
    summary = customer_summary(user=user)
    customers = reverse("customers:list")
    month_start = timezone.localdate().replace(day=1)
    return [
        DashboardCard(
            _("Customers"),
            summary.total,
            customers,
            "people",
            _("See the list"),
            order=CardOrder.CATALOG,
        ),
        DashboardCard(
            _("New this month"),
            summary.new_this_month,
            f"{customers}?new_since={month_start.isoformat()}&ordering=-created",
            "person-plus",
            _("See them"),
            order=CardOrder.CATALOG,
        ),
        DashboardCard(
            _("Possible duplicates"),
            summary.open_duplicates,
            reverse("customers:duplicates"),
            "intersect",
            _("Review them"),
            attention=summary.open_duplicates > 0,
            order=CardOrder.REVIEW,
        ),
    ]
