"""The main menu: each app adds its own item when it is ready, shown to who may use it."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    """One entry of the main menu, linking to ``url_name`` for users with ``capability``."""

    label: str | Promise
    url_name: str
    capability: str | None = None
    icon: str = ""  # a Bootstrap Icons name, e.g. "people"
    order: int = 100


_items: dict[str, NavItem] = {}


def navigation_register(
    label: str | Promise,
    url_name: str,
    capability: str | None = None,
    *,
    icon: str = "",
    order: int = 100,
) -> None:
    """Add (or replace) the menu item ``label`` linking to ``url_name`` for users with
    ``capability`` (everyone: ``None``); apps call this from ``AppConfig.ready()``."""
    _items[url_name] = NavItem(label, url_name, capability, icon, order)


def navigation_for(*, path: str, capabilities: frozenset[str]) -> list[dict]:
    """The menu items the user may see, in order, each marked active when ``path`` is under it."""
    entries = []
    for item in sorted(_items.values(), key=lambda i: (i.order, i.url_name)):
        if item.capability is not None and item.capability not in capabilities:
            continue
        url = reverse(item.url_name)
        active = path == url if url == "/" else path.startswith(url)
        entries.append({"label": item.label, "url": url, "icon": item.icon, "active": active})
    return entries
