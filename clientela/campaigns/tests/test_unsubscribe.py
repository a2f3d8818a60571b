"""Unsubscribing from a campaign's e-mail: the link asks, then withdraws the e-mail
consent once (the customer's history says why); a second use and RFC 8058's one-click
POST work without signing in or a form's token; a changed link is a 404 and harmless."""

import pytest
from django.test import Client
from django.urls import reverse

from clientela.campaigns.models import CampaignMember, MemberGroup
from clientela.campaigns.services import campaign_launch
from clientela.campaigns.services.unsubscribe import unsubscribe_token
from clientela.campaigns.tests.factories import campaign_draft
from clientela.customers.tests.factories import CustomerFactory
from clientela.relations.tests.factories import consenting

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(owner):
    consenting(CustomerFactory(name="Café Luna", emails=["luna@cafe.mx"], language="es"))
    campaign = campaign_draft(owner, [{"field": "consent_email", "value": True}], holdout_percent=0)
    campaign_launch(actor=owner, campaign=campaign)
    return CampaignMember.objects.get(group=MemberGroup.CONTACTED)


def _url(member) -> str:
    return reverse("campaigns:unsubscribe", args=[unsubscribe_token(member)])


def test_the_link_asks_first_in_the_customers_language_and_changes_nothing(client, member):
    response = client.get(_url(member))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="es"' in page and "¿Dejar de recibir correos" in page
    member.customer.refresh_from_db()
    assert member.customer.consent_email


def test_stopping_withdraws_the_consent_once_and_the_history_says_why(member):
    browser = Client(enforce_csrf_checks=True)

    first = browser.post(_url(member))
    second = browser.post(_url(member))

    assert first.status_code == second.status_code == 200
    assert 'id="unsubscribed"' in second.content.decode()
    customer = member.customer
    customer.refresh_from_db()
    assert not customer.consent_email
    changes = customer.history.filter(history_change_reason__contains="Navidad")
    assert changes.count() == 1
    member.refresh_from_db()
    assert member.unsubscribed_at is not None


def test_a_mail_clients_one_click_post_unsubscribes(member):
    response = Client(enforce_csrf_checks=True).post(
        _url(member),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    member.customer.refresh_from_db()
    assert not member.customer.consent_email


def test_a_changed_link_is_a_404_and_changes_nothing(client, member):
    token = unsubscribe_token(member)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    assert client.post(reverse("campaigns:unsubscribe", args=[forged])).status_code == 404
    assert client.post(reverse("campaigns:unsubscribe", args=["1"])).status_code == 404
    member.customer.refresh_from_db()
    assert member.customer.consent_email
