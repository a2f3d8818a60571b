"""The consolidation view: key customers nobody spoke to lately and customers drifting
away with nothing planned, counted on the home page, listed, and called in one go."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clientela.analytics.models import AnalysisRun, CustomerScore, RunStatus
from clientela.customers.tests.factories import CustomerFactory
from clientela.relations.models import Activity
from clientela.relations.services import activity_plan, interaction_record
from clientela.relations.tests.factories import consenting, days_ago, days_ahead

pytestmark = pytest.mark.django_db


def _score(customer, **fields):
    fields = {"ladder_stage": "regular", "value_at_stake": Decimal("1000")} | fields
    return CustomerScore.objects.create(customer=customer, as_of=timezone.localdate(), **fields)


@pytest.fixture
def book(sales, owner):
    AnalysisRun.objects.create(as_of=timezone.localdate(), status=RunStatus.DONE)
    called = consenting(CustomerFactory(name="Llamado hace poco", owner=sales))
    forgotten = consenting(CustomerFactory(name="Olvidado", owner=sales))
    champion = consenting(CustomerFactory(name="Campeón sin llamada", owner=owner))
    no_calls = consenting(
        CustomerFactory(name="No quiere llamadas", owner=sales), consent_phone=False
    )
    drifting = consenting(CustomerFactory(name="Se aleja", owner=sales))
    drifting_planned = consenting(CustomerFactory(name="Se aleja pero hay visita", owner=sales))
    _score(called, pareto_class="A")
    _score(forgotten, pareto_class="A", value_at_stake=Decimal("5000"))
    _score(champion, rfm_segment="champions")
    _score(no_calls, pareto_class="A")
    _score(CustomerFactory(name="Clase B"), pareto_class="B")
    _score(drifting, at_risk_by_model=True)
    _score(drifting_planned, at_risk_by_rule=True)
    interaction_record(
        actor=sales, customer=called, channel="email", direction="outbound", at=days_ago(10)
    )
    interaction_record(
        actor=sales, customer=forgotten, channel="phone", direction="inbound", at=days_ago(90)
    )
    activity_plan(
        actor=sales, kind="visit", subject="Visita", due_at=days_ahead(2), customer=drifting_planned
    )
    return {
        "forgotten": forgotten,
        "champion": champion,
        "no_calls": no_calls,
        "drifting": drifting,
    }


def _names(page) -> list[str]:
    """The customers the list shows, in its order."""
    html = page.content.decode()
    table = html.split('id="consolidation-table"')[1].split("</table>")[0]
    return re.findall(r'<th scope="row"[^>]*><a href="[^"]+">([^<]+)</a>', table)


def test_the_home_page_counts_what_each_list_shows(client, owner, book):
    client.force_login(owner)
    home = client.get(reverse("dashboard")).content.decode()
    assert "Key customers not contacted" in home and "Drifting away, nothing planned" in home
    url = reverse("relations:consolidation", args=["key_not_contacted"])
    key = client.get(url, {"days": 60})
    # Those with no contact in 60 days, the most at stake first.
    assert _names(key)[0] == "Olvidado"
    assert sorted(_names(key)) == ["Campeón sin llamada", "No quiere llamadas", "Olvidado"]
    # Looking back only 5 days, the one called 10 days ago is on the list too.
    assert "Llamado hace poco" in _names(client.get(url, {"days": 5}))
    drifting = client.get(reverse("relations:consolidation", args=["drifting_unplanned"]))
    assert _names(drifting) == ["Se aleja"]


def test_one_action_plans_a_call_for_each_respecting_consent(client, owner, sales, book):
    client.force_login(owner)
    url = reverse("relations:consolidation", args=["key_not_contacted"]) + "?days=60"
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    page = client.post(url, {"day": tomorrow, "at": "10:00", "subject": "Saludar"}, follow=True)
    html = page.content.decode()
    calls = Activity.objects.filter(subject="Saludar")
    assert sorted(calls.values_list("customer__name", flat=True)) == [
        "Campeón sin llamada",
        "Olvidado",
    ]
    assert calls.get(customer=book["forgotten"]).owner == sales  # the customer's owner
    assert calls.get(customer=book["champion"]).owner == owner
    assert "No quiere llamadas" in html.split('id="consolidation-left-out"')[1]
    assert "agrees to calls" in html


def test_a_salesperson_sees_their_own_and_readonly_cannot_plan(client, sales, readonly, book):
    client.force_login(sales)
    url = reverse("relations:consolidation", args=["key_not_contacted"])
    assert "Campeón sin llamada" not in _names(client.get(url, {"days": 60, "mine": "on"}))
    client.force_login(readonly)
    page = client.get(url).content.decode()
    assert 'id="plan-calls"' not in page
    refused = client.post(url, {"day": "2030-01-01", "at": "10:00", "subject": "x"})
    assert refused.status_code == 404 and not Activity.objects.filter(subject="x").exists()
    assert client.get(reverse("relations:consolidation", args=["everyone"])).status_code == 404
