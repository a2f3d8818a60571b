"""A record's history is read through a manager class built once, not at every read."""

import pytest

from clientela.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_reading_a_history_reuses_one_manager_class_and_still_finds_the_changes():
    customer = CustomerFactory(name="Panadería La Espiga")
    other = CustomerFactory(name="Tortillería Doña Mary")

    assert type(customer.history) is type(other.history) is type(customer.history)
    assert [record.name for record in customer.history.all()] == ["Panadería La Espiga"]
    assert other.history.count() == 1
