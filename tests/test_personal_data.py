"""What every app keeps about a customer is erased by anonymising and listed by the
personal-data export (the registry in ``clientela.customers.personal``)."""

import json
from datetime import date

import pytest
from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from clientela.analytics.models import CustomerWallet
from clientela.analytics.services import customer_wallet_record
from clientela.customers.models import Customer
from clientela.customers.personal import personal_data_registered
from clientela.customers.selectors import customer_personal_data
from clientela.customers.services import CUSTOMER_ERASED, CUSTOMER_KEPT, customer_anonymize
from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import Order
from clientela.orders.services import order_create
from clientela.orders.tests.factories import ProductFactory


@pytest.fixture
def lupita(owner):
    return CustomerFactory(actor=owner, kind="person", name="Guadalupe Ramírez")


def test_every_text_about_a_customer_is_declared_personal_or_not():
    """A model that keeps text about a customer says what anonymising does with it."""
    registered = {entry.model: entry for entry in personal_data_registered()}
    undeclared = []
    for model in apps.get_models():
        about_customer = any(
            isinstance(f, models.ForeignKey) and f.related_model is Customer
            for f in model._meta.fields
        )
        if not about_customer or model.__name__.startswith("Historical"):
            continue
        entry = registered.get(model)
        if model is Customer:
            declared = {"name", *CUSTOMER_ERASED, *CUSTOMER_KEPT}
        else:
            declared = {*entry.erase, *entry.keep} if entry else set()
        undeclared += [
            f"{model._meta.label}.{f.name}"
            for f in model._meta.fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
            and not f.choices
            and f.name not in declared
        ]
    assert undeclared == []


@pytest.mark.django_db
def test_anonymise_erases_what_other_apps_keep_and_the_export_shows_it(owner, lupita):
    order = order_create(
        actor=owner,
        customer=lupita,
        due_date=date.today(),
        lines=[{"product": ProductFactory(), "quantity": 1}],
        notes="Dejar con la vecina Rosa, depto 3",
    )
    customer_wallet_record(
        actor=owner, customer=lupita, share_percent=40, note="Compra también en La Espiga"
    )
    data = json.loads(json.dumps(customer_personal_data(customer=lupita), cls=DjangoJSONEncoder))
    assert data["orders"][0]["notes"] == "Dejar con la vecina Rosa, depto 3"
    assert data["share_of_wallet"][0]["note"] == "Compra también en La Espiga"

    customer_anonymize(actor=owner, customer=lupita)

    order.refresh_from_db()
    assert order.notes == "" and order.total > 0  # the sale stays, the note goes
    assert not Order.history.filter(notes__contains="Rosa").exists()
    assert not CustomerWallet.objects.filter(note__contains="Espiga").exists()
    data = json.loads(json.dumps(customer_personal_data(customer=lupita), cls=DjangoJSONEncoder))
    assert "Rosa" not in json.dumps(data) and "Espiga" not in json.dumps(data)
