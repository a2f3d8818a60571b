"""The analysis's card on the home page: customers drifting away and the value at stake."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clientela.analytics.selectors import churn_totals
from clientela.core.access import Capability, user_can
from clientela.core.models import User
from clientela.web.dashboard import CardOrder, DashboardCard, dashboard_owner
from clientela.web.templatetags.clientela import money


def analytics_cards(user: User) -> list[DashboardCard]:
    """The customers the latest analysis flags as drifting away (the analytics
    dashboard's figure), with the value at stake, opening that same list. A
    salesperson counts their own customers (``dashboard_owner``)."""
    if not user_can(user, Capability.ANALYTICS_VIEW):
        return []
    owner = dashboard_owner(user)
    customers, at_stake = churn_totals(user=user, churn="at_risk", owner=owner)
    return [
        DashboardCard(
            pgettext_lazy("customer count", "Drifting away"),
            customers,
            reverse("analytics:scores") + "?churn=at_risk" + ("&mine=on" if owner else ""),
            "person-walking",
            _("Win them back"),
            attention=customers > 0,
            detail=_("Value at stake: %(amount)s") % {"amount": money(at_stake)},
            order=CardOrder.CUSTOMERS_AT_RISK,
        )
    ]
