"""The home page's figures: each app adds a provider of cards when it is ready.

A card is a figure of the day's work that opens the list it counts (the list shows
exactly that many rows). Cards show in the order of their ``order``, the most urgent
first, whatever app gave them; a provider may be kept to some roles (the support team's
tickets, say) and decides itself what each user's role sees. A provider is registered by
its dotted path and imported when the home page is first shown, so that starting a
command that shows no page does not load what the cards need.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from django.utils.functional import Promise
from django.utils.module_loading import import_string

from clientela.core.models import Role, User


@dataclass(frozen=True)
class DashboardCard:
    """A figure on the home page that links to where it can be acted on."""

    label: str | Promise
    value: int | str
    url: str
    icon: str = ""  # a Bootstrap Icons name
    link_text: str | Promise = ""
    attention: bool = False  # highlight it: something waits for the user
    detail: str | Promise = ""  # a line under the figure: what it counts, what is at stake
    order: int = 100  # where it shows: lower first (see ``CardOrder``)

    @property
    def is_count(self) -> bool:
        """Whether the figure is a number (else a text: an amount, a name)."""
        return isinstance(self.value, int)


class CardOrder(IntEnum):
    """Where the cards of each kind show: today's work first, then what needs an eye."""

    TODAY = 10
    MONEY = 30
    CUSTOMERS_AT_RISK = 50
    PLANNING = 60
    REVIEW = 70
    CATALOG = 80


# What a provider is: a function of the user giving their cards.
CardProvider = Callable[[User], list[DashboardCard]]
_providers: dict[str, tuple[str, frozenset[str] | None]] = {}


def dashboard_register(
    name: str, provider: str, *, roles: Iterable[Role | str] | None = None
) -> None:
    """Add a provider of home-page cards (a ``CardProvider``, by its dotted path); apps
    call this from ``AppConfig.ready()``.

    ``roles`` keeps its cards to users of those roles (default: every role; the
    provider still checks what the user may see)."""
    _providers[name] = (provider, None if roles is None else frozenset(roles))


def dashboard_cards(*, user: User) -> list[DashboardCard]:
    """Every provider's cards for the user, the most urgent first (by ``order``, then
    in the order the apps registered)."""
    cards = [
        card
        for provider, roles in _providers.values()
        if roles is None or user.role in roles
        for card in import_string(provider)(user)
    ]
    return sorted(cards, key=lambda card: card.order)


def dashboard_owner(user: User) -> User | None:
    """Whose customers the home page counts for ``user``: a salesperson's own ("mine",
    whether or not they may see others'), everyone's (``None``) for other roles."""
    return user if user.role == Role.SALES else None
