"""Test factories: events and their lines built through the services, products directly."""

from datetime import date
from decimal import Decimal

import factory

from clientela.events.models import Event, EventKind
from clientela.events.services import event_create
from clientela.orders.models import Product


class ProductFactory(factory.django.DjangoModelFactory):
    """A product, created directly: the order book's services belong to another app."""

    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"PAN-{n:04d}")
    name = factory.Sequence(lambda n: f"Pan {n}")
    unit_price = Decimal("10.00")


class EventFactory(factory.Factory):
    """``EventFactory(location=..., actor=...)`` creates through ``event_create``."""

    class Meta:
        model = Event

    name = factory.Sequence(lambda n: f"Feria {n}")
    kind = EventKind.FAIR
    location = "Plaza Mayor"
    start_date = date(2024, 6, 10)
    duration_days = 2

    @classmethod
    def _create(cls, model_class, *args, actor=None, **kwargs):
        return event_create(actor=actor, **kwargs)
