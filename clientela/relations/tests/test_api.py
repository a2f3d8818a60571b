"""The relations REST API: opportunities, the pipeline's settings, activities,
interactions and notes; who may do what, versions, refusals that name the field and
write nothing, and a salesperson limited to their own customers."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clientela.core.models import Role
from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.orders.tests.factories import ProductFactory
from clientela.relations.models import (
    Activity,
    ContactLimit,
    CustomerNote,
    Interaction,
    LostReason,
    Opportunity,
    Stage,
)
from clientela.relations.services import (
    activity_complete,
    activity_plan,
    interaction_record,
    note_add,
    opportunity_create,
)
from clientela.relations.tests.factories import consenting, days_ago, days_ahead, stage

pytestmark = pytest.mark.django_db

API = "/api/v1"
OPPORTUNITIES = f"{API}/opportunities"
STAGES = f"{API}/stages"
LOST_REASONS = f"{API}/lost-reasons"
LIMITS = f"{API}/contact-limits"
ACTIVITIES = f"{API}/activities"
INTERACTIONS = f"{API}/interactions"
NOTES = f"{API}/notes"

WHO_EDITS = [(None, 401), ("readonly", 403), ("support", 403), ("sales", 201), ("owner", 201)]
WHO_RECORDS = [(None, 401), ("readonly", 403), ("support", 201), ("sales", 201), ("owner", 201)]


@pytest.fixture
def customer(sales):
    """Ana's (the ``sales`` user's) customer, agreeing to every channel."""
    return consenting(CustomerFactory(name="Café Luna", owner=sales))


@pytest.fixture
def theirs(db):
    """Another salesperson's customer, agreeing to every channel."""
    bruno = UserFactory(username="bruno", role=Role.SALES)
    return consenting(CustomerFactory(name="Zapatería Bruno", owner=bruno))


@pytest.fixture
def limited(settings):
    """Salespeople see only their own customers."""
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True


def _iso(moment) -> str:
    return moment.isoformat()


def _fields(response) -> dict[str, str]:
    """A 422's messages by the field they name (the last part of ``loc``)."""
    assert response.status_code == 422, response.content
    return {str(entry["loc"][-1]): entry["msg"] for entry in response.json()["detail"]}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


def _outbound_calls(actor, customer, count: int) -> None:
    for days in range(count):
        interaction_record(
            actor=actor,
            customer=customer,
            channel="phone",
            direction="outbound",
            at=days_ago(days + 1),
        )


# --- opportunities ---------------------------------------------------------------------


def _opportunity(customer, **fields) -> dict:
    return {
        "customer_id": customer.pk,
        "title": "Pan para 12 hoteles",
        "value": "48000.00",
    } | fields


@pytest.mark.parametrize(("role", "status"), WHO_EDITS)
def test_who_may_open_opportunities(call, customer, role, status):
    assert call(role, "post", OPPORTUNITIES, _opportunity(customer)).status_code == status
    assert Opportunity.objects.exists() == (status == 201)


def test_an_opportunity_from_lead_to_won_and_reopened(call, customer):
    concha = ProductFactory(sku="CON-1", name="Concha")
    created = call(
        "sales",
        "post",
        OPPORTUNITIES,
        _opportunity(customer, product_ids=[concha.pk], expected_close=str(days_ahead(20).date())),
    )
    assert created.status_code == 201, created.json()
    assert created["ETag"] == '"1"'
    body = created.json()
    assert body["value"] == "48000.00" and body["currency"] == "MXN"
    assert body["stage"] == "Lead" and body["status"] == "open" and body["probability"] == 10
    assert body["owner_id"] == customer.owner_id and body["product_ids"] == [concha.pk]
    url = f"{OPPORTUNITIES}/{body['id']}"

    assert call("readonly", "get", url).json()["title"] == "Pan para 12 hoteles"
    edited = call("sales", "patch", url, {"value": "52000.50", "next_step": "Call", "version": 1})
    assert edited.status_code == 200, edited.json()
    assert edited.json()["value"] == "52000.50" and edited["ETag"] == '"2"'

    won = call("sales", "post", f"{url}/move", {"stage_id": stage("Won").pk, "version": 2})
    assert won.status_code == 200, won.json()
    assert won.json()["status"] == "won" and won.json()["order_id"] is not None
    again = call("sales", "post", f"{url}/move", {"stage_id": stage("Lead").pk, "version": 3})
    assert "reopen it" in _fields(again)["stage_id"]

    reopened = call("sales", "post", f"{url}/reopen", {"version": 3})
    assert reopened.status_code == 200, reopened.json()
    assert reopened.json()["status"] == "open" and reopened.json()["stage"] == "Lead"
    assert reopened.json()["closed_at"] is None
    assert (
        "open already"
        in _fields(call("sales", "post", f"{url}/reopen", {"version": 4}))["stage_id"]
    )


def test_a_lost_opportunity_needs_its_reason_and_the_competitor_when_the_reason_asks(
    call, customer
):
    url = f"{OPPORTUNITIES}/{call('sales', 'post', OPPORTUNITIES, _opportunity(customer)).json()['id']}"
    lost = stage("Lost").pk
    competitor = LostReason.objects.get(name="Went with a competitor").pk

    assert "lost_reason_id" in _fields(
        call("sales", "post", f"{url}/move", {"stage_id": lost, "version": 1})
    )
    asks = {"stage_id": lost, "lost_reason_id": competitor, "version": 1}
    assert "competitor" in _fields(call("sales", "post", f"{url}/move", asks))
    moved = call("sales", "post", f"{url}/move", asks | {"competitor": "Panadería Sol"})
    assert moved.status_code == 200, moved.json()
    assert moved.json()["status"] == "lost" and moved.json()["competitor"] == "Panadería Sol"
    assert moved.json()["lost_reason"] == "Went with a competitor"
    unknown = call("sales", "post", f"{url}/move", {"stage_id": 999_999, "version": 2})
    assert _fields(unknown)["stage_id"] == "There is no stage #999999."


def test_changes_to_an_opportunity_need_the_version_read(call, customer):
    url = f"{OPPORTUNITIES}/{call('sales', 'post', OPPORTUNITIES, _opportunity(customer)).json()['id']}"

    assert call("sales", "patch", url, {"title": "Pan"}).status_code == 428
    assert call("sales", "post", f"{url}/move", {"stage_id": stage("Won").pk}).status_code == 428
    assert call("sales", "post", f"{url}/reopen", {}).status_code == 428
    by_header = call("sales", "patch", url, {"title": "Pan"}, headers={"If-Match": '"1"'})
    assert by_header.status_code == 200 and by_header["ETag"] == '"2"'
    stale = call("sales", "patch", url, {"title": "Bolillo", "version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    moved_late = call("sales", "post", f"{url}/move", {"stage_id": stage("Won").pk, "version": 1})
    assert moved_late.status_code == 409
    opportunity = Opportunity.objects.get()
    assert opportunity.title == "Pan" and opportunity.stage == stage("Lead")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value": "-1"}, "value"),
        ({"value": "1.234"}, "value"),
        ({"value": "NaN"}, "value"),
        ({"expected_close": "2020-01-01"}, "expected_close"),
        ({"expected_close": "1899-12-31"}, "expected_close"),
        ({"expected_close": "9999-12-31"}, "expected_close"),
        ({"currency": "PESOS"}, "currency"),
        ({"source": "telepathy"}, "source"),
        ({"probability": 101}, "probability"),
        ({"customer_id": 999_999}, "customer_id"),
        ({"owner_id": 999_999}, "owner_id"),
        ({"stage_id": 999_999}, "stage_id"),
        ({"product_ids": [999_999]}, "product_ids"),
        ({"title": ""}, "title"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_for_an_opportunity_is_a_422_naming_the_field_and_writes_nothing(
    call, customer, change, field
):
    response = call("sales", "post", OPPORTUNITIES, _opportunity(customer) | change)
    assert field in _fields(response)
    assert not Opportunity.objects.exists()


def test_an_edit_refused_writes_nothing(call, customer):
    url = f"{OPPORTUNITIES}/{call('sales', 'post', OPPORTUNITIES, _opportunity(customer)).json()['id']}"
    refused = call("sales", "patch", url, {"value": "-5", "title": "Otro", "version": 1})
    assert "value" in _fields(refused)
    opportunity = Opportunity.objects.get()
    assert opportunity.version == 1 and opportunity.title == "Pan para 12 hoteles"


def test_the_opportunity_list_filters_and_pages(call, sales, owner, customer, theirs):
    concha = ProductFactory(sku="CON-1", name="Concha")
    month = days_ahead(40).date()
    hotels = opportunity_create(
        actor=sales, customer=customer, title="Hoteles", products=[concha], expected_close=month
    )
    school = opportunity_create(
        actor=owner, customer=theirs, title="Escuela", stage=stage("Qualified")
    )
    won = opportunity_create(actor=sales, customer=customer, title="Boda", stage=stage("Won"))

    assert _ids(call("readonly", "get", OPPORTUNITIES)) == [won.pk, school.pk, hotels.pk]
    assert _ids(call("readonly", "get", f"{OPPORTUNITIES}?owner={theirs.owner_id}")) == [school.pk]
    assert _ids(call("readonly", "get", f"{OPPORTUNITIES}?stage={stage('Qualified').pk}")) == [
        school.pk
    ]
    assert _ids(call("readonly", "get", f"{OPPORTUNITIES}?status=won")) == [won.pk]
    assert _ids(call("readonly", "get", f"{OPPORTUNITIES}?status=open")) == [school.pk, hotels.pk]
    assert _ids(call("readonly", "get", f"{OPPORTUNITIES}?customer={theirs.pk}")) == [school.pk]
    close = f"{OPPORTUNITIES}?close_month={month.replace(day=1)}"
    assert _ids(call("readonly", "get", close)) == [hotels.pk]
    assert _ids(call("readonly", "get", f"{OPPORTUNITIES}?product={concha.pk}")) == [hotels.pk]
    assert _ids(call("readonly", "get", f"{OPPORTUNITIES}?search=zapateria")) == []
    assert _ids(call("readonly", "get", f"{OPPORTUNITIES}?search=Bruno")) == [school.pk]
    assert _ids(call("readonly", "get", f"{OPPORTUNITIES}?customer=999999")) == []
    page = call("readonly", "get", f"{OPPORTUNITIES}?page_size=2").json()
    assert page["count"] == 3 and len(page["items"]) == 2
    assert "status" in _fields(call("readonly", "get", f"{OPPORTUNITIES}?status=maybe"))
    assert "close_month" in _fields(
        call("readonly", "get", f"{OPPORTUNITIES}?close_month=9999-01-01")
    )


def test_a_salesperson_limited_to_their_customers_never_reaches_another_ones_deals(
    call, limited, sales, customer, theirs
):
    mine = opportunity_create(actor=sales, customer=customer, title="Mía")
    other = opportunity_create(actor=None, customer=theirs, title="De Bruno")

    assert _ids(call("sales", "get", OPPORTUNITIES)) == [mine.pk]
    assert _ids(call("sales", "get", f"{OPPORTUNITIES}?customer={theirs.pk}")) == []
    url = f"{OPPORTUNITIES}/{other.pk}"
    assert call("sales", "get", url).status_code == 404
    assert call("sales", "patch", url, {"title": "Mía", "version": 1}).status_code == 404
    assert call("sales", "post", f"{url}/move", {"stage_id": 1, "version": 1}).status_code == 404
    created = call("sales", "post", OPPORTUNITIES, _opportunity(theirs))
    assert _fields(created)["customer_id"] == f"There is no customer #{theirs.pk}."
    moved = call(
        "sales", "patch", f"{OPPORTUNITIES}/{mine.pk}", {"customer_id": theirs.pk, "version": 1}
    )
    assert "customer_id" in _fields(moved)
    assert Opportunity.objects.get(pk=other.pk).title == "De Bruno"
    assert Opportunity.objects.get(pk=mine.pk).customer == customer


# --- stages, lost reasons, contact limits ----------------------------------------------


@pytest.mark.parametrize("role", ["readonly", "support", "sales", "owner"])
def test_everyone_who_sees_customers_reads_the_pipelines_settings(call, role):
    stages = call(role, "get", STAGES).json()
    assert [row["name"] for row in stages][:2] == ["Lead", "Qualified"]
    assert len(call(role, "get", LOST_REASONS).json()) == 6
    assert call(role, "get", LIMITS).json() == [
        {"id": ContactLimit.objects.get().pk, "channel": "", "max_contacts": 4, "days": 30}
    ]
    assert call(None, "get", STAGES).status_code == 401


@pytest.mark.parametrize(("role", "status"), [("readonly", 403), ("support", 403), ("sales", 403)])
def test_only_the_owner_configures_the_pipeline(call, role, status):
    assert call(role, "post", STAGES, {"name": "Sample sent"}).status_code == status
    assert call(role, "patch", f"{STAGES}/{stage('Lead').pk}", {"name": "X"}).status_code == status
    assert call(role, "post", LOST_REASONS, {"name": "Quality"}).status_code == status
    reason = LostReason.objects.first().pk
    assert call(role, "patch", f"{LOST_REASONS}/{reason}", {"name": "X"}).status_code == status
    body = {"channel": "phone", "max_contacts": 2, "days": 7}
    assert call(role, "post", LIMITS, body).status_code == status
    limit = ContactLimit.objects.get().pk
    assert call(role, "delete", f"{LIMITS}/{limit}").status_code == status
    assert Stage.objects.count() == 6 and ContactLimit.objects.count() == 1


def test_the_owner_adds_renames_and_retires_stages_and_reasons(call):
    added = call(
        "owner",
        "post",
        STAGES,
        {"name": "Sample sent", "name_es": "Muestra enviada", "probability": 40},
    )
    assert added.status_code == 201, added.json()
    assert added.json()["position"] == 6 and added.json()["probability"] == 40
    url = f"{STAGES}/{added.json()['id']}"
    retired = call("owner", "patch", url, {"is_active": False, "name": "Samples"})
    assert retired.status_code == 200 and retired.json()["name"] == "Samples"
    assert "Samples" not in [row["name"] for row in call("owner", "get", STAGES).json()]
    assert "Samples" in [
        row["name"] for row in call("owner", "get", f"{STAGES}?in_use=false").json()
    ]
    both = call("owner", "post", STAGES, {"name": "Odd", "is_won": True, "is_lost": True})
    assert "is_lost" in _fields(both)
    assert "probability" in _fields(call("owner", "patch", url, {"probability": 150}))
    assert call("owner", "patch", f"{STAGES}/999999", {"name": "X"}).status_code == 404

    reason = call("owner", "post", LOST_REASONS, {"name": "Quality", "asks_competitor": True})
    assert reason.status_code == 201 and reason.json()["asks_competitor"] is True
    renamed = call("owner", "patch", f"{LOST_REASONS}/{reason.json()['id']}", {"name": "Taste"})
    assert renamed.json()["name"] == "Taste"
    assert "name" in _fields(call("owner", "post", LOST_REASONS, {"name": ""}))
    assert Stage.objects.count() == 7 and LostReason.objects.count() == 7


def test_the_owner_sets_and_lifts_contact_limits(call):
    created = call("owner", "post", LIMITS, {"channel": "phone", "max_contacts": 2, "days": 7})
    assert created.status_code == 201, created.json()
    replaced = call("owner", "post", LIMITS, {"channel": "phone", "max_contacts": 3, "days": 14})
    assert replaced.status_code == 200 and replaced.json()["max_contacts"] == 3
    assert ContactLimit.objects.get(channel="phone").days == 14
    assert "days" in _fields(
        call("owner", "post", LIMITS, {"channel": "sms", "max_contacts": 1, "days": 0})
    )
    assert "channel" in _fields(
        call("owner", "post", LIMITS, {"channel": "pigeon", "max_contacts": 1, "days": 3})
    )
    assert call("owner", "delete", f"{LIMITS}/{created.json()['id']}").status_code == 204
    assert call("owner", "delete", f"{LIMITS}/{created.json()['id']}").status_code == 404
    assert list(ContactLimit.objects.values_list("channel", flat=True)) == [""]


# --- activities ------------------------------------------------------------------------


def _activity(customer, **fields) -> dict:
    return {
        "kind": "call",
        "subject": "Ofrecer roscas",
        "due_at": _iso(days_ahead(2)),
        "customer_id": customer.pk,
    } | fields


@pytest.mark.parametrize(("role", "status"), WHO_RECORDS)
def test_who_may_plan_activities(call, customer, role, status):
    assert call(role, "post", ACTIVITIES, _activity(customer)).status_code == status
    assert Activity.objects.exists() == (status == 201)


def test_a_call_planned_rescheduled_and_done_records_its_interaction(call, sales, customer):
    contact = customer.contacts.create(name="Lucía")
    due = days_ahead(2)
    planned = call(
        "sales",
        "post",
        ACTIVITIES,
        _activity(
            customer,
            contact_id=contact.pk,
            ends_at=_iso(due + timedelta(minutes=45)),
            due_at=_iso(due),
        ),
    )
    assert planned.status_code == 201, planned.json()
    body = planned.json()
    assert (
        body["channel"] == "phone" and body["status"] == "open" and body["duration_minutes"] == 45
    )
    assert body["owner_id"] == sales.pk and planned["ETag"] == '"1"'
    url = f"{ACTIVITIES}/{body['id']}"

    later = call("sales", "patch", url, {"due_at": _iso(days_ahead(3)), "version": 1})
    assert later.status_code == 200, later.json()
    assert later.json()["version"] == 2
    assert "outcome" in _fields(call("sales", "post", f"{url}/complete", {"version": 2}))
    assert "outcome" in _fields(
        call("sales", "post", f"{url}/complete", {"outcome": "sold", "version": 2})
    )
    done = call(
        "sales",
        "post",
        f"{url}/complete",
        {"outcome": "interested", "notes": "Quiere 40", "satisfaction": 4, "version": 2},
    )
    assert done.status_code == 200, done.json()
    activity, interaction = done.json()["activity"], done.json()["interaction"]
    assert activity["status"] == "done" and activity["outcome"] == "interested"
    assert interaction["channel"] == "phone" and interaction["direction"] == "outbound"
    assert interaction["satisfaction"] == 4 and interaction["contact_id"] == contact.pk
    assert interaction["source_type"] == "activity" and interaction["source_id"] == body["id"]
    again = call("sales", "post", f"{url}/complete", {"outcome": "reached", "version": 3})
    assert "status" in _fields(again)
    assert "status" in _fields(call("sales", "patch", url, {"subject": "Otra", "version": 3}))
    assert Interaction.objects.count() == 1


def test_a_task_is_done_without_an_outcome_and_records_no_contact(call, sales):
    planned = call(
        "support",
        "post",
        ACTIVITIES,
        {"kind": "task", "subject": "Inventario", "due_at": _iso(days_ahead(1))},
    )
    assert planned.status_code == 201, planned.json()
    done = call("support", "post", f"{ACTIVITIES}/{planned.json()['id']}/complete", {"version": 1})
    assert done.status_code == 200, done.json()
    assert done.json()["interaction"] is None and not Interaction.objects.exists()


def test_cancelling_an_activity_needs_its_version(call, customer):
    url = f"{ACTIVITIES}/{call('sales', 'post', ACTIVITIES, _activity(customer)).json()['id']}"
    assert call("sales", "post", f"{url}/cancel", {}).status_code == 428
    assert call("sales", "post", f"{url}/cancel", {"version": 7}).status_code == 409
    assert call("readonly", "post", f"{url}/cancel", {"version": 1}).status_code == 403
    cancelled = call("sales", "post", f"{url}/cancel", {"reason": "Cerrado", "version": 1})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert call("sales", "patch", url, {"subject": "X"}).status_code == 428
    assert call("sales", "patch", url, {"subject": "X", "version": 1}).status_code == 422


def test_a_call_without_consent_is_refused_on_channel_and_no_reason_lets_it_through(call, sales):
    customer = consenting(CustomerFactory(owner=sales), consent_phone=False)
    refused = call("sales", "post", ACTIVITIES, _activity(customer, override_reason="Urgente"))
    assert "agrees to calls" in _fields(refused)["channel"]
    recorded = call(
        "sales",
        "post",
        INTERACTIONS,
        {
            "customer_id": customer.pk,
            "channel": "phone",
            "direction": "outbound",
            "override_reason": "Urgente",
        },
    )
    assert "agrees to calls" in _fields(recorded)["channel"]
    assert not Activity.objects.exists() and not Interaction.objects.exists()


def test_a_fifth_call_is_refused_on_override_reason_and_goes_through_with_one(
    call, sales, customer
):
    _outbound_calls(sales, customer, 4)
    refused = call("sales", "post", ACTIVITIES, _activity(customer))
    message = _fields(refused)["override_reason"]
    assert "At most 4 outbound contacts in 30 days" in message
    assert not Activity.objects.exists()
    allowed = call("sales", "post", ACTIVITIES, _activity(customer, override_reason="Lo pidió"))
    assert allowed.status_code == 201, allowed.json()
    assert allowed.json()["override_reason"] == "Lo pidió"
    assert allowed.json()["override_by_id"] == sales.pk


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": "due"}, "ends_at"),
        ({"due_at": "1900-06-15T10:00:00-06:00"}, "due_at"),
        ({"due_at": "9999-12-31T23:00:00-06:00"}, "due_at"),
        ({"due_at": "2026-03-01T10:00:00"}, "due_at"),
        ({"due_at": "tomorrow"}, "due_at"),
        ({"kind": "fax"}, "kind"),
        ({"duration_minutes": -5}, "duration_minutes"),
        ({"customer_id": 999_999}, "customer_id"),
        ({"customer_id": None}, "customer_id"),
        ({"contact_id": 999_999}, "contact_id"),
        ({"owner_id": 999_999}, "owner_id"),
        ({"opportunity_id": 999_999}, "opportunity_id"),
        ({"order_id": 999_999}, "order_id"),
        ({"subject": ""}, "subject"),
    ],
)
def test_bad_input_for_an_activity_is_a_422_naming_the_field_and_writes_nothing(
    call, customer, change, field
):
    body = _activity(customer) | change
    if change.get("ends_at") == "due":
        body["ends_at"] = _iso(days_ahead(2) - timedelta(hours=1))
    if change.get("customer_id", 0) is None:
        del body["customer_id"]
    assert field in _fields(call("sales", "post", ACTIVITIES, body))
    assert not Activity.objects.exists()


def test_an_activity_with_another_customers_contact_or_opportunity_is_refused(
    call, sales, customer, theirs
):
    contact = theirs.contacts.create(name="Contacto Bruno")
    deal = opportunity_create(actor=None, customer=theirs, title="De Bruno")
    refused = call("sales", "post", ACTIVITIES, _activity(customer, contact_id=contact.pk))
    assert _fields(refused)["contact_id"] == "This contact person belongs to another customer."
    refused = call("sales", "post", ACTIVITIES, _activity(customer, opportunity_id=deal.pk))
    assert "opportunity_id" in _fields(refused)
    assert not Activity.objects.exists()


def test_the_activity_list_filters_and_pages(call, sales, support, customer, theirs):
    call_ = activity_plan(
        actor=sales, kind="call", subject="A", due_at=days_ahead(1), customer=customer
    )
    visit = activity_plan(
        actor=support, kind="visit", subject="B", due_at=days_ahead(5), customer=theirs
    )
    task = activity_plan(actor=sales, kind="task", subject="C", due_at=days_ahead(9))
    cancelled = call("sales", "post", f"{ACTIVITIES}/{task.pk}/cancel", {"version": 1})
    assert cancelled.status_code == 200

    assert _ids(call("readonly", "get", ACTIVITIES)) == [call_.pk, visit.pk, task.pk]
    assert _ids(call("readonly", "get", f"{ACTIVITIES}?owner={support.pk}")) == [visit.pk]
    assert _ids(call("readonly", "get", f"{ACTIVITIES}?customer={customer.pk}")) == [call_.pk]
    assert _ids(call("readonly", "get", f"{ACTIVITIES}?status=cancelled")) == [task.pk]
    assert _ids(call("readonly", "get", f"{ACTIVITIES}?kind=visit")) == [visit.pk]
    local = timezone.localdate
    window = f"due_from={local(days_ahead(3))}&due_to={local(days_ahead(9))}"
    assert _ids(call("readonly", "get", f"{ACTIVITIES}?{window}")) == [visit.pk, task.pk]
    assert _ids(call("readonly", "get", f"{ACTIVITIES}?due_to={local(days_ahead(1))}")) == [
        call_.pk
    ]
    assert call("readonly", "get", f"{ACTIVITIES}?page_size=1").json()["count"] == 3
    assert "kind" in _fields(call("readonly", "get", f"{ACTIVITIES}?kind=fax"))
    assert "due_from" in _fields(call("readonly", "get", f"{ACTIVITIES}?due_from=1800-01-01"))


def test_a_limited_salesperson_reaches_only_their_customers_activities(
    call, limited, sales, customer, theirs
):
    mine = activity_plan(
        actor=sales, kind="call", subject="Mía", due_at=days_ahead(1), customer=customer
    )
    other = activity_plan(
        actor=None, kind="call", subject="De Bruno", due_at=days_ahead(1), customer=theirs
    )

    assert _ids(call("sales", "get", ACTIVITIES)) == [mine.pk]
    url = f"{ACTIVITIES}/{other.pk}"
    assert call("sales", "get", url).status_code == 404
    assert call("sales", "patch", url, {"subject": "X", "version": 1}).status_code == 404
    assert (
        call("sales", "post", f"{url}/complete", {"outcome": "reached", "version": 1}).status_code
        == 404
    )
    assert call("sales", "post", f"{url}/cancel", {"version": 1}).status_code == 404
    assert "customer_id" in _fields(call("sales", "post", ACTIVITIES, _activity(theirs)))
    assert Activity.objects.get(pk=other.pk).status == "open"


# --- interactions ----------------------------------------------------------------------


def _interaction(customer, **fields) -> dict:
    return {"customer_id": customer.pk, "channel": "phone", "direction": "outbound"} | fields


@pytest.mark.parametrize(("role", "status"), WHO_RECORDS)
def test_who_may_record_interactions(call, customer, role, status):
    assert call(role, "post", INTERACTIONS, _interaction(customer)).status_code == status
    assert Interaction.objects.exists() == (status == 201)


def test_a_contact_recorded_read_and_deleted(call, support, customer):
    at = days_ago(1)
    recorded = call(
        "support",
        "post",
        INTERACTIONS,
        _interaction(
            customer,
            direction="inbound",
            channel="whatsapp",
            at=_iso(at),
            subject="Pedido",
            outcome="order_taken",
            satisfaction=5,
        ),
    )
    assert recorded.status_code == 201, recorded.json()
    body = recorded.json()
    assert body["staff_id"] == support.pk and body["customer"] == "Café Luna"
    customer.refresh_from_db()
    assert customer.last_contacted_at == at
    url = f"{INTERACTIONS}/{body['id']}"
    assert call("readonly", "get", url).json()["subject"] == "Pedido"
    assert call("readonly", "delete", url).status_code == 403
    assert call("support", "delete", url).status_code == 204
    assert call("support", "get", url).status_code == 404
    customer.refresh_from_db()
    assert customer.last_contacted_at is None


def test_a_fifth_contact_is_refused_on_override_reason_and_recorded_with_one(call, sales, customer):
    _outbound_calls(sales, customer, 4)
    refused = call("sales", "post", INTERACTIONS, _interaction(customer, channel="email"))
    assert "At most 4 outbound contacts in 30 days" in _fields(refused)["override_reason"]
    assert Interaction.objects.count() == 4
    body = _interaction(customer, channel="email", override_reason="Respondió a la oferta")
    recorded = call("sales", "post", INTERACTIONS, body)
    assert recorded.status_code == 201, recorded.json()
    assert recorded.json()["override_reason"] == "Respondió a la oferta"
    overridden = call("owner", "get", f"{INTERACTIONS}?overridden=true")
    assert _ids(overridden) == [recorded.json()["id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"direction": "sideways"}, "direction"),
        ({"outcome": "maybe"}, "outcome"),
        ({"satisfaction": 6}, "satisfaction"),
        ({"satisfaction": 0}, "satisfaction"),
        ({"at": "future"}, "at"),
        ({"at": "1900-06-15T12:00:00-06:00"}, "at"),
        ({"at": "9999-12-31T23:00:00-06:00"}, "at"),
        ({"at": "0001-01-01T00:00:00+14:00"}, "at"),
        ({"at": "2025-03-01T10:00:00"}, "at"),
        ({"customer_id": 999_999}, "customer_id"),
        ({"contact_id": 999_999}, "contact_id"),
        ({"customer_id": None}, "customer_id"),
        ({"notes": "x" * 10_001}, "notes"),
        ({"subject": "a\x00b"}, "subject"),
    ],
)
def test_bad_input_for_an_interaction_is_a_422_naming_the_field_and_writes_nothing(
    call, customer, change, field
):
    body = _interaction(customer) | change
    if change.get("at") == "future":
        body["at"] = _iso(days_ahead(1))
    assert field in _fields(call("sales", "post", INTERACTIONS, body))
    assert not Interaction.objects.exists()
    customer.refresh_from_db()
    assert customer.last_contacted_at is None


def test_an_interaction_with_another_customers_contact_person_is_refused(call, customer, theirs):
    contact = theirs.contacts.create(name="Contacto Bruno")
    refused = call("sales", "post", INTERACTIONS, _interaction(customer, contact_id=contact.pk))
    assert _fields(refused)["contact_id"] == "This contact person belongs to another customer."
    assert not Interaction.objects.exists()


def test_the_interaction_list_filters_and_pages(call, sales, support, customer, theirs):
    def record(actor, who, days, **fields):
        fields = {"channel": "phone", "direction": "inbound"} | fields
        return interaction_record(actor=actor, customer=who, at=days_ago(days), **fields)

    old = record(sales, customer, 20, channel="email")
    middle = record(support, theirs, 10, direction="outbound")
    recent = record(sales, customer, 1)

    assert _ids(call("readonly", "get", INTERACTIONS)) == [recent.pk, middle.pk, old.pk]
    assert _ids(call("readonly", "get", f"{INTERACTIONS}?customer={customer.pk}")) == [
        recent.pk,
        old.pk,
    ]
    assert _ids(call("readonly", "get", f"{INTERACTIONS}?channel=email")) == [old.pk]
    assert _ids(call("readonly", "get", f"{INTERACTIONS}?direction=outbound")) == [middle.pk]
    assert _ids(call("readonly", "get", f"{INTERACTIONS}?staff={support.pk}")) == [middle.pk]
    local = timezone.localdate
    since = f"since={local(days_ago(10))}&until={local(days_ago(2))}"
    assert _ids(call("readonly", "get", f"{INTERACTIONS}?{since}")) == [middle.pk]
    assert _ids(call("readonly", "get", f"{INTERACTIONS}?since={local(days_ago(1))}")) == [
        recent.pk
    ]
    assert _ids(call("readonly", "get", f"{INTERACTIONS}?overridden=true")) == []
    assert call("readonly", "get", f"{INTERACTIONS}?page_size=2").json()["count"] == 3
    assert "channel" in _fields(call("readonly", "get", f"{INTERACTIONS}?channel=pigeon"))
    assert "until" in _fields(call("readonly", "get", f"{INTERACTIONS}?until=9999-01-01"))


def test_a_limited_salesperson_reaches_only_their_customers_interactions(
    call, limited, sales, customer, theirs
):
    mine = interaction_record(actor=sales, customer=customer, channel="phone", direction="inbound")
    other = interaction_record(actor=None, customer=theirs, channel="phone", direction="inbound")

    assert _ids(call("sales", "get", INTERACTIONS)) == [mine.pk]
    assert _ids(call("sales", "get", f"{INTERACTIONS}?customer={theirs.pk}")) == []
    assert call("sales", "get", f"{INTERACTIONS}/{other.pk}").status_code == 404
    assert call("sales", "delete", f"{INTERACTIONS}/{other.pk}").status_code == 404
    assert "customer_id" in _fields(call("sales", "post", INTERACTIONS, _interaction(theirs)))
    assert Interaction.objects.count() == 2


# --- notes -----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), WHO_RECORDS)
def test_who_may_write_notes(call, customer, role, status):
    body = {"customer_id": customer.pk, "text": "Prefiere entregas por la mañana."}
    assert call(role, "post", NOTES, body).status_code == status
    assert CustomerNote.objects.exists() == (status == 201)


def test_a_note_written_pinned_listed_and_removed(call, sales, customer, theirs):
    older = note_add(actor=sales, customer=customer, text="Cliente desde 2019.")
    note_add(actor=None, customer=theirs, text="Otro cliente.")
    written = call("sales", "post", NOTES, {"customer_id": customer.pk, "text": "Paga a 30 días."})
    assert written.status_code == 201 and written["ETag"] == '"1"'
    url = f"{NOTES}/{written.json()['id']}"

    assert _ids(call("readonly", "get", f"{NOTES}?customer={customer.pk}")) == [
        written.json()["id"],
        older.pk,
    ]
    assert call("sales", "patch", f"{NOTES}/{older.pk}", {"pinned": True}).status_code == 428
    pinned = call("sales", "patch", f"{NOTES}/{older.pk}", {"pinned": True, "version": 1})
    assert pinned.status_code == 200 and pinned.json()["pinned"] is True
    assert _ids(call("readonly", "get", f"{NOTES}?customer={customer.pk}"))[0] == older.pk
    assert _ids(call("readonly", "get", f"{NOTES}?customer={customer.pk}&pinned=true")) == [
        older.pk
    ]
    stale = call("sales", "patch", f"{NOTES}/{older.pk}", {"text": "Otra cosa", "version": 1})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert "text" in _fields(call("sales", "patch", url, {"text": "", "version": 1}))
    assert call("readonly", "get", url)["ETag"] == '"1"'

    assert call("sales", "delete", url).status_code == 428
    assert call("sales", "delete", url, headers={"If-Match": '"5"'}).status_code == 409
    assert call("readonly", "delete", url, headers={"If-Match": '"1"'}).status_code == 403
    assert call("sales", "delete", url, headers={"If-Match": '"1"'}).status_code == 204
    assert call("sales", "get", url).status_code == 404
    assert CustomerNote.objects.count() == 2


def test_bad_notes_are_refused_naming_the_field(call, customer):
    assert "text" in _fields(call("sales", "post", NOTES, {"customer_id": customer.pk, "text": ""}))
    assert "customer_id" in _fields(
        call("sales", "post", NOTES, {"customer_id": 999_999, "text": "x"})
    )
    assert "pinned" in _fields(
        call("sales", "post", NOTES, {"customer_id": customer.pk, "text": "x", "pinned": "often"})
    )
    assert not CustomerNote.objects.exists()


def test_a_limited_salesperson_reaches_only_their_customers_notes(
    call, limited, sales, customer, theirs
):
    mine = note_add(actor=sales, customer=customer, text="Mía")
    other = note_add(actor=None, customer=theirs, text="De Bruno")

    assert _ids(call("sales", "get", NOTES)) == [mine.pk]
    assert _ids(call("sales", "get", f"{NOTES}?customer={theirs.pk}")) == []
    url = f"{NOTES}/{other.pk}"
    assert call("sales", "get", url).status_code == 404
    assert call("sales", "patch", url, {"pinned": True, "version": 1}).status_code == 404
    assert call("sales", "delete", url, headers={"If-Match": '"1"'}).status_code == 404
    body = {"customer_id": theirs.pk, "text": "Intruso"}
    assert "customer_id" in _fields(call("sales", "post", NOTES, body))
    assert CustomerNote.objects.count() == 2


def test_money_and_dates_are_written_as_the_api_writes_them(call, customer):
    created = call(
        "sales",
        "post",
        OPPORTUNITIES,
        _opportunity(
            customer, value="1200.5", expected_close=str(date.today() + timedelta(days=30))
        ),
    )
    assert created.status_code == 201, created.json()
    assert created.json()["value"] == "1200.50"
    assert Opportunity.objects.get().value == Decimal("1200.50")


PATCHED_FIELDS = {
    OPPORTUNITIES: [
        "customer_id", "title", "value", "currency", "probability", "expected_close",
        "owner_id", "source", "product_ids", "next_step", "notes",
    ],
    ACTIVITIES: [
        "kind", "subject", "due_at", "ends_at", "duration_minutes", "notes", "owner_id",
        "customer_id", "contact_id", "opportunity_id", "order_id",
    ],
    NOTES: ["text", "pinned"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("collection", "field"),
    [(collection, field) for collection, fields in PATCHED_FIELDS.items() for field in fields],
)
def test_a_change_to_null_is_made_or_refused_naming_the_field(
    call, sales, customer, collection, field
):
    record = {
        OPPORTUNITIES: lambda: opportunity_create(actor=sales, customer=customer, title="Pan"),
        ACTIVITIES: lambda: activity_plan(
            actor=sales, kind="call", subject="A", due_at=days_ahead(1), customer=customer
        ),
        NOTES: lambda: note_add(actor=sales, customer=customer, text="Nota"),
    }[collection]()
    response = call("sales", "patch", f"{collection}/{record.pk}", {field: None, "version": 1})
    assert response.status_code in (200, 422), response.content
    if response.status_code == 422:
        assert field in _fields(response)


def test_each_list_reads_the_same_number_of_queries_for_one_row_or_many(
    client, api_headers, readonly, sales, customer, theirs
):
    ContactLimit.objects.all().delete()
    headers = api_headers(readonly)
    client.get(STAGES, headers=headers)  # the token's first use is recorded once

    def add_rows():
        for who in (customer, theirs):
            deal = opportunity_create(actor=None, customer=who, title="Pan")
            activity_plan(
                actor=None,
                kind="visit",
                subject="Visita",
                due_at=days_ahead(1),
                customer=who,
                opportunity=deal,
                owner=sales,
            )
            visit = activity_plan(
                actor=None, kind="visit", subject="Otra", due_at=days_ago(1), customer=who
            )
            activity_complete(actor=None, activity=visit, version=1, outcome="reached")
            note_add(actor=None, customer=who, text="Nota", pinned=True)

    def queries() -> dict[str, int]:
        counts = {}
        for url in (OPPORTUNITIES, ACTIVITIES, INTERACTIONS, NOTES, STAGES, LOST_REASONS, LIMITS):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url, headers=headers).status_code == 200
            counts[url] = len(captured)
        return counts

    add_rows()
    few = queries()
    add_rows()
    add_rows()
    assert queries() == few


def test_rescheduling_into_a_full_month_is_refused_then_allowed_with_a_reason(
    call, sales, customer
):
    planned = call("sales", "post", ACTIVITIES, _activity(customer, due_at=_iso(days_ahead(40))))
    url = f"{ACTIVITIES}/{planned.json()['id']}"
    _outbound_calls(sales, customer, 4)

    sooner = {"due_at": _iso(days_ahead(1)), "version": 1}
    assert "At most 4" in _fields(call("sales", "patch", url, sooner))["override_reason"]
    assert Activity.objects.get().due_at > days_ahead(39)
    allowed = call("sales", "patch", url, sooner | {"override_reason": "Lo pidió"})
    assert allowed.status_code == 200, allowed.json()
    assert allowed.json()["override_reason"] == "Lo pidió" and allowed.json()["version"] == 2


def test_a_refusal_is_told_in_the_callers_language(call, sales):
    customer = consenting(CustomerFactory(owner=sales), consent_phone=False)
    refused = call(
        "sales", "post", INTERACTIONS, _interaction(customer), headers={"Accept-Language": "es"}
    )
    assert "acepta llamadas" in _fields(refused)["channel"]


def test_the_openapi_document_lists_the_relations_paths(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert {
        "/api/v1/opportunities",
        "/api/v1/opportunities/{opportunity_id}",
        "/api/v1/opportunities/{opportunity_id}/move",
        "/api/v1/opportunities/{opportunity_id}/reopen",
        "/api/v1/stages",
        "/api/v1/stages/{stage_id}",
        "/api/v1/lost-reasons",
        "/api/v1/lost-reasons/{lost_reason_id}",
        "/api/v1/contact-limits",
        "/api/v1/contact-limits/{limit_id}",
        "/api/v1/activities",
        "/api/v1/activities/{activity_id}",
        "/api/v1/activities/{activity_id}/complete",
        "/api/v1/activities/{activity_id}/cancel",
        "/api/v1/interactions",
        "/api/v1/interactions/{interaction_id}",
        "/api/v1/notes",
        "/api/v1/notes/{note_id}",
    } <= set(paths)
    assert set(paths["/api/v1/opportunities/{opportunity_id}"]) == {"get", "patch"}
    assert set(paths["/api/v1/interactions/{interaction_id}"]) == {"get", "delete"}


def test_a_move_with_no_body_but_if_match_reopens_and_cancels(client, api_headers, sales, customer):
    won = opportunity_create(actor=sales, customer=customer, title="Boda", stage=stage("Won"))
    planned = activity_plan(actor=sales, kind="task", subject="Inventario", due_at=days_ahead(1))
    headers = api_headers(sales)
    for url in (f"{OPPORTUNITIES}/{won.pk}/reopen", f"{ACTIVITIES}/{planned.pk}/cancel"):
        # an empty body, as a client sends with nothing to say but the version
        assert client.post(url, headers=headers, content_type="application/json").status_code == 428
        done = client.post(
            url, headers=headers | {"If-Match": '"1"'}, content_type="application/json"
        )
        assert done.status_code == 200, done.content
        assert done["ETag"] == '"2"'


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"satisfaction": 6}, "satisfaction"),
        ({"outcome": "sold"}, "outcome"),
        ({"done_at": "9999-12-31T23:00:00-06:00"}, "done_at"),
        ({"done_at": "2026-03-01T10:00:00"}, "done_at"),
    ],
)
def test_a_completion_refused_leaves_the_activity_planned_and_records_nothing(
    call, sales, customer, change, field
):
    planned = activity_plan(
        actor=sales, kind="call", subject="A", due_at=days_ahead(1), customer=customer
    )
    body = {"outcome": "reached", "version": 1} | change
    refused = call("sales", "post", f"{ACTIVITIES}/{planned.pk}/complete", body)
    assert field in _fields(refused)
    planned.refresh_from_db()
    assert planned.status == "open" and planned.version == 1
    assert not Interaction.objects.exists()
