"""A page whose write meets a busy database answers 503 "busy, try again", not a server
error (the API's answer is tested end to end in test_commands)."""

import pytest
from django.db import OperationalError
from django.urls import reverse

from clientela.customers.models import Customer
from clientela.customers.tests.test_views import _new_customer

pytestmark = pytest.mark.django_db


def test_a_page_whose_write_meets_a_busy_database_says_try_again(client, owner, monkeypatch):
    def locked(**fields):
        raise OperationalError("database is locked")

    monkeypatch.setattr("clientela.customers.services.customer_create", locked)
    client.force_login(owner)

    response = client.post(reverse("customers:create"), _new_customer())

    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "nothing of yours was saved" in response.content.decode()
    assert not Customer.objects.exists()
