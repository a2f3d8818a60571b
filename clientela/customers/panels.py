"""Sections other apps add to a customer's page (orders, tickets…), shown to who may see them.

An app registers a panel from its ``AppConfig.ready()``; the catalog knows nothing of
the apps that extend it. The function giving a panel's context is named by its dotted
path and imported when a customer's page is first shown.
"""

from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import import_string

from clientela.core.models import User
from clientela.customers.models import Customer


@dataclass(frozen=True)
class CustomerPanel:
    """A template and the function that gives its context, or None to leave it out:
    ``(customer, user) -> dict | None``, by its dotted path."""

    template: str
    context: str
    order: int = 100


_panels: dict[str, CustomerPanel] = {}


def customer_panel_register(name: str, panel: CustomerPanel) -> None:
    """Add (or replace) a section of the customer page."""
    _panels[name] = panel


def customer_panels(*, customer: Customer, user: User) -> list[dict[str, Any]]:
    """The sections ``user`` sees on ``customer``'s page, in order: template and context."""
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: p.order):
        context = import_string(panel.context)(customer, user)
        if context is not None:
            shown.append({"template": panel.template, "context": context})
    return shown
