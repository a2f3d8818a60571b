"""The events' card on the home page: the next event."""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clientela.core.access import Capability, user_can
from clientela.core.models import User
from clientela.events.selectors import event_next
from clientela.web.dashboard import CardOrder, DashboardCard


def event_cards(user: User) -> list[DashboardCard]:
    """The event on now or the next one: its name, when and where, opening its page."""
    if not user_can(user, Capability.EVENT_VIEW):
        return []
    today = timezone.localdate()
    event = event_next(today=today)
    if event is None:
        return [
            DashboardCard(
                _("Next event"),
                _("None planned"),
                reverse("events:list"),
                "shop",
                _("See the events"),
                order=CardOrder.PLANNING,
            )
        ]
    days = (event.start_date - today).days
    if days < 0:
        when = _("on now")
    elif days == 0:
        when = _("today")
    else:
        when = ngettext("in %(days)s day", "in %(days)s days", days) % {"days": days}
    return [
        DashboardCard(
            _("Next event"),
            event.name,
            reverse("events:detail", args=[event.pk]),
            "shop",
            _("Open it"),
            detail=f"{formats.date_format(event.start_date, 'DATE_FORMAT')} ({when}) · "
            f"{event.location}",
            order=CardOrder.PLANNING,
        )
    ]
