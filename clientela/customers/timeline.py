"""A customer's timeline: everything that happened to them, from every app, newest first.

The catalog contributes its change history; later apps (orders, interactions, tickets)
register their own source with ``timeline_register`` and their items appear in the same
list without the customer page knowing about them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from clientela.core.models import User
from clientela.customers.models import Customer
from clientela.customers.selectors import FieldChange, customer_history


@dataclass
class TimelineItem:
    """One event on a customer's timeline."""

    when: datetime
    kind: str  # the source: "history", later "order", "interaction"…
    title: str
    label: str = ""  # a short badge: "created", "changed"…
    who: str = ""
    reason: str = ""
    changes: list[FieldChange] = field(default_factory=list)
    url: str = ""
    icon: str = "clock-history"  # a Bootstrap Icons name


TimelineSource = Callable[[Customer, User], Iterable[TimelineItem]]
_sources: dict[str, TimelineSource] = {}


def timeline_register(kind: str, source: TimelineSource) -> None:
    """Add a source of timeline items; apps call this from ``AppConfig.ready()``."""
    _sources[kind] = source


ACTION_LABELS = {"created": _("created"), "changed": _("changed"), "deleted": _("deleted")}
ACTION_ICONS = {"created": "plus-circle", "changed": "pencil", "deleted": "trash"}


def history_items(customer: Customer, user: User) -> list[TimelineItem]:
    """The catalog's change history as timeline items."""
    return [
        TimelineItem(
            when=entry.when,
            kind="history",
            title=entry.subject,
            label=str(ACTION_LABELS.get(entry.action, entry.action)),
            who=entry.who,
            reason=entry.reason,
            changes=entry.changes,
            icon=ACTION_ICONS.get(entry.action, "clock-history"),
        )
        for entry in customer_history(customer=customer)
    ]


timeline_register("history", history_items)


def customer_timeline(*, customer: Customer, user: User) -> list[TimelineItem]:
    """Every registered source's items for the customer, newest first."""
    items = [item for source in _sources.values() for item in source(customer, user)]
    items.sort(key=lambda item: item.when, reverse=True)
    return items
