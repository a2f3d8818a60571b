"""Call lists: the calls shared evenly among the chosen staff or by customer owner; each
caller works through their page (phones as tel: links, last contacts, the script) and
records the outcome, which becomes an interaction on the customer's timeline, checked
against consent at that moment; progress per caller."""

from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.campaigns.models import CampaignMember, MemberGroup, MemberState
from clientela.campaigns.selectors import call_progress
from clientela.campaigns.services import campaign_launch, campaign_message_set, campaign_pause
from clientela.campaigns.services.calls import CALL_ATTEMPTS, call_list_assign, call_record
from clientela.campaigns.tests.factories import campaign_draft
from clientela.core.access import AccessDenied
from clientela.core.models import Role
from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.relations.models import Interaction
from clientela.relations.tests.factories import consenting

pytestmark = pytest.mark.django_db


def _call_campaign(actor, customers: int = 6, owner_of=None, **fields):
    """A launched call campaign on ``customers`` consenting customers with a phone."""
    for number in range(customers):
        consenting(
            CustomerFactory(
                name=f"Cafetería {number:02d}",
                phones=[f"+52 222 555 {number:04d}"],
                owner=owner_of,
                contacts=[{"name": f"Ana Pérez {number}", "is_primary": True}],
            )
        )
    campaign = campaign_draft(
        actor, channel="call", holdout_percent=0, offer="Rosca con 10 % de descuento", **fields
    )
    return campaign_launch(actor=actor, campaign=campaign)


def _members(campaign):
    return CampaignMember.objects.filter(campaign=campaign, group=MemberGroup.CONTACTED)


def test_the_calls_are_split_evenly_and_the_pareto_classes_alike(owner, sales):
    other = UserFactory(role=Role.SUPPORT)
    campaign = _call_campaign(owner, customers=7)
    classes = ["A", "A", "A", "B", "B", "C", "C"]
    for member, pareto_class in zip(_members(campaign).order_by("pk"), classes, strict=True):
        member.pareto_class = pareto_class
        member.save()

    given = call_list_assign(actor=owner, campaign=campaign, callers=[sales, other])

    assert sorted(given.values()) == [3, 4]
    assert given == dict(Counter(_members(campaign).values_list("caller", flat=True)))
    for pareto_class in ("A", "B", "C"):
        callers = _members(campaign).filter(pareto_class=pareto_class).values_list("caller")
        assert len(set(callers)) == 2, pareto_class


def test_callers_who_may_not_record_calls_are_refused_by_name(owner, readonly):
    readonly.first_name = "Lectora"
    readonly.save()
    campaign = _call_campaign(owner, customers=2)

    with pytest.raises(ValidationError) as refused:
        call_list_assign(actor=owner, campaign=campaign, callers=[readonly])

    assert "Lectora" in refused.value.message_dict["callers"][0]
    assert not _members(campaign).exclude(caller=None).exists()


def test_by_owner_each_call_goes_to_the_customer_s_owner_and_the_rest_to_the_assigner(owner, sales):
    campaign = _call_campaign(owner, customers=3, owner_of=sales)

    given = call_list_assign(actor=owner, campaign=campaign, by_owner=True)

    assert given == {sales.pk: 3}
    assert set(_members(campaign).values_list("caller", flat=True)) == {sales.pk}


def test_members_without_an_owner_go_to_who_assigns(owner, sales):
    consenting(CustomerFactory(name="Con dueño", phones=["+52 222 555 0001"], owner=sales))
    consenting(CustomerFactory(name="Sin dueño", phones=["+52 222 555 0002"]))
    campaign = campaign_launch(
        actor=owner, campaign=campaign_draft(owner, channel="call", holdout_percent=0)
    )

    given = call_list_assign(actor=owner, campaign=campaign, by_owner=True)

    assert given == {sales.pk: 1, owner.pk: 1}


def test_called_members_keep_their_caller_when_the_calls_are_given_out_again(owner, sales):
    campaign = _call_campaign(owner, customers=2)
    call_list_assign(actor=owner, campaign=campaign, callers=[sales])
    called = _members(campaign).first()
    call_record(actor=sales, member=called, outcome="interested")

    given = call_list_assign(actor=owner, campaign=campaign, callers=[owner])

    assert given == {owner.pk: 1}
    called.refresh_from_db()
    assert called.caller == sales


def test_only_the_assigned_caller_or_the_owner_records(owner, sales, support):
    campaign = _call_campaign(owner, customers=2)
    call_list_assign(actor=owner, campaign=campaign, callers=[sales])
    first, second = _members(campaign).order_by("pk")

    with pytest.raises(AccessDenied):
        call_record(actor=support, member=first, outcome="reached")
    call_record(actor=owner, member=second, outcome="reached")

    assert not Interaction.objects.filter(customer=first.customer).exists()
    assert Interaction.objects.filter(customer=second.customer).count() == 1


def test_the_outcome_is_an_interaction_on_the_customer_s_timeline(owner, sales):
    campaign = _call_campaign(owner, customers=1)
    call_list_assign(actor=owner, campaign=campaign, callers=[sales])
    member = _members(campaign).get()

    interaction = call_record(
        actor=sales, member=member, outcome="order_taken", notes="Pidió 3 roscas"
    )

    member.refresh_from_db()
    assert member.state == MemberState.DONE
    assert member.outcome == "order_taken"
    assert member.contacted_at == interaction.at
    recorded = Interaction.objects.get(customer=member.customer)
    assert (recorded.channel, recorded.direction, recorded.outcome) == (
        "phone",
        "outbound",
        "order_taken",
    )
    assert recorded.notes == "Pidió 3 roscas" and recorded.staff == sales
    assert recorded.source == member
    with pytest.raises(ValidationError) as refused:
        call_record(actor=sales, member=member, outcome="reached")
    assert "already recorded" in refused.value.message_dict["state"][0]


def test_no_answer_keeps_the_member_for_another_try_up_to_the_last(owner, sales):
    campaign = _call_campaign(owner, customers=1)
    call_list_assign(actor=owner, campaign=campaign, callers=[sales])
    member = _members(campaign).get()

    for _attempt in range(CALL_ATTEMPTS - 1):
        call_record(actor=sales, member=member, outcome="no_answer")
        member.refresh_from_db()
        assert member.state == MemberState.QUEUED and member.outcome == "no_answer"
    call_record(actor=sales, member=member, outcome="left_message")

    member.refresh_from_db()
    assert member.state == MemberState.DONE
    assert Interaction.objects.filter(customer=member.customer).count() == CALL_ATTEMPTS


def test_consent_withdrawn_after_launch_refuses_the_call_and_writes_nothing(owner, sales):
    campaign = _call_campaign(owner, customers=1)
    call_list_assign(actor=owner, campaign=campaign, callers=[sales])
    member = _members(campaign).get()
    consenting(member.customer, consent_phone=False)

    with pytest.raises(ValidationError) as refused:
        call_record(actor=sales, member=member, outcome="reached")

    assert "channel" in refused.value.message_dict
    member.refresh_from_db()
    assert member.state == MemberState.QUEUED and member.outcome == ""
    assert not Interaction.objects.filter(customer=member.customer).exists()


def test_a_paused_campaign_records_no_call(owner, sales):
    campaign = _call_campaign(owner, customers=1)
    call_list_assign(actor=owner, campaign=campaign, callers=[sales])
    campaign_pause(actor=owner, campaign=campaign)

    with pytest.raises(ValidationError) as refused:
        call_record(actor=sales, member=_members(campaign).get(), outcome="reached")

    assert "status" in refused.value.message_dict


def test_progress_counts_given_done_and_outcomes_per_caller(owner, sales, support):
    campaign = _call_campaign(owner, customers=5)
    call_list_assign(actor=owner, campaign=campaign, callers=[sales, support])
    mine = list(_members(campaign).filter(caller=sales))
    call_record(actor=sales, member=mine[0], outcome="interested")
    call_record(actor=sales, member=mine[1], outcome="no_answer")

    progress = {entry.caller: entry for entry in call_progress(campaign)}

    assert progress[sales].assigned == 3 and progress[sales].done == 1
    assert progress[sales].outcomes == {"interested": 1, "no_answer": 1}
    assert progress[sales].waiting == 2
    assert progress[support].assigned == 2 and progress[support].done == 0


# --- pages ----------------------------------------------------------------------------


def test_the_caller_s_page_lists_phones_as_tel_links_and_the_script(
    client, owner, sales, django_assert_max_num_queries
):
    campaign = _call_campaign(owner, customers=3)
    call_list_assign(actor=owner, campaign=campaign, callers=[sales])
    client.force_login(sales)
    url = reverse("campaigns:call_list", args=[campaign.pk])
    client.get(url)  # caches warmed (content types, session)

    with django_assert_max_num_queries(16):
        response = client.get(url)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="tel:+522225550000"' in page and 'href="tel:+522225550002"' in page
    assert "Cafetería 01" in page and "Ana Pérez 1" in page
    assert "Rosca con 10 % de descuento" in page


def test_the_page_s_query_count_does_not_grow_with_the_calls(client, owner, sales):
    small = _call_campaign(owner, customers=2)
    call_list_assign(actor=owner, campaign=small, callers=[sales])
    large = _call_campaign(owner, customers=12)
    call_list_assign(actor=owner, campaign=large, callers=[sales])
    for member in _members(large)[:4]:
        call_record(actor=sales, member=member, outcome="no_answer")
    client.force_login(sales)
    client.get(reverse("campaigns:call_list", args=[small.pk]))

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("campaigns:call_list", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("campaigns:call_list", args=[large.pk]))

    assert len(many) == len(few)


def test_the_script_is_the_campaign_s_message_for_the_customer(client, owner, sales):
    consenting(CustomerFactory(name="Café Luna", phones=["+52 222 555 0001"],
                               contacts=[{"name": "Ana Pérez", "is_primary": True}]))  # fmt: skip
    campaign = campaign_draft(owner, channel="call", holdout_percent=0, offer="2×1 en conchas")
    campaign_message_set(
        actor=owner, campaign=campaign, body="Buenos días, {{ first_name }}: {{ offer }}"
    )
    campaign = campaign_launch(actor=owner, campaign=campaign)
    call_list_assign(actor=owner, campaign=campaign, callers=[sales])
    client.force_login(sales)

    page = client.get(reverse("campaigns:call_list", args=[campaign.pk])).content.decode()

    assert "Buenos días, Ana: 2×1 en conchas" in page


def test_recording_from_the_page_swaps_the_row_or_comes_back_to_the_list(client, owner, sales):
    campaign = _call_campaign(owner, customers=2)
    call_list_assign(actor=owner, campaign=campaign, callers=[sales])
    first, second = _members(campaign).order_by("pk")
    client.force_login(sales)

    swapped = client.post(
        reverse("campaigns:call_record", args=[campaign.pk, first.pk]),
        {"outcome": "interested", "notes": "Llamar en enero"},
        headers={"HX-Request": "true"},
    )
    plain = client.post(
        reverse("campaigns:call_record", args=[campaign.pk, second.pk]), {"outcome": "reached"}
    )

    assert swapped.status_code == 200
    assert f'id="call-{first.pk}"' in swapped.content.decode()
    assert "Done: Interested" in swapped.content.decode()
    assert plain.status_code == 302
    assert plain["Location"] == reverse("campaigns:call_list", args=[campaign.pk])
    assert set(_members(campaign).values_list("state", flat=True)) == {MemberState.DONE}


def test_a_refused_call_shows_the_reason_in_the_row(client, owner, sales):
    campaign = _call_campaign(owner, customers=1)
    call_list_assign(actor=owner, campaign=campaign, callers=[sales])
    member = _members(campaign).get()
    consenting(member.customer, consent_phone=False)
    client.force_login(sales)

    response = client.post(
        reverse("campaigns:call_record", args=[campaign.pk, member.pk]),
        {"outcome": "reached"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not Interaction.objects.exists()


def test_the_owner_sees_everyone_s_progress_and_picks_a_caller_s_list(client, owner, sales):
    campaign = _call_campaign(owner, customers=4)
    call_list_assign(actor=owner, campaign=campaign, callers=[sales, owner])
    client.force_login(owner)

    page = client.get(
        reverse("campaigns:call_list", args=[campaign.pk]), {"caller": sales.pk}
    ).content.decode()

    assert 'id="call-progress"' in page
    assert page.count('class="list-group-item py-3"') == 2
    assert str(sales) in page


def test_the_assign_page_gives_out_the_calls(client, owner, sales):
    campaign = _call_campaign(owner, customers=3)
    client.force_login(owner)
    url = reverse("campaigns:call_assign", args=[campaign.pk])

    form = client.get(url)
    response = client.post(url, {"callers": [sales.pk]})

    assert form.status_code == 200 and str(sales) in form.content.decode()
    assert response.status_code == 302
    assert set(_members(campaign).values_list("caller", flat=True)) == {sales.pk}


@pytest.mark.parametrize(
    ("role", "sees", "records", "assigns"),
    [
        ("owner", 200, 302, 200),
        ("sales", 200, 403, 403),
        ("support", 200, 403, 403),
        ("readonly", 200, 403, 403),
    ],
)
def test_who_sees_records_and_assigns(client, owner, user_with_role, role, sees, records, assigns):
    campaign = _call_campaign(owner, customers=1)
    call_list_assign(actor=owner, campaign=campaign, callers=[owner])
    member = _members(campaign).get()
    client.force_login(owner if role == "owner" else user_with_role(role))

    seen = client.get(reverse("campaigns:call_list", args=[campaign.pk]))
    recorded = client.post(
        reverse("campaigns:call_record", args=[campaign.pk, member.pk]), {"outcome": "reached"}
    )
    assigned = client.get(reverse("campaigns:call_assign", args=[campaign.pk]))

    assert (seen.status_code, recorded.status_code, assigned.status_code) == (
        sees,
        records,
        assigns,
    )


def test_anonymous_visitors_are_sent_to_sign_in(client, owner):
    campaign = _call_campaign(owner, customers=1)

    response = client.get(reverse("campaigns:call_list", args=[campaign.pk]))

    assert response.status_code == 302 and "login" in response["Location"]


def test_the_hold_out_and_those_set_aside_are_never_given_out(owner, sales):
    consenting(CustomerFactory(name="No llamar", phones=["+52 222 555 0100"]), consent_phone=False)
    campaign = _call_campaign(owner, customers=3)
    held = _members(campaign).first()
    held.group, held.state = MemberGroup.HOLDOUT, ""
    held.save()

    given = call_list_assign(actor=owner, campaign=campaign, callers=[sales])

    assert given == {sales.pk: 2}
    assert set(
        CampaignMember.objects.filter(campaign=campaign)
        .exclude(group=MemberGroup.CONTACTED)
        .values_list("caller", flat=True)
    ) == {None}


def test_a_salesperson_who_sees_only_their_customers_gets_calls_by_owner_only(
    owner, sales, settings
):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    campaign = _call_campaign(owner, customers=2, owner_of=sales)

    with pytest.raises(ValidationError) as refused:
        call_list_assign(actor=owner, campaign=campaign, callers=[sales])
    given = call_list_assign(actor=owner, campaign=campaign, by_owner=True)

    assert "only their own customers" in refused.value.message_dict["callers"][0]
    assert given == {sales.pk: 2}
