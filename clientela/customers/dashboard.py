"""The catalog's cards on the home page."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clientela.core.access import Capability, user_can
from clientela.core.models import User
from clientela.customers.selectors import customer_summary
from clientela.web.dashboard import DashboardCard


def customer_cards(user: User) -> list[DashboardCard]:
    """Customers, new this month and possible duplicates to review."""
    if not user_can(user, Capability.CUSTOMER_VIEW):
        return []
    summary = customer_summary(user=user)
    customers = reverse("customers:list")
    return [
        DashboardCard(_("Customers"), summary.total, customers, "people", _("See the list")),
        DashboardCard(
            _("New this month"),
            summary.new_this_month,
            f"{customers}?ordering=-created",
            "person-plus",
            _("Newest first"),
        ),
        DashboardCard(
            _("Possible duplicates"),
            summary.open_duplicates,
            reverse("customers:duplicates"),
            "intersect",
            _("Review them"),
            attention=summary.open_duplicates > 0,
        ),
    ]
