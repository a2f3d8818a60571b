"""`clientela demo`: creates the bakery once, prints how to sign in, recreates it on --reset."""

import functools
import re
import socket
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clientela.core.models import User
from clientela.customers.models import Customer
from clientela.demo import generator
from clientela.demo.generator import DEMO_STAFF
from clientela.events.models import Event
from clientela.orders.models import Order, Payment


@pytest.fixture(autouse=True)
def short_history(monkeypatch):
    """A few months of orders and events instead of three years keep these tests quick."""
    monkeypatch.setattr(
        "clientela.demo.management.commands.demo.build_demo",
        functools.partial(generator.build_demo, history_days=120),
    )


def run_demo(**options) -> str:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_creates_the_business_and_prints_the_logins(data_folder):
    output = run_demo(customers=30)

    assert Customer.objects.count() == 30
    assert "Panadería La Espiga" in output
    assert "http://127.0.0.1:8000" in output
    for login in DEMO_STAFF:
        assert login.username in output and login.password in output
    assert "Owner" in output and "Read-only" in output
    assert f"{Order.objects.count()} orders and {Event.objects.count()} events" in output
    sample = data_folder / "clientes-de-la-libreta.xlsx"
    assert sample.is_file()
    assert f"`clientela import customers {sample} --dry-run`" in output


@pytest.mark.django_db
def test_demo_refuses_to_run_twice_and_recreates_on_reset():
    run_demo(customers=30)
    first_ids = set(Customer.objects.values_list("pk", flat=True))
    names = sorted(Customer.objects.values_list("name", flat=True))
    orders = list(Order.objects.order_by("id").values_list("order_date", "total", "paid"))
    first_orders = set(Order.objects.values_list("pk", flat=True))
    assert orders and Event.objects.exists() and Payment.objects.exists()

    with pytest.raises(CommandError, match="--reset"):
        run_demo(customers=30)
    assert Customer.objects.count() == 30

    output = run_demo(customers=30, reset=True)

    assert "Removed the previous demo" in output
    assert Customer.objects.count() == 30
    assert first_ids.isdisjoint(Customer.objects.values_list("pk", flat=True))
    assert sorted(Customer.objects.values_list("name", flat=True)) == names
    assert User.objects.count() == len(DEMO_STAFF)
    assert list(Order.objects.order_by("id").values_list("order_date", "total", "paid")) == orders
    assert first_orders.isdisjoint(Order.objects.values_list("pk", flat=True))


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


@pytest.mark.django_db
def test_demo_prints_a_line_per_step_as_it_goes():
    output = run_demo(customers=12)

    steps = [str(step.label) for step in generator.DEMO_STEPS]
    lines = output.splitlines()
    for number, step in enumerate(steps):
        assert re.fullmatch(rf"{re.escape(step)}… \d+\.\d s", lines[number]), lines[number]


@pytest.mark.django_db
def test_the_address_printed_follows_the_port_it_will_be_served_on(monkeypatch):
    output = run_demo(customers=12, port=free_port_number())

    port = int(re.search(r"http://127\.0\.0\.1:(\d+)", output).group(1))
    assert f"`clientela serve --port {port}`" in output
    monkeypatch.setenv("CLIENTELA_PORT", "8123")
    assert "http://127.0.0.1:8123" in run_demo(customers=12, keep=True)


@pytest.mark.django_db
def test_demo_on_a_port_in_use_says_so_before_building_anything():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=rf"Port {port} is already in use.*PORT="):
            run_demo(customers=12, port=port)

    assert not Customer.objects.exists()


def free_port_number() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
