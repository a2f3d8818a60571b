"""The results pages: a campaign's figures and the lift in plain words, several
campaigns side by side, the members' export, and who may see them."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from clientela.campaigns.models import CampaignMember
from clientela.campaigns.results import campaign_results
from clientela.campaigns.tests.results_data import START, launched, order
from clientela.customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def clear_win(owner):
    """Ten of twelve contacted customers bought, none of the twelve held out."""
    members = {f"Contacted {n:02d}": ("contacted", "sent") for n in range(12)}
    members |= {f"Held {n:02d}": ("holdout", "") for n in range(12)}
    campaign = launched(owner, members, name="Christmas", cost_fixed=Decimal("100"))
    for n in range(10):
        order(f"Contacted {n:02d}", START + timedelta(days=2), quantity=5)
    return campaign


@pytest.fixture
def no_telling(owner):
    """One of four contacted customers bought, none of the four held out."""
    members = {f"Customer {n}": ("contacted", "sent") for n in range(4)}
    members |= {f"Held {n}": ("holdout", "") for n in range(4)}
    members["Gone"] = ("set_aside", "consent")
    campaign = launched(owner, members, name="Easter")
    order("Customer 0", START + timedelta(days=1), quantity=2)
    return campaign


def _page(response) -> str:
    return " ".join(response.content.decode().split())


def test_a_clear_lift_is_told_in_plain_words(client, owner, clear_win):
    client.force_login(owner)
    lift = campaign_results(clear_win).lift.rate

    response = client.get(reverse("campaigns:campaign_results", args=[clear_win.pk]))

    page = _page(response)
    assert response.status_code == 200
    low, high = (f"{value * 100:.1f}" for value in (lift.low, lift.high))
    assert (
        "Contacted customers converted at 83.3% against 0.0% for the hold-out: 83.3 points "
        f"more (95 % interval {low} to {high} points). The campaign made a difference."
    ) in page
    assert 'data-chart="conversions-chart"' in page
    assert 'id="conversions-chart" type="application/json"' in page
    assert "$500.00" in page  # the revenue, ten orders of 50


def test_a_lift_that_cannot_be_told_from_nothing_says_so(client, readonly, no_telling):
    client.force_login(readonly)
    lift = campaign_results(no_telling).lift.rate

    response = client.get(reverse("campaigns:campaign_results", args=[no_telling.pk]))

    page = _page(response)
    assert response.status_code == 200
    assert (
        "We cannot tell this campaign apart from doing nothing: the difference, 25.0 points, "
        f"could be anywhere from −{abs(lift.low) * 100:.1f} to {lift.high * 100:.1f} points."
    ) in page
    assert "No consent for the channel: 1" in page


def test_the_figures_follow_the_locale(client, owner, clear_win, settings):
    settings.CLIENTELA_DEFAULT_COUNTRY = "ES"
    client.force_login(owner)

    response = client.get(
        reverse("campaigns:campaign_results", args=[clear_win.pk]), HTTP_ACCEPT_LANGUAGE="es"
    )

    page = response.content.decode()
    assert "83,3\xa0%" in page and "0,0\xa0%" in page


def test_a_draft_has_no_results_yet(client, owner):
    from clientela.campaigns.tests.factories import campaign_draft

    client.force_login(owner)

    response = client.get(reverse("campaigns:campaign_results", args=[campaign_draft(owner).pk]))

    assert response.status_code == 200
    assert "has not been launched" in _page(response)


def test_campaigns_are_compared_side_by_side(client, support, clear_win, no_telling):
    client.force_login(support)

    response = client.get(
        reverse("campaigns:campaign_compare"), {"ids": [clear_win.pk, no_telling.pk]}
    )

    page = _page(response)
    assert response.status_code == 200
    assert "Christmas" in page and "Easter" in page
    assert "Made a difference" in page and "Cannot tell from doing nothing" in page
    assert "83.3%" in page and "25.0%" in page


def test_the_picker_lists_the_launched_campaigns_and_refuses_unknown_ones(client, owner, clear_win):
    client.force_login(owner)

    picker = client.get(reverse("campaigns:campaign_compare"))
    refused = client.get(reverse("campaigns:campaign_compare"), {"ids": ["999999"]})

    assert "Christmas (" in _page(picker)
    assert 'id="compare-table"' not in _page(picker)
    assert 'id="ids-error"' in _page(refused)
    assert 'id="compare-table"' not in _page(refused)


def test_the_members_export_opens_in_a_spreadsheet(client, owner, no_telling):
    client.force_login(owner)
    CampaignMember.objects.filter(customer__name="Customer 1").update(
        unsubscribed_at=timezone.now(), outcome="interested"
    )

    response = client.get(reverse("campaigns:campaign_members_export", args=[no_telling.pk]))

    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Customer", "E-mail", "Phone", "Group", "Set aside because", "State", "Outcome",
        "Contacted", "Unsubscribed", "Converted", "Revenue in the window",
    )  # fmt: skip
    by_name = {row[0]: row for row in rows[1:]}
    assert len(by_name) == 9
    assert by_name["Customer 0"][1] == "customer.0@example.com"
    assert by_name["Customer 0"][3:6] == ("To contact", None, "Sent")
    assert by_name["Customer 0"][9:] == ("yes", 20)
    assert by_name["Customer 1"][6] == "Interested"
    assert by_name["Customer 1"][8] is not None
    assert by_name["Customer 1"][9:] == ("no", 0)
    assert by_name["Gone"][3:5] == ("Set aside", "No consent for the channel")


def test_the_csv_export_holds_only_the_customers_a_salesperson_may_see(
    client, owner, sales, no_telling, settings
):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    Customer.objects.filter(name__in=["Customer 0", "Held 1"]).update(owner=sales)
    client.force_login(sales)

    response = client.get(
        reverse("campaigns:campaign_members_export", args=[no_telling.pk]), {"format": "csv"}
    )

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert len(lines) == 3
    assert lines[1].startswith("Customer 0,") and lines[2].startswith("Held 1,")


@pytest.mark.parametrize(
    "name", ["campaigns:campaign_results", "campaigns:campaign_members_export"]
)
def test_anonymous_visitors_are_sent_to_sign_in(client, no_telling, name):
    response = client.get(reverse(name, args=[no_telling.pk]))

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_anonymous_visitors_cannot_compare(client):
    response = client.get(reverse("campaigns:campaign_compare"))

    assert response.status_code == 302
