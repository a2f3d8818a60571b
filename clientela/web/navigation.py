"""The main menu: each app adds its own item when it is ready, shown to who may use it."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class NavItem:
    """One entry of the main menu, linking to ``url_name`` for users with ``capability``."""

    label: str | Promise
    url_name: str
    capability: str | None = None
    icon: str = ""  # a Bootstrap Icons name, e.g. "people"
    order: int = 100
    # The dotted path of ``(user) -> callable``: a count shown beside the label (the
    # agenda's overdue activities), counted only when a page draws the menu.
    badge: str = ""


_items: dict[str, NavItem] = {}


def navigation_register(
    label: str | Promise,
    url_name: str,
    capability: str | None = None,
    *,
    icon: str = "",
    order: int = 100,
    badge: str = "",
) -> None:
    """Add (or replace) the menu item ``label`` linking to ``url_name`` for users with
    ``capability`` (everyone: ``None``); apps call this from ``AppConfig.ready()``.
    ``badge`` names a function giving, for a user, the count to show beside it."""
    _items[url_name] = NavItem(label, url_name, capability, icon, order, badge)


def navigation_for(*, path: str, capabilities: frozenset[str], user=None) -> list[dict]:
    """The menu items the user may see, in order, each marked active when ``path`` is under it;
    an item's ``badge`` (given ``user``) is a callable the template counts with."""
    entries = []
    for item in sorted(_items.values(), key=lambda i: (i.order, i.url_name)):
        if item.capability is not None and item.capability not in capabilities:
            continue
        url = reverse(item.url_name)
        active = path == url if url == "/" else path.startswith(url)
        badge = import_string(item.badge)(user) if item.badge and user is not None else None
        entries.append(
            {
                "label": item.label,
                "url": url,
                "icon": item.icon,
                "active": active,
                "badge": badge,
                "badge_id": item.url_name.replace(":", "-"),
            }
        )
    return entries
