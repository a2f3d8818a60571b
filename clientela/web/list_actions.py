"""Actions a higher app offers on lower apps' lists of customers ("Save as segment").

A list page that can describe what it shows as segment conditions (decision 0016) hands
them to ``{% list_actions conditions default_name %}`` (the ``clientela`` template
tags); each action registered here, from an ``AppConfig.ready()``, is drawn with them
for users whose role grants its capability. A list that cannot describe its filters
passes ``None`` and shows no action. The lower app names no higher one.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import formats, timezone


@dataclass(frozen=True)
class ListAction:
    """A template drawn on customer lists, given ``conditions`` (a list of condition
    dicts) and ``default_name`` (a name for what is saved), for users with
    ``capability``."""

    template: str
    capability: str | None = None
    order: int = 100


_actions: dict[str, ListAction] = {}


def list_action_register(
    name: str, template: str, capability: str | None = None, *, order: int = 100
) -> None:
    """Add (or replace) the list action ``name``: ``template`` drawn on customer lists for
    users with ``capability`` (everyone: ``None``)."""
    _actions[name] = ListAction(template, capability, order)


def list_actions_for(capabilities: frozenset[str]) -> list[ListAction]:
    """The actions a user with ``capabilities`` is offered, in order."""
    return [
        action
        for action in sorted(_actions.values(), key=lambda action: action.order)
        if action.capability is None or action.capability in capabilities
    ]


def list_default_name(title: str, labels: Sequence[str] = ()) -> str:
    """A name for what is saved from a list: its title, its filters and today's date
    ("Customers · Madrid · 07/12/2026")."""
    today = formats.date_format(timezone.localdate(), "SHORT_DATE_FORMAT")
    return " · ".join([str(title), *(str(label) for label in labels), today])
