"""The home page's figures: each app adds a provider of cards when it is ready."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise

from clientela.core.models import User


@dataclass(frozen=True)
class DashboardCard:
    """A figure on the home page that links to where it can be acted on."""

    label: str | Promise
    value: int | str
    url: str
    icon: str = ""  # a Bootstrap Icons name
    link_text: str | Promise = ""
    attention: bool = False  # highlight it: something waits for the user


CardProvider = Callable[[User], list[DashboardCard]]
_providers: dict[str, CardProvider] = {}


def dashboard_register(name: str, provider: CardProvider) -> None:
    """Add a provider of home-page cards; apps call this from ``AppConfig.ready()``."""
    _providers[name] = provider


def dashboard_cards(*, user: User) -> list[DashboardCard]:
    """Every provider's cards for the user, in the order the apps registered."""
    return [card for provider in _providers.values() for card in provider(user)]
