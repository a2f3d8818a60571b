"""Relationship work's cards on the home page: the consolidation view of seed 000 — the
key customers nobody spoke to lately, and those drifting away with nothing planned."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clientela.core.access import Capability, user_can
from clientela.core.models import User
from clientela.relations.selectors import consolidation_list
from clientela.web.dashboard import CardOrder, DashboardCard, dashboard_owner


def relation_cards(user: User) -> list[DashboardCard]:
    """The two consolidation lists' counts, each opening its list; a salesperson counts
    their own customers (``dashboard_owner``)."""
    if not user_can(user, Capability.ANALYTICS_VIEW):
        return []
    owner = dashboard_owner(user)
    days = settings.CLIENTELA_NO_CONTACT_DAYS
    mine = "&mine=on" if owner else ""
    key = consolidation_list(user=user, which="key_not_contacted", days=days, owner=owner)
    drifting = consolidation_list(user=user, which="drifting_unplanned", days=days, owner=owner)
    key_count, drifting_count = key.count(), drifting.count()
    return [
        DashboardCard(
            _("Key customers not contacted"),
            key_count,
            f"{reverse('relations:consolidation', args=['key_not_contacted'])}?days={days}{mine}",
            "star",
            _("Plan the calls"),
            attention=key_count > 0,
            detail=_("Class A and Champions with no contact in %(days)d days") % {"days": days},
            order=CardOrder.CUSTOMERS_AT_RISK,
        ),
        DashboardCard(
            _("Drifting away, nothing planned"),
            drifting_count,
            f"{reverse('relations:consolidation', args=['drifting_unplanned'])}?days={days}{mine}",
            "calendar-x",
            _("Plan the calls"),
            attention=drifting_count > 0,
            detail=_("At risk of leaving, with no activity planned"),
            order=CardOrder.CUSTOMERS_AT_RISK,
        ),
    ]
