"""The campaign pages: a campaign drafted and changed with errors beside their fields,
its message refused at the line of an unknown variable, its launch from a page showing
the count, pause, resumption and end, its members, and who may do what."""

import html
from datetime import date

import pytest
from django.urls import reverse

from clientela.campaigns.models import (
    Campaign,
    CampaignMember,
    CampaignMessage,
    CampaignStatus,
    MemberGroup,
)
from clientela.campaigns.services import campaign_launch, segment_create
from clientela.campaigns.tests.factories import EVERYONE, campaign_draft
from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

NEW = reverse("campaigns:campaign_new")


@pytest.fixture
def customers():
    """Three customers agreeing to e-mail, each with an address."""
    return [
        CustomerFactory(name=name, consent_email=True, emails=[f"{name.lower()}@example.com"])
        for name in ("Luna", "Sol", "Nube")
    ]


def _fields(segment, **extra) -> dict:
    return {
        "name": "Navidad",
        "objective": "Vender roscas",
        "segment": segment.pk,
        "channel": "email",
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-24",
        "currency": "MXN",
        "cost_fixed": "100",
        "cost_per_contact": "1.50",
        "offer": "10 % en roscas",
        "conversion_rule": "any_order",
        "attribution_days": "30",
        "holdout_percent": "10",
        "send_rate": "600",
        **extra,
    }


def _error_beside(page: str, field: str) -> str:
    """The error shown under the form's field ``field``."""
    start = page.index(f'id="id_{field}_error"')
    return html.unescape(page[start : page.index("</div>", start)])


def test_a_campaign_is_drafted_on_the_segment_the_address_names(client, owner, customers):
    segment = segment_create(actor=owner, name="Todos", conditions=EVERYONE)
    client.force_login(owner)
    page = client.get(NEW, {"segment": segment.pk}).content.decode()
    assert f'<option value="{segment.pk}" selected>' in page
    product = ProductFactory(name="Rosca")

    response = client.post(
        NEW,
        _fields(segment, conversion_rule="products", conversion_products=[product.pk]),
    )

    campaign = Campaign.objects.get()
    assert response["Location"] == reverse("campaigns:campaign_detail", args=[campaign.pk])
    assert campaign.segment == segment and campaign.created_by == owner
    assert campaign.cost_per_contact == pytest.approx(1.5)
    assert list(campaign.conversion_products.all()) == [product]
    shown = client.get(response["Location"]).content.decode()
    assert "Rosca" in shown and "Not written yet" in shown


def test_wrong_settings_show_beside_their_fields_and_draft_nothing(client, owner, customers):
    segment = segment_create(actor=owner, name="Todos", conditions=EVERYONE)
    client.force_login(owner)

    response = client.post(
        NEW,
        _fields(segment, ends_on="2026-11-01", conversion_rule="amount", conversion_amount=""),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert not Campaign.objects.exists()
    assert "cannot end before it starts" in _error_beside(page, "ends_on")
    assert "Give the amount" in _error_beside(page, "conversion_amount")


def test_a_draft_is_changed_and_a_launched_one_is_not(client, owner, customers):
    campaign = campaign_draft(owner)
    client.force_login(owner)
    edit = reverse("campaigns:campaign_edit", args=[campaign.pk])
    assert 'value="Navidad"' in client.get(edit).content.decode()

    response = client.post(edit, _fields(campaign.segment, name="Reyes", version=campaign.version))

    campaign.refresh_from_db()
    assert response.status_code == 302 and campaign.name == "Reyes"
    campaign.status = CampaignStatus.RUNNING
    campaign.save()
    refused = client.post(edit, _fields(campaign.segment, name="Otra", version=campaign.version))
    campaign.refresh_from_db()
    assert refused.status_code == 302 and campaign.name == "Reyes"


def test_the_message_editor_keeps_a_version_per_language(client, owner, customers):
    campaign = campaign_draft(owner)
    client.force_login(owner)
    url = reverse("campaigns:campaign_message", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert "{{ first_name }}" in page and "unsubscribe_url" in page

    client.post(
        url + "?language=ru",
        {"subject": "С Рождеством", "body": "Привет, {{ first_name }}", "body_format": "markdown"},
    )

    russian = CampaignMessage.objects.get(campaign=campaign, language="ru")
    assert russian.body == "Привет, {{ first_name }}"
    client.post(url + "?language=ru", {"delete": "1"})
    assert not CampaignMessage.objects.filter(campaign=campaign, language="ru").exists()
    assert CampaignMessage.objects.filter(campaign=campaign, language="").exists()


def test_the_message_editor_refuses_an_unknown_variable_naming_its_line(client, owner, customers):
    campaign = campaign_draft(owner)
    client.force_login(owner)
    url = reverse("campaigns:campaign_message", args=[campaign.pk])

    response = client.post(
        url,
        {
            "subject": "Hola",
            "body": "Hola {{ first_name }}:\n\n{{ password }}\n",
            "body_format": "markdown",
        },
    )

    assert response.status_code == 200
    error = _error_beside(response.content.decode(), "body")
    assert "Line 3" in error and "password" in error
    assert CampaignMessage.objects.get(campaign=campaign).body.startswith(
        "Hola {{ first_name }}:\n\n{{ offer }}"
    )


def test_a_campaign_is_launched_from_a_page_showing_its_count(client, owner, customers):
    campaign = campaign_draft(owner, holdout_percent=0)
    client.force_login(owner)
    url = reverse("campaigns:campaign_launch", args=[campaign.pk])

    page = client.get(url).content.decode()
    response = client.post(url)

    assert "3 customers will be frozen" in page
    campaign.refresh_from_db()
    assert response["Location"] == reverse("campaigns:campaign_detail", args=[campaign.pk])
    assert campaign.status == CampaignStatus.RUNNING
    assert CampaignMember.objects.filter(campaign=campaign).count() == 3
    shown = client.get(response["Location"]).content.decode()
    assert 'data-group="contacted"' in shown and "3 members" in shown
    assert "Luna" in shown


def test_a_refused_launch_shows_why_and_stays_a_draft(client, settings, sales, customers):
    settings.CLIENTELA_CAMPAIGN_EMAIL_LIMIT = 2
    campaign = campaign_draft(sales)
    client.force_login(sales)

    response = client.post(reverse("campaigns:campaign_launch", args=[campaign.pk]))

    campaign.refresh_from_db()
    assert response.status_code == 422
    assert "Only the owner launches an e-mail campaign to more than 2" in html.unescape(
        response.content.decode()
    )
    assert campaign.status == CampaignStatus.DRAFT


def test_the_launch_page_says_beforehand_what_stops_a_launch_and_offers_no_button(
    client, owner, customers
):
    nobody = [{"field": "city", "op": "in", "value": ["Atlántida"]}]
    campaign = campaign_draft(owner, nobody)
    CampaignMessage.objects.filter(campaign=campaign).delete()
    client.force_login(owner)

    page = html.unescape(
        client.get(reverse("campaigns:campaign_launch", args=[campaign.pk])).content.decode()
    )

    assert "Write the e-mail before launching." in page
    assert "The segment finds no one: nobody to contact." in page
    assert 'id="launch-confirm"' not in page


def test_a_campaign_is_paused_resumed_and_finished(client, owner, customers):
    campaign = campaign_draft(owner)
    client.force_login(owner)
    client.post(reverse("campaigns:campaign_launch", args=[campaign.pk]))

    for action, status in (
        ("campaign_pause", CampaignStatus.PAUSED),
        ("campaign_resume", CampaignStatus.RUNNING),
        ("campaign_finish", CampaignStatus.FINISHED),
    ):
        client.post(reverse(f"campaigns:{action}", args=[campaign.pk]))
        campaign.refresh_from_db()
        assert campaign.status == status

    refused = client.post(reverse("campaigns:campaign_pause", args=[campaign.pk]), follow=True)
    assert "cannot be" in html.unescape(refused.content.decode())
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.FINISHED


def test_the_members_are_filtered_by_group(client, owner, customers):
    CustomerFactory(name="Sin correo")
    campaign = campaign_draft(owner, holdout_percent=0)
    client.force_login(owner)
    client.post(reverse("campaigns:campaign_launch", args=[campaign.pk]))
    detail = reverse("campaigns:campaign_detail", args=[campaign.pk])

    aside = client.get(detail, {"group": MemberGroup.SET_ASIDE}).content.decode()

    assert "Sin correo" in aside and "No address for the channel" in aside
    assert ">Luna<" not in aside


def test_the_list_filters_by_status(client, owner, customers):
    draft = campaign_draft(owner, name="Borrador")
    client.force_login(owner)

    drafts = client.get(reverse("campaigns:campaign_list"), {"status": "draft"}).content.decode()
    running = client.get(reverse("campaigns:campaign_list"), {"status": "running"})

    assert draft.name in drafts
    assert draft.name not in running.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, owner, customers):
    campaign = campaign_draft(owner)
    for url in (
        reverse("campaigns:campaign_list"),
        reverse("campaigns:campaign_detail", args=[campaign.pk]),
        NEW,
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("role", ["readonly", "support"])
def test_read_only_and_support_see_campaigns_but_change_nothing(
    client, request, owner, customers, role
):
    campaign = campaign_draft(owner)
    client.force_login(request.getfixturevalue(role))

    listed = client.get(reverse("campaigns:campaign_list"))
    shown = client.get(reverse("campaigns:campaign_detail", args=[campaign.pk]))

    assert listed.status_code == 200 and shown.status_code == 200
    assert NEW not in listed.content.decode()
    assert reverse("campaigns:campaign_launch", args=[campaign.pk]) not in shown.content.decode()
    for name in ("campaign_launch", "campaign_pause", "campaign_finish", "campaign_message"):
        assert client.post(reverse(f"campaigns:{name}", args=[campaign.pk])).status_code == 403
    assert client.post(NEW, _fields(campaign.segment)).status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT and Campaign.objects.count() == 1


def test_a_salesperson_drafts_but_touches_only_their_own(client, owner, sales, customers):
    theirs = campaign_draft(owner)
    client.force_login(sales)
    segment = segment_create(actor=sales, name="Míos", conditions=EVERYONE)

    drafted = client.post(NEW, _fields(segment))
    launch = client.post(reverse("campaigns:campaign_launch", args=[theirs.pk]))

    assert drafted.status_code == 302
    assert Campaign.objects.filter(created_by=sales).count() == 1
    assert launch.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == CampaignStatus.DRAFT


def test_the_menu_shows_campaigns_to_every_role(client, readonly):
    client.force_login(readonly)

    page = client.get(reverse("campaigns:campaign_list")).content.decode()

    assert f'href="{reverse("campaigns:campaign_list")}"' in page
    assert reverse("campaigns:segment_list") in page


def test_list_pages_read_a_bounded_number_of_queries(
    client, owner, customers, django_assert_max_num_queries
):
    for number in range(5):
        campaign_draft(owner, name=f"Campaña {number}", starts_on=date(2026, 12, 1))
    launched = Campaign.objects.first()
    client.force_login(owner)
    client.post(reverse("campaigns:campaign_launch", args=[launched.pk]))

    with django_assert_max_num_queries(7):
        client.get(reverse("campaigns:campaign_list"))
    with django_assert_max_num_queries(12):
        client.get(reverse("campaigns:campaign_detail", args=[launched.pk]))


@pytest.mark.parametrize(
    ("channel", "present", "absent"),
    [
        ("email", ["campaign_preview", "campaign_results", "campaign_progress"], ["call_list"]),
        ("call", ["call_list", "call_assign", "campaign_results"], ["campaign_preview"]),
        ("mail", ["mail", "campaign_results"], ["call_list", "campaign_progress"]),
    ],
)
def test_a_launched_campaigns_page_leads_to_its_channels_work(
    client, owner, customers, channel, present, absent
):
    campaign = campaign_draft(owner, channel=channel, holdout_percent=0)
    campaign_launch(actor=owner, campaign=campaign)
    client.force_login(owner)

    page = client.get(reverse("campaigns:campaign_detail", args=[campaign.pk])).content.decode()

    for name in present:
        assert reverse(f"campaigns:{name}", args=[campaign.pk]) in page, name
    for name in absent:
        assert reverse(f"campaigns:{name}", args=[campaign.pk]) not in page, name
