"""The segment pages: a segment built row by row through the form, its live count, a
wrong condition shown beside its row, "Save as segment" from the churn and customer
lists, a segment's page, its export and deletion, and who may do what."""

import html
import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clientela.analytics.models import AnalysisRun, CustomerScore, RunStatus
from clientela.campaigns.models import Segment
from clientela.campaigns.selectors import segment_members
from clientela.campaigns.services import segment_create
from clientela.campaigns.tests.factories import EVERYONE, campaign_draft
from clientela.customers.models import Customer
from clientela.customers.services import customers_contacted
from clientela.customers.tests.factories import CustomerFactory
from clientela.relations.services import activity_plan
from clientela.relations.tests.factories import days_ahead

pytestmark = pytest.mark.django_db

NEW = reverse("campaigns:segment_new")
COUNT = reverse("campaigns:segment_count")
SAVE_FROM = reverse("campaigns:segment_save_from")


@pytest.fixture
def book(owner, sales):
    """A bakery's customers: a café in Puebla agreeing to e-mail, a hotel in CDMX, a lost
    cafeteria in Puebla, all scored in today's analysis."""
    today = timezone.localdate()
    AnalysisRun.objects.create(as_of=today, status=RunStatus.DONE)
    luna = CustomerFactory(
        name="Café Luna",
        owner=sales,
        consent_email=True,
        addresses=[{"street": "5 de Mayo 3", "city": "Puebla"}],
    )
    sol = CustomerFactory(
        name="Hotel Sol", owner=owner, addresses=[{"street": "Reforma 1", "city": "CDMX"}]
    )
    nube = CustomerFactory(
        name="Cafetería Nube",
        owner=sales,
        tags=["cafés"],
        addresses=[{"street": "Juárez 9", "city": "Puebla"}],
    )
    for customer, segment, lost in ((luna, "champions", False), (sol, "champions", False)):
        CustomerScore.objects.create(
            customer=customer,
            as_of=today,
            rfm_segment=segment,
            pareto_class="A",
            ladder_stage="regular",
            clv=Decimal("9000"),
            lost_by_model=lost,
        )
    CustomerScore.objects.create(
        customer=nube,
        as_of=today,
        rfm_segment="lost",
        pareto_class="C",
        ladder_stage="regular",
        purchases=3,
        lost_by_model=True,
    )
    return {"luna": luna, "sol": sol, "nube": nube}


def _form(**rows) -> dict:
    """A builder's post: a name, then the rows' inputs (``c-0-field`` …)."""
    return {"name": "Cafés de Puebla", "description": "", "shared": "on", **rows}


def _posted_conditions(page: str) -> tuple[list, str]:
    """The conditions and default name a list's "Save as segment" form posts."""
    form = re.search(r'<form[^>]*segment_save_from|action="/campaigns/segments/from-list/"', page)
    assert form, "no Save as segment form"
    conditions = re.search(r'name="conditions" value="([^"]*)"', page).group(1)
    name = re.search(r'name="name" id="save-as-segment-name" value="([^"]*)"', page).group(1)
    return json.loads(html.unescape(conditions)), html.unescape(name)


def _member_names(user, segment) -> list[str]:
    return sorted(c.name for c in segment_members(user=user, conditions=segment.conditions))


# --- the builder ------------------------------------------------------------------


def test_a_segment_built_through_the_form_keeps_its_conditions_and_finds_its_members(
    client, owner, book
):
    client.force_login(owner)
    posted = _form(
        **{
            "c-0-field": "city",
            "c-0-op": "in",
            "c-0-text": "Puebla",
            "c-1-field": "consent_email",
            "c-1-flag": "yes",
        }
    )

    response = client.post(NEW, posted)

    segment = Segment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:segment_detail", args=[segment.pk])
    assert segment.conditions == [
        {"field": "city", "op": "in", "value": ["Puebla"]},
        {"field": "consent_email", "op": "is", "value": True},
    ]
    assert segment.created_by == owner and segment.shared
    page = client.get(response["Location"]).content.decode()
    assert "City is one of: Puebla" in page
    assert "Agrees to e-mail: yes" in page
    assert "Café Luna" in page and "Cafetería Nube" not in page


def test_rows_are_added_and_removed_without_saving(client, owner, book):
    client.force_login(owner)
    posted = _form(**{"c-0-field": "city", "c-0-text": "Puebla", "add": "1"})

    added = client.post(NEW, posted, HTTP_HX_REQUEST="true").content.decode()
    removed = client.post(
        NEW,
        _form(**{"c-0-field": "city", "c-0-text": "Puebla", "c-1-field": "kind", "remove": "0"}),
        HTTP_HX_REQUEST="true",
    ).content.decode()

    assert added.count('class="condition ') == 2
    assert 'value="Puebla"' in added
    assert removed.count('class="condition ') == 1
    assert 'data-field="kind"' in removed
    assert not Segment.objects.exists()


def test_changing_a_rows_field_shows_the_inputs_of_its_kind(client, owner, book):
    client.force_login(owner)

    page = client.post(
        NEW, _form(**{"c-0-field": "rfm_segment", "rebuild": "1"}), HTTP_HX_REQUEST="true"
    ).content.decode()

    assert 'name="c-0-values" value="champions"' in page
    assert 'name="c-0-op"' in page


def test_the_live_count_says_how_many_the_conditions_find(client, owner, book):
    client.force_login(owner)

    puebla = client.post(COUNT, {"c-0-field": "city", "c-0-op": "in", "c-0-text": "puebla"})
    champions = client.post(
        COUNT,
        {"c-0-field": "rfm_segment", "c-0-op": "in", "c-0-values": "champions", "c-1-field": ""},
    )

    assert 'data-count="2"' in puebla.content.decode()
    assert "2 customers" in puebla.content.decode()
    assert 'data-count="2"' in champions.content.decode()  # the blank row is left out


def test_the_live_count_is_written_the_locales_way(client, owner, settings):
    CustomerFactory.create_batch(2)
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    fragment = client.post(COUNT, {}).content.decode()

    assert "2 clientes" in fragment


def test_a_wrong_condition_shows_beside_its_row_and_saves_nothing(client, owner, book):
    client.force_login(owner)
    posted = _form(
        **{
            "c-0-field": "city",
            "c-0-text": "Puebla",
            "c-1-field": "clv",
            "c-1-min": "mucho",
        }
    )

    response = client.post(NEW, posted)
    count = client.post(COUNT, posted).content.decode()

    page = response.content.decode()
    assert response.status_code == 200
    assert not Segment.objects.exists()
    error = re.search(r'id="c-1-error">([^<]*)<', page)
    assert error and "Condition 2 (Lifetime value)" in html.unescape(error.group(1))
    assert "c-0-error" not in page
    assert "Condition 2 (Lifetime value)" in html.unescape(count)


def test_a_segment_is_changed_with_its_version(client, owner, book):
    segment = segment_create(
        actor=owner, name="Puebla", conditions=[{"field": "city", "value": ["Puebla"]}]
    )
    client.force_login(owner)
    edit = reverse("campaigns:segment_edit", args=[segment.pk])
    page = client.get(edit).content.decode()
    assert 'value="Puebla"' in page

    response = client.post(
        edit,
        {"name": "CDMX", "version": segment.version, "c-0-field": "city", "c-0-text": "CDMX"},
    )

    segment.refresh_from_db()
    assert response.status_code == 302
    assert segment.name == "CDMX" and segment.conditions[0]["value"] == ["CDMX"]
    stale = client.post(edit, {"name": "Otra", "version": 1, "c-0-field": "kind"})
    assert stale.status_code == 200
    segment.refresh_from_db()
    assert segment.name == "CDMX"


# --- save as segment ----------------------------------------------------------------


def test_the_churn_list_saved_as_a_segment_has_the_lists_members(client, owner, book):
    client.force_login(owner)
    page = client.get(reverse("analytics:scores"), {"churn": "lost"}).content.decode()
    conditions, name = _posted_conditions(page)
    assert conditions == [{"field": "churn", "op": "in", "value": ["lost"]}]
    assert name.startswith("Customer scores · Lapsed or likely gone · ")

    response = client.post(SAVE_FROM, {"conditions": json.dumps(conditions), "name": name})

    segment = Segment.objects.get()
    assert response["Location"] == reverse("campaigns:segment_detail", args=[segment.pk])
    assert _member_names(owner, segment) == ["Cafetería Nube"]


def test_every_churn_list_saves_as_a_segment_with_the_lists_members(client, owner, book):
    CustomerScore.objects.filter(customer=book["nube"]).update(
        at_risk_by_rule=True, lost_by_rule=True
    )
    CustomerScore.objects.filter(customer=book["luna"]).update(at_risk_by_model=True)
    client.force_login(owner)

    for churn in ("overdue", "leaving", "lapsed", "likely_gone"):
        page = client.get(reverse("analytics:scores"), {"churn": churn})
        conditions, name = _posted_conditions(page.content.decode())
        listed = sorted(c.customer.name for c in page.context["page"].object_list)
        client.post(SAVE_FROM, {"conditions": json.dumps(conditions), "name": name})

        segment = Segment.objects.get(name=name)
        assert conditions == [{"field": "churn", "op": "in", "value": [churn]}]
        assert _member_names(owner, segment) == listed
        assert listed == (["Café Luna"] if churn == "leaving" else ["Cafetería Nube"])


def test_the_home_pages_consolidation_lists_save_as_segments_with_their_members(
    client, owner, book
):
    customers_contacted({book["luna"].pk: timezone.now() - timedelta(days=2)})
    CustomerScore.objects.filter(customer__in=[book["luna"], book["sol"]]).update(
        at_risk_by_model=True
    )
    activity_plan(
        actor=owner, kind="visit", subject="Visita", due_at=days_ahead(2), customer=book["luna"]
    )
    client.force_login(owner)
    listed = {}
    for which in ("key_not_contacted", "drifting_unplanned"):
        url = reverse("relations:consolidation", args=[which])
        page = client.get(url, {"days": 30})
        conditions, name = _posted_conditions(page.content.decode())
        client.post(SAVE_FROM, {"conditions": json.dumps(conditions), "name": name})
        listed[which] = sorted(s.customer.name for s in page.context["page"].object_list)
        assert _member_names(owner, Segment.objects.get(name=name)) == listed[which]

    assert listed == {"key_not_contacted": ["Hotel Sol"], "drifting_unplanned": ["Hotel Sol"]}


def test_the_customer_list_saved_as_a_segment_has_the_lists_members(client, owner, book):
    client.force_login(owner)
    page = client.get(reverse("customers:list"), {"city": "Puebla", "tag": "cafés"})
    conditions, name = _posted_conditions(page.content.decode())
    listed = sorted(c.name for c in page.context["page"].object_list)

    client.post(SAVE_FROM, {"conditions": json.dumps(conditions), "name": name})

    assert _member_names(owner, Segment.objects.get()) == listed == ["Cafetería Nube"]


def test_a_searched_list_of_new_customers_saved_as_a_segment_has_the_lists_members(
    client, owner, book
):
    Customer.objects.filter(pk=book["luna"].pk).update(customer_since=date(2020, 3, 1))
    client.force_login(owner)
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    page = client.get(reverse("customers:list"), {"q": "CAFE", "new_since": since})
    conditions, name = _posted_conditions(page.content.decode())
    listed = sorted(c.name for c in page.context["page"].object_list)

    client.post(SAVE_FROM, {"conditions": json.dumps(conditions), "name": name})

    segment = Segment.objects.get()
    assert _member_names(owner, segment) == listed == ["Cafetería Nube"]
    assert name.startswith("Customers · “CAFE”")
    detail = client.get(reverse("campaigns:segment_detail", args=[segment.pk])).content.decode()
    assert "Found by searching for “CAFE”" in html.unescape(detail)


def test_saving_a_list_under_a_taken_name_asks_again(client, owner, book):
    segment_create(actor=owner, name="Puebla", conditions=EVERYONE)
    client.force_login(owner)

    response = client.post(SAVE_FROM, {"conditions": json.dumps(EVERYONE), "name": "puebla"})

    assert response.status_code == 422
    assert "already a segment named" in html.unescape(response.content.decode())
    assert Segment.objects.count() == 1


# --- a segment's page ---------------------------------------------------------------


def test_a_segments_members_export_as_csv(client, owner, book):
    segment = segment_create(
        actor=owner, name="Puebla", conditions=[{"field": "city", "value": ["Puebla"]}]
    )
    client.force_login(owner)

    response = client.get(reverse("campaigns:segment_export", args=[segment.pk]), {"format": "csv"})

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Café Luna" in text and "Cafetería Nube" in text and "Hotel Sol" not in text


def test_a_segment_a_campaign_uses_is_not_deleted_and_the_page_says_why(client, owner, book):
    campaign = campaign_draft(owner)
    client.force_login(owner)
    url = reverse("campaigns:segment_delete", args=[campaign.segment_id])

    response = client.post(url, follow=True)

    assert Segment.objects.filter(pk=campaign.segment_id).exists()
    assert "Campaigns use this segment" in html.unescape(response.content.decode())


def test_an_unused_segment_is_deleted(client, owner, book):
    segment = segment_create(actor=owner, name="Puebla", conditions=EVERYONE)
    client.force_login(owner)

    response = client.post(reverse("campaigns:segment_delete", args=[segment.pk]))

    assert response["Location"] == reverse("campaigns:segment_list")
    assert not Segment.objects.exists()


def test_the_list_counts_each_segment_when_shown(client, owner, book):
    segment = segment_create(
        actor=owner, name="Puebla", conditions=[{"field": "city", "value": ["Puebla"]}]
    )
    client.force_login(owner)

    page = client.get(reverse("campaigns:segment_list")).content.decode()
    count = client.get(reverse("campaigns:segment_members_count", args=[segment.pk]))

    assert "Puebla" in page
    assert reverse("campaigns:segment_members_count", args=[segment.pk]) in page
    assert ">2<" in count.content.decode()


def test_a_salesperson_limited_to_their_customers_counts_only_theirs(client, settings, sales, book):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    client.force_login(sales)

    fragment = client.post(COUNT, {"c-0-field": "rfm_segment", "c-0-values": "champions"})

    assert 'data-count="1"' in fragment.content.decode()


# --- who may do what ----------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, owner, book):
    segment = segment_create(actor=owner, name="Puebla", conditions=EVERYONE)
    for url in (
        reverse("campaigns:segment_list"),
        reverse("campaigns:segment_detail", args=[segment.pk]),
        NEW,
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("role", ["readonly", "support"])
def test_read_only_and_support_see_segments_but_build_nothing(client, request, owner, book, role):
    user = request.getfixturevalue(role)
    segment = segment_create(actor=owner, name="Puebla", conditions=EVERYONE)
    client.force_login(user)

    listed = client.get(reverse("campaigns:segment_list"))
    shown = client.get(reverse("campaigns:segment_detail", args=[segment.pk]))

    assert listed.status_code == 200 and shown.status_code == 200
    assert NEW not in listed.content.decode()
    assert reverse("campaigns:segment_edit", args=[segment.pk]) not in shown.content.decode()
    assert client.post(NEW, _form(**{"c-0-field": "kind"})).status_code == 403
    assert client.post(COUNT, {}).status_code == 403
    assert client.post(SAVE_FROM, {"conditions": "[]", "name": "x"}).status_code == 403
    delete = reverse("campaigns:segment_delete", args=[segment.pk])
    assert client.post(delete).status_code == 403
    assert not Segment.objects.exclude(pk=segment.pk).exists()


def test_a_salesperson_builds_but_changes_only_their_own(client, owner, sales, book):
    theirs = segment_create(actor=owner, name="Del dueño", conditions=EVERYONE)
    client.force_login(sales)

    built = client.post(NEW, _form(**{"c-0-field": "kind", "c-0-values": "business"}))
    edit = client.get(reverse("campaigns:segment_edit", args=[theirs.pk]))

    assert built.status_code == 302
    assert Segment.objects.filter(created_by=sales).count() == 1
    assert edit.status_code == 404


def test_list_pages_read_a_bounded_number_of_queries(
    client, owner, book, django_assert_max_num_queries
):
    for number in range(30):
        segment_create(actor=owner, name=f"Segmento {number}", conditions=EVERYONE)
    segment = Segment.objects.first()
    CustomerFactory.create_batch(30)
    client.force_login(owner)

    with django_assert_max_num_queries(6):
        client.get(reverse("campaigns:segment_list"))
    with django_assert_max_num_queries(10):
        client.get(reverse("campaigns:segment_detail", args=[segment.pk]))
