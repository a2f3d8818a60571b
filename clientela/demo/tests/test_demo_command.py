"""`clientela demo`: creates the bakery once, prints how to sign in, recreates it on --reset."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clientela.core.models import User
from clientela.customers.models import Customer
from clientela.demo.generator import DEMO_STAFF


def run_demo(**options) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_creates_the_business_and_prints_the_logins():
    output = run_demo(customers=30)

    assert Customer.objects.count() == 30
    assert "Panadería La Espiga" in output
    assert "http://127.0.0.1:8000" in output
    for login in DEMO_STAFF:
        assert login.username in output and login.password in output
    assert "Owner" in output and "Read-only" in output


@pytest.mark.django_db
def test_demo_refuses_to_run_twice_and_recreates_on_reset():
    run_demo(customers=30)
    first_ids = set(Customer.objects.values_list("pk", flat=True))
    names = sorted(Customer.objects.values_list("name", flat=True))

    with pytest.raises(CommandError, match="--reset"):
        run_demo(customers=30)
    assert Customer.objects.count() == 30

    output = run_demo(customers=30, reset=True)

    assert "Removed the previous demo" in output
    assert Customer.objects.count() == 30
    assert first_ids.isdisjoint(Customer.objects.values_list("pk", flat=True))
    assert sorted(Customer.objects.values_list("name", flat=True)) == names
    assert User.objects.count() == len(DEMO_STAFF)


@pytest.mark.django_db
def test_demo_keep_leaves_an_existing_demo_alone_and_prints_the_logins():
    run_demo(customers=30)
    first_ids = set(Customer.objects.values_list("pk", flat=True))

    output = run_demo(customers=30, keep=True)

    assert "keeping it" in output
    assert set(Customer.objects.values_list("pk", flat=True)) == first_ids
    for login in DEMO_STAFF:
        assert login.username in output and login.password in output


@pytest.mark.django_db
def test_demo_with_another_seed_and_size():
    run_demo(customers=12, seed=5)

    assert Customer.objects.count() == 12


@pytest.mark.django_db
@pytest.mark.parametrize("customers", ["0", "-3", "many"])
def test_demo_refuses_a_nonsense_number_of_customers(customers):
    with pytest.raises(CommandError, match="number of customers"):
        call_command("demo", "--customers", customers)
    assert not Customer.objects.exists()
