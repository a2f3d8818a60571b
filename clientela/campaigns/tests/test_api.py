"""The campaigns REST API: segments (saved, counted, listed, changed, deleted) and
campaigns (drafted, written, launched, paused, resumed, finished); who may do what,
versions, refusals that name the field and write nothing, and the webhooks a launch and
an end send."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clientela.campaigns.models import Campaign, CampaignMessage, CampaignStatus, Segment
from clientela.campaigns.services import campaign_launch
from clientela.campaigns.tests import results_data
from clientela.campaigns.tests.factories import EVERYONE, campaign_draft
from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.tests.factories import ProductFactory
from clientela.relations.tests.factories import consenting
from clientela.webhooks.models import WebhookDelivery
from clientela.webhooks.services import webhook_subscription_create

pytestmark = pytest.mark.django_db

API = "/api/v1"
SEGMENTS = f"{API}/segments"
CAMPAIGNS = f"{API}/campaigns"

READERS = [(None, 401), ("readonly", 200), ("support", 200), ("sales", 200), ("owner", 200)]
WHO_BUILDS = [(None, 401), ("readonly", 403), ("support", 403), ("sales", 201), ("owner", 201)]
WHO_MAY_NOT_WRITE = [(None, 401), ("readonly", 403), ("support", 403)]
PUEBLA = [{"field": "city", "op": "in", "value": ["Puebla"]}]


@pytest.fixture
def book(sales):
    """Three customers of the ``sales`` user agreeing to every channel: two in Puebla with
    an e-mail address, one in CDMX with none."""
    return [
        consenting(
            CustomerFactory(
                name="Café Luna",
                owner=sales,
                emails=["luna@cafe.mx"],
                addresses=[{"street": "5 de Mayo 3", "city": "Puebla"}],
            )
        ),
        consenting(
            CustomerFactory(
                name="Panadería Sol",
                owner=sales,
                emails=["sol@pan.mx"],
                addresses=[{"street": "Reforma 9", "city": "Puebla"}],
            )
        ),
        consenting(
            CustomerFactory(
                name="Hotel Centro",
                owner=sales,
                addresses=[{"street": "Juárez 1", "city": "CDMX"}],
            )
        ),
    ]


@pytest.fixture
def launched(owner, book):
    """The owner's e-mail campaign to everyone, launched with no hold-out."""
    campaign = campaign_draft(owner, EVERYONE, holdout_percent=0)
    return campaign_launch(actor=owner, campaign=campaign)


def _fields(response) -> dict[str, str]:
    """A 422's messages by the field they name (the last part of ``loc``)."""
    assert response.status_code == 422, response.content
    return {str(entry["loc"][-1]): entry["msg"] for entry in response.json()["detail"]}


def _segment(call, role="sales", **fields):
    body = {"name": "Puebla", "conditions": PUEBLA} | fields
    made = call(role, "post", SEGMENTS, body)
    assert made.status_code == 201, made.content
    return made.json()


def _campaign_body(segment_id, **fields) -> dict:
    return {
        "name": "Navidad en Puebla",
        "segment_id": segment_id,
        "channel": "email",
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-24",
    } | fields


def _message(**fields) -> dict:
    return {"subject": "Feliz Navidad, {{ first_name }}", "body": "Hola {{ first_name }}"} | fields


# --- who may do what ------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), READERS)
def test_every_role_reads_segments_and_campaigns(call, launched, role, status):
    segment = launched.segment
    reads = [
        ("get", SEGMENTS, None),
        ("get", f"{SEGMENTS}/{segment.pk}", None),
        ("get", f"{SEGMENTS}/{segment.pk}/members", None),
        ("post", f"{SEGMENTS}/count", {"conditions": PUEBLA}),
        ("get", CAMPAIGNS, None),
        ("get", f"{CAMPAIGNS}/{launched.pk}", None),
        ("get", f"{CAMPAIGNS}/{launched.pk}/members", None),
    ]
    for method, url, body in reads:
        assert call(role, method, url, body).status_code == status, (method, url)


@pytest.mark.parametrize(("role", "status"), WHO_BUILDS)
def test_who_may_build_segments_and_campaigns(call, owner, book, role, status):
    segment = campaign_draft(owner, EVERYONE).segment

    made_segment = call(role, "post", SEGMENTS, {"name": "Puebla", "conditions": PUEBLA})
    made_campaign = call(role, "post", CAMPAIGNS, _campaign_body(segment.pk))

    assert (made_segment.status_code, made_campaign.status_code) == (status, status)
    assert Segment.objects.filter(name="Puebla").exists() == (status == 201)
    assert Campaign.objects.count() == (2 if status == 201 else 1)


@pytest.mark.parametrize(("role", "status"), WHO_MAY_NOT_WRITE)
def test_readers_change_nothing(call, owner, book, launched, role, status):
    draft = campaign_draft(owner, PUEBLA)
    segment = draft.segment
    writes = [
        ("patch", f"{SEGMENTS}/{segment.pk}", {"name": "Otro", "version": 1}),
        ("delete", f"{SEGMENTS}/{segment.pk}", None),
        ("patch", f"{CAMPAIGNS}/{draft.pk}", {"name": "Otro", "version": 1}),
        ("put", f"{CAMPAIGNS}/{draft.pk}/messages/default", _message()),
        ("delete", f"{CAMPAIGNS}/{draft.pk}/messages/default", None),
        ("post", f"{CAMPAIGNS}/{draft.pk}/launch", None),
        ("post", f"{CAMPAIGNS}/{launched.pk}/pause", None),
        ("post", f"{CAMPAIGNS}/{launched.pk}/resume", None),
        ("post", f"{CAMPAIGNS}/{launched.pk}/finish", None),
    ]
    for method, url, body in writes:
        assert call(role, method, url, body).status_code == status, (method, url)

    draft.refresh_from_db()
    launched.refresh_from_db()
    assert (draft.name, draft.status, draft.messages.count()) == ("Navidad", "draft", 1)
    assert launched.status == CampaignStatus.RUNNING
    assert Segment.objects.get(pk=segment.pk).name == segment.name


def test_a_salesperson_builds_and_runs_a_campaign_through_the_api(call, settings, sales, book):
    settings.CLIENTELA_CAMPAIGN_EMAIL_LIMIT = 5
    # a segment and its live count, then its members
    counted = call("sales", "post", f"{SEGMENTS}/count", {"conditions": PUEBLA})
    assert counted.json() == {"count": 2}
    segment = _segment(call)
    assert segment["count"] == 2 and segment["version"] == 1
    members = call("sales", "get", f"{SEGMENTS}/{segment['id']}/members").json()
    assert members["count"] == 2
    assert members["items"][0] == {
        "id": book[0].pk,
        "name": "Café Luna",
        "email": "luna@cafe.mx",
        "city": "Puebla",
        "owner_id": sales.pk,
        "owner": sales.get_full_name() or sales.username,
    }
    # a campaign on it, its message, its launch
    created = call("sales", "post", CAMPAIGNS, _campaign_body(segment["id"], holdout_percent=0))
    assert created.status_code == 201, created.content
    assert created["ETag"] == '"1"'
    url = f"{CAMPAIGNS}/{created.json()['id']}"
    written = call("sales", "put", f"{url}/messages/default", _message())
    assert written.status_code == 200, written.content
    assert written.json()["language"] == "default"
    spanish = call("sales", "put", f"{url}/messages/es", _message(subject="Hola {{ name }}"))
    assert spanish.json()["language"] == "es"
    assert call("sales", "delete", f"{url}/messages/es").status_code == 204
    launched = call("sales", "post", f"{url}/launch")
    assert launched.status_code == 200, launched.content
    detail = launched.json()
    assert detail["status"] == "running" and detail["version"] == 2
    assert detail["members"] == {
        "total": 2,
        "by_group": {"contacted": 2, "holdout": 0, "set_aside": 0},
        "by_reason": {},
        "by_state": {"queued": 2},
    }
    assert [m["language"] for m in detail["messages"]] == ["default"]
    # paused, resumed, finished
    assert call("sales", "post", f"{url}/pause").json()["status"] == "paused"
    assert call("sales", "post", f"{url}/resume").json()["status"] == "running"
    finished = call("sales", "post", f"{url}/finish").json()
    assert finished["status"] == "finished" and finished["finished_at"]
    rows = call("sales", "get", f"{url}/members").json()["items"]
    assert {row["customer"] for row in rows} == {"Café Luna", "Panadería Sol"}
    assert set(rows[0]) == {
        "customer_id",
        "customer",
        "group",
        "reason",
        "pareto_class",
        "state",
        "outcome",
        "contacted_at",
        "unsubscribed_at",
    }


def test_a_salesperson_may_not_launch_a_large_e_mail_campaign_the_owner_may(
    call, settings, owner, sales, book
):
    settings.CLIENTELA_CAMPAIGN_EMAIL_LIMIT = 1
    campaign = campaign_draft(sales, PUEBLA)
    url = f"{CAMPAIGNS}/{campaign.pk}/launch"

    refused = call("sales", "post", url)

    assert "Only the owner" in _fields(refused)["segment"]
    assert Campaign.objects.get().status == CampaignStatus.DRAFT
    assert call("owner", "post", url).json()["status"] == "running"


def test_a_salesperson_changes_only_what_they_made(call, owner, sales, book):
    theirs = campaign_draft(owner, PUEBLA)

    assert call("sales", "patch", f"{CAMPAIGNS}/{theirs.pk}", {"version": 1}).status_code == 403
    assert call("sales", "post", f"{CAMPAIGNS}/{theirs.pk}/launch").status_code == 403
    assert call("sales", "delete", f"{SEGMENTS}/{theirs.segment.pk}").status_code == 403
    mine = campaign_draft(sales, PUEBLA, name="Mía")
    changed = call("owner", "patch", f"{CAMPAIGNS}/{mine.pk}", {"name": "Del dueño", "version": 1})
    assert changed.status_code == 200 and changed.json()["name"] == "Del dueño"


def test_a_private_segment_is_its_makers_only(call, owner, book):
    private = _segment(call, "owner", name="Privado", shared=False)

    assert call("sales", "get", f"{SEGMENTS}/{private['id']}").status_code == 404
    assert [s["name"] for s in call("sales", "get", SEGMENTS).json()["items"]] == []
    refused = call("sales", "post", CAMPAIGNS, _campaign_body(private["id"]))
    assert "segment_id" in _fields(refused)


def test_campaigns_are_listed_by_status_and_channel(call, owner, book, launched):
    campaign_draft(owner, PUEBLA, name="Llamadas", channel="call")

    def names(query):
        return [c["name"] for c in call("readonly", "get", f"{CAMPAIGNS}?{query}").json()["items"]]

    assert names("status=running") == ["Navidad"]
    assert names("channel=call") == ["Llamadas"]
    assert names("status=draft&channel=email") == []
    assert call("readonly", "get", f"{CAMPAIGNS}?status=sleeping").status_code == 422


def test_set_aside_members_are_counted_by_reason(call, owner, launched):
    detail = call("support", "get", f"{CAMPAIGNS}/{launched.pk}").json()

    assert detail["members"]["by_group"] == {"contacted": 2, "holdout": 0, "set_aside": 1}
    assert detail["members"]["by_reason"] == {"no_address": 1}
    set_aside = call("support", "get", f"{CAMPAIGNS}/{launched.pk}/members?group=set_aside")
    assert [(m["customer"], m["reason"]) for m in set_aside.json()["items"]] == [
        ("Hotel Centro", "no_address")
    ]


def test_a_salesperson_limited_to_their_customers_counts_and_lists_only_theirs(
    call, settings, owner, sales, book
):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    CustomerFactory(name="Ajena", owner=owner, addresses=[{"street": "Uno 1", "city": "Puebla"}])
    segment = _segment(call, "owner")
    url = f"{SEGMENTS}/{segment['id']}"

    assert call("owner", "get", url).json()["count"] == 3
    assert call("sales", "get", url).json()["count"] == 2
    assert call("sales", "post", f"{SEGMENTS}/count", {"conditions": PUEBLA}).json()["count"] == 2
    names = [row["name"] for row in call("sales", "get", f"{url}/members").json()["items"]]
    assert names == ["Café Luna", "Panadería Sol"]
    campaign = campaign_launch(actor=owner, campaign=campaign_draft(owner, PUEBLA))
    members = f"{CAMPAIGNS}/{campaign.pk}/members"
    assert len(call("owner", "get", members).json()["items"]) == 3
    assert {row["customer"] for row in call("sales", "get", members).json()["items"]} == {
        "Café Luna",
        "Panadería Sol",
    }


def test_member_lists_read_in_as_many_queries_whatever_their_length(call, owner, book, launched):
    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert call("readonly", "get", url).status_code == 200
        return len(captured)

    segment_url = f"{SEGMENTS}/{launched.segment.pk}/members"
    campaign_url = f"{CAMPAIGNS}/{launched.pk}/members"
    for url in (segment_url, campaign_url, CAMPAIGNS):  # caches filled
        queries(url)
    before = (queries(segment_url), queries(campaign_url), queries(CAMPAIGNS))
    for number in range(4):
        CustomerFactory(name=f"Nuevo {number}", owner=owner, emails=[f"n{number}@x.mx"])
    campaign_launch(actor=owner, campaign=campaign_draft(owner, EVERYONE, name="Otra"))

    assert (queries(segment_url), queries(campaign_url), queries(CAMPAIGNS)) == before


# --- versions -------------------------------------------------------------------------


def test_a_stale_version_is_a_conflict_and_writes_nothing(call, sales, book):
    segment = _segment(call)
    url = f"{SEGMENTS}/{segment['id']}"
    assert call("sales", "patch", url, {"name": "Puebla centro"}).status_code == 428
    assert call("sales", "patch", url, {"name": "Puebla centro", "version": 1}).status_code == 200

    stale = call("sales", "patch", url, {"name": "Otro", "version": 1})

    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert Segment.objects.get().name == "Puebla centro"
    created = call("sales", "post", CAMPAIGNS, _campaign_body(segment["id"])).json()
    campaign_url = f"{CAMPAIGNS}/{created['id']}"
    assert call("sales", "patch", campaign_url, {"name": "A", "version": 1}).status_code == 200
    assert call("sales", "patch", campaign_url, {"name": "B", "version": 1}).status_code == 409
    assert Campaign.objects.get().name == "A"


def test_an_if_match_header_carries_the_version(call, sales, book):
    segment = _segment(call)
    url = f"{SEGMENTS}/{segment['id']}"

    changed = call("sales", "patch", url, {"shared": False}, headers={"If-Match": '"1"'})

    assert changed.status_code == 200 and changed["ETag"] == '"2"'
    assert changed.json()["shared"] is False


# --- refusals -------------------------------------------------------------------------


def test_an_unknown_condition_field_names_the_condition(call, sales, book):
    conditions = [*PUEBLA, {"field": "shoe_size", "op": "in", "value": ["42"]}]

    counted = call("sales", "post", f"{SEGMENTS}/count", {"conditions": conditions})
    saved = call("sales", "post", SEGMENTS, {"name": "Raro", "conditions": conditions})

    assert "Condition 2" in _fields(counted)["conditions"]
    assert "Condition 2" in _fields(saved)["conditions"]
    assert not Segment.objects.exists()


def test_a_product_id_no_database_holds_is_refused_naming_the_condition(call, sales):
    bought = {"field": "products", "op": "bought", "value": {"products": [10**30]}}

    counted = call("sales", "post", f"{SEGMENTS}/count", {"conditions": [bought]})

    assert "Condition 1" in _fields(counted)["conditions"]


def test_a_campaign_ending_before_it_starts_names_ends_on(call, sales, book):
    segment = _segment(call)
    body = _campaign_body(segment["id"], starts_on="2026-12-24", ends_on="2026-12-01")

    refused = call("sales", "post", CAMPAIGNS, body)
    in_spanish = call("sales", "post", CAMPAIGNS, body, headers={"Accept-Language": "es"})

    assert "cannot end before it starts" in _fields(refused)["ends_on"]
    assert "no puede terminar antes de empezar" in _fields(in_spanish)["ends_on"]
    assert not Campaign.objects.exists()


def test_wrong_references_name_their_fields(call, sales, book):
    segment = _segment(call)
    body = _campaign_body(
        segment["id"] + 100, conversion_rule="products", conversion_product_ids=[999]
    )

    fields = _fields(call("sales", "post", CAMPAIGNS, body))

    assert {"segment_id", "conversion_product_ids"} <= set(fields)
    concha = ProductFactory(sku="CON-1")
    body = _campaign_body(
        segment["id"], conversion_rule="products", conversion_product_ids=[concha.pk]
    )
    created = call("sales", "post", CAMPAIGNS, body)
    assert created.json()["conversion_product_ids"] == [concha.pk]


def test_a_template_with_an_unknown_variable_names_the_line(call, sales, book):
    campaign = campaign_draft(sales, PUEBLA)
    url = f"{CAMPAIGNS}/{campaign.pk}/messages/default"

    refused = call("sales", "put", url, _message(body="Hola {{ first_name }}\n{{ password }}"))

    assert _fields(refused)["body"].startswith("Line 2:")
    assert "password" in _fields(refused)["body"]
    assert CampaignMessage.objects.get().body == "Hola {{ first_name }}:\n\n{{ offer }}\n"


def test_a_message_in_a_language_the_app_lacks_names_the_language(call, sales, book):
    campaign = campaign_draft(sales, PUEBLA)

    refused = call("sales", "put", f"{CAMPAIGNS}/{campaign.pk}/messages/klingon", _message())

    assert refused.json()["detail"][0]["loc"] == ["path", "language"]
    assert CampaignMessage.objects.count() == 1


def test_launching_twice_returns_the_same_running_campaign(call, owner, book):
    campaign = campaign_draft(owner, PUEBLA)
    url = f"{CAMPAIGNS}/{campaign.pk}/launch"

    first = call("owner", "post", url).json()
    again = call("owner", "post", url)

    assert again.status_code == 200
    assert again.json() == first
    assert campaign.members.count() == 2


def test_a_segment_matching_nobody_cannot_launch(call, owner, book):
    campaign = campaign_draft(owner, [{"field": "city", "op": "in", "value": ["Oaxaca"]}])

    refused = call("owner", "post", f"{CAMPAIGNS}/{campaign.pk}/launch")

    assert "finds no one" in _fields(refused)["segment"]
    assert Campaign.objects.get().status == CampaignStatus.DRAFT


def test_an_e_mail_campaign_without_its_message_cannot_launch(call, owner, book):
    campaign = campaign_draft(owner, PUEBLA)
    assert call("owner", "delete", f"{CAMPAIGNS}/{campaign.pk}/messages/default").status_code == 204

    refused = call("owner", "post", f"{CAMPAIGNS}/{campaign.pk}/launch")

    assert "messages" in _fields(refused)


def test_a_launched_campaign_cannot_be_changed(call, owner, launched):
    refused = call("owner", "patch", f"{CAMPAIGNS}/{launched.pk}", {"name": "Otro", "version": 2})

    assert "status" in _fields(refused)
    assert Campaign.objects.get().name == "Navidad"


def test_a_draft_cannot_be_paused_nor_finished(call, owner, book):
    campaign = campaign_draft(owner, PUEBLA)

    assert "status" in _fields(call("owner", "post", f"{CAMPAIGNS}/{campaign.pk}/pause"))
    assert "status" in _fields(call("owner", "post", f"{CAMPAIGNS}/{campaign.pk}/finish"))


def test_a_segment_campaigns_use_cannot_be_deleted(call, owner, launched):
    url = f"{SEGMENTS}/{launched.segment.pk}"

    refused = call("owner", "delete", url)

    assert "Navidad" in _fields(refused)["segment"]
    assert Segment.objects.filter(pk=launched.segment.pk).exists()
    unused = _segment(call, "owner", name="Sin usar")
    assert call("owner", "delete", f"{SEGMENTS}/{unused['id']}").status_code == 204


# --- webhooks and the document --------------------------------------------------------


def test_a_subscriber_is_told_of_a_launch_and_an_end(call, owner, book):
    webhook_subscription_create(
        actor=owner,
        url="https://hooks.example.com/campaigns",
        events=["campaign.launched", "campaign.finished"],
    )
    campaign = campaign_draft(owner, EVERYONE, holdout_percent=0)

    call("owner", "post", f"{CAMPAIGNS}/{campaign.pk}/launch")
    call("owner", "post", f"{CAMPAIGNS}/{campaign.pk}/finish")

    launched, finished = WebhookDelivery.objects.order_by("id")
    assert launched.event == "campaign.launched"
    assert launched.payload["data"] == {
        "id": campaign.pk,
        "name": "Navidad",
        "channel": "email",
        "members": 3,
        "held_out": 0,
        "set_aside": 1,
    }
    assert finished.event == "campaign.finished"
    assert finished.payload["data"] == {
        "id": campaign.pk,
        "name": "Navidad",
        "channel": "email",
        "members": 3,
        "contacted": 2,
        "held_out": 0,
        "set_aside": 1,
    }
    assert {"event", "occurred_at", "data"} <= set(launched.payload)


def test_the_openapi_document_lists_the_campaigns_paths(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert {
        "/api/v1/segments",
        "/api/v1/segments/count",
        "/api/v1/segments/{segment_id}",
        "/api/v1/segments/{segment_id}/members",
        "/api/v1/campaigns",
        "/api/v1/campaigns/{campaign_id}",
        "/api/v1/campaigns/{campaign_id}/messages/{language}",
        "/api/v1/campaigns/{campaign_id}/launch",
        "/api/v1/campaigns/{campaign_id}/pause",
        "/api/v1/campaigns/{campaign_id}/resume",
        "/api/v1/campaigns/{campaign_id}/finish",
        "/api/v1/campaigns/{campaign_id}/members",
    } <= set(paths)
    assert set(paths["/api/v1/segments/{segment_id}"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/campaigns/{campaign_id}/messages/{language}"]) == {"put", "delete"}


# --- results --------------------------------------------------------------------------


def test_results_give_the_groups_the_lift_and_the_plain_answer(call, owner):
    members = {f"C{n}": ("contacted", "sent") for n in range(4)}
    members |= {f"H{n}": ("holdout", "") for n in range(4)}
    campaign = results_data.launched(owner, members, cost_fixed=Decimal("100"))
    for name in ("C0", "C1", "H0"):
        results_data.order(name, results_data.START + timedelta(days=2), quantity=5)
    results_data.order("C2", results_data.END + timedelta(days=1), quantity=5)  # too late

    answer = call("readonly", "get", f"{CAMPAIGNS}/{campaign.pk}/results")

    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["contacted"]["members"] == 4 and body["contacted"]["converted"] == 2
    assert body["holdout"]["members"] == 4 and body["holdout"]["converted"] == 1
    assert body["contacted"]["conversion_rate"] == 0.5
    assert body["lift"]["rate"]["estimate"] == pytest.approx(0.25)
    assert body["lift"]["rate"]["low"] < 0 < body["lift"]["rate"]["high"]
    assert body["distinguishable"] is False
    assert Decimal(body["cost"]) == Decimal("100")
    assert body["window_start"] == results_data.START.isoformat()


def test_a_draft_has_no_results_yet(call, owner, book):
    draft = campaign_draft(owner, EVERYONE)
    assert "status" in _fields(call("owner", "get", f"{CAMPAIGNS}/{draft.pk}/results"))
    assert call(None, "get", f"{CAMPAIGNS}/{draft.pk}/results").status_code == 401
