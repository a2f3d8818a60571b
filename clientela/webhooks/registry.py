"""The outbox's registry: the names of the events apps emit, and the in-process
subscribers to them (decision 0013).

An app that emits events names them in a ``TextChoices`` of its own (name and label)
and registers it from its ``AppConfig.ready()`` with ``event_names_register``. An app
above it that must act on one (loyalty points when an order is delivered) registers a
handler from its own ``ready()`` with ``event_subscribe``: the outbox gives it a
delivery of each such event, run by the background worker after the emitting
transaction commits. Emitting, subscribing and webhook subscriptions refuse a name no
app registered. A handler is named by its dotted path (imported in the worker, at its
first delivery) or given as a function; it takes one ``EmittedEvent``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.functional import Promise
from django.utils.module_loading import import_string

SUBSCRIBER_NAME_LENGTH = 100  # WebhookDelivery.subscriber


@dataclass(frozen=True)
class EmittedEvent:
    """What a subscriber is given: the event's name, its data as the outbox keeps it
    (JSON) and when it happened."""

    name: str
    data: dict[str, Any]
    occurred_at: datetime


Handler = Callable[[EmittedEvent], None]


@dataclass(frozen=True)
class Subscriber:
    """A handler the worker runs for each ``event`` emitted; ``name`` is how the
    delivery log calls it."""

    name: str
    event: str
    handler: str | Handler

    @property
    def handler_path(self) -> str:
        """The handler's dotted path."""
        if isinstance(self.handler, str):
            return self.handler
        return f"{self.handler.__module__}.{self.handler.__qualname__}"

    def call(self, event: EmittedEvent) -> None:
        """Run the handler on ``event`` (imported first when named by its path)."""
        handler = import_string(self.handler) if isinstance(self.handler, str) else self.handler
        handler(event)


_names: dict[str, type[models.TextChoices]] = {}
_subscribers: dict[str, Subscriber] = {}


def event_names_register(names: type[models.TextChoices]) -> None:
    """Declare the events an app emits: its ``TextChoices`` (``"order.created"`` and a
    label). Apps call this from ``AppConfig.ready()``; a name one app took is refused
    to another."""
    taken = [name for name in names.values if _names.get(name, names) is not names]
    if taken:
        raise ImproperlyConfigured(f"The events {taken} are registered by another app.")
    _names.update(dict.fromkeys(names.values, names))


def event_choices() -> list[tuple[str, str | Promise]]:
    """Every registered event as a choice (name, label), in the order registered."""
    return [(name, names(name).label) for name, names in _names.items()]


def event_check(event: str) -> None:
    """Refuse an event name no app registered."""
    if event not in _names:
        name = str(event)
        raise ImproperlyConfigured(
            f"No app registered the event {name!r} (see event_names_register)."
        )


def event_subscribe(event: str, handler: str | Handler, *, name: str) -> None:
    """Have the background worker run ``handler`` (a dotted path or a function taking an
    ``EmittedEvent``) for each ``event`` emitted, once the emitting transaction commits.
    Apps call this from ``AppConfig.ready()``; ``name`` (``"retention.points"``) names
    the subscriber in the delivery log and must be its own. Registering the same
    subscriber again changes nothing."""
    event_check(event)
    if not name or len(name) > SUBSCRIBER_NAME_LENGTH:
        raise ImproperlyConfigured(
            f"A subscriber's name has 1 to {SUBSCRIBER_NAME_LENGTH} characters: {name!r}."
        )
    subscriber = Subscriber(name=name, event=str(event), handler=handler)
    if _subscribers.setdefault(name, subscriber) != subscriber:
        raise ImproperlyConfigured(f"The subscriber name {name!r} is taken.")


def event_subscribers(event: str) -> list[Subscriber]:
    """The in-process subscribers to ``event``, in the order registered."""
    return [subscriber for subscriber in _subscribers.values() if subscriber.event == event]


def subscriber_get(name: str) -> Subscriber | None:
    """The subscriber registered as ``name`` in this process, if any."""
    return _subscribers.get(name)
