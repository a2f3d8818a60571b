""" "Customer since": the day the business started with a customer, which may be long
before the record was created here — in the services, the form and page, the API and
the home page's "new this month"."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clientela.customers.models import Customer
from clientela.customers.selectors import customer_summary
from clientela.customers.services import customer_create, customer_update, customers_merge
from clientela.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/customers"


def test_a_customer_keeps_the_day_it_started_and_its_changes_in_the_history(owner):
    customer = customer_create(actor=owner, name="Café Roma", customer_since="2019-03-15")

    customer.refresh_from_db()
    assert customer.customer_since == date(2019, 3, 15)
    customer_update(
        actor=owner, customer=customer, version=customer.version, customer_since=date(2018, 1, 8)
    )
    assert [h.customer_since for h in customer.history.order_by("history_id")] == [
        date(2019, 3, 15),
        date(2018, 1, 8),
    ]
    customer_update(actor=owner, customer=customer, version=customer.version, customer_since="")
    customer.refresh_from_db()
    assert customer.customer_since is None


@pytest.mark.parametrize("value", ["2019-02-30", "ayer", "tomorrow"])
def test_a_day_that_is_not_a_date_or_is_to_come_is_refused_naming_the_field(owner, value):
    if value == "tomorrow":
        value = timezone.localdate() + timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        customer_create(actor=owner, name="Café Roma", customer_since=value)

    assert list(error.value.message_dict) == ["customer_since"]
    assert not Customer.objects.exists()


def test_the_form_sets_it_and_the_customer_page_shows_it(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("customers:create"),
        {"kind": "business", "name": "Café Roma", "country": "MX", "language": "es",
         "customer_since": "2019-03-15"},
    )  # fmt: skip

    customer = Customer.objects.get()
    assert response.status_code == 302 and customer.customer_since == date(2019, 3, 15)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'id="customer-since">March 15, 2019<' in page
    form = client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert 'name="customer_since" value="2019-03-15"' in form


def test_the_api_reads_and_writes_it_and_names_it_when_refused(client, owner, api_headers):
    headers = api_headers(owner)

    created = client.post(
        API, {"name": "Café Roma", "customer_since": "2019-03-15"},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    assert created.json()["customer_since"] == "2019-03-15"
    url = f"{API}/{created.json()['id']}"
    patched = client.patch(
        url, {"version": 1, "customer_since": None}, content_type="application/json",
        headers=headers,
    )  # fmt: skip
    assert patched.status_code == 200 and patched.json()["customer_since"] is None
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    refused = client.patch(
        url, {"version": 2, "customer_since": future}, content_type="application/json",
        headers=headers,
    )  # fmt: skip
    assert refused.status_code == 422
    assert "customer_since" in str(refused.json())
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "customer_since" in schema["CustomerOut"]["properties"]
    assert "customer_since" in schema["CustomerCreate"]["properties"]


def test_new_this_month_counts_customers_by_the_day_they_started(owner):
    today = timezone.localdate()
    CustomerFactory(name="Added today, a customer for years", customer_since=date(2019, 3, 15))
    CustomerFactory(name="Added today, no day given")
    CustomerFactory(name="Started today", customer_since=today)
    older = CustomerFactory(name="Added last year, started this month", customer_since=today)
    Customer.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=400))

    summary = customer_summary(user=owner)

    assert (summary.total, summary.new_this_month) == (4, 3)


def test_a_merged_customer_keeps_the_earlier_day_of_the_two(owner):
    survivor = CustomerFactory(name="Café Roma", customer_since=date(2021, 5, 1))
    duplicate = CustomerFactory(name="Cafe Roma", customer_since=date(2019, 3, 15))
    unknown = CustomerFactory(name="CAFÉ ROMA")

    customers_merge(actor=owner, survivor=survivor, duplicate=duplicate)
    customers_merge(actor=owner, survivor=survivor, duplicate=unknown)

    survivor.refresh_from_db()
    assert survivor.customer_since == date(2019, 3, 15)
