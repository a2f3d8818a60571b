"""Every contact passes one check: consent to the channel, then the owner's limits; a
refusal names the field and writes nothing, an override reason is kept with who gave it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clientela.core.access import AccessDenied
from clientela.customers.services import customers_merge
from clientela.customers.tests.factories import CustomerFactory
from clientela.relations.models import Activity, Interaction
from clientela.relations.services import (
    activities_plan_calls,
    activity_complete,
    activity_plan,
    contact_limit_set,
    contact_refusal,
    contact_refusals,
    interaction_delete,
    interaction_record,
)
from clientela.relations.tests.factories import consenting, days_ago, days_ahead

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(sales):
    return consenting(CustomerFactory(name="Café Luna", owner=sales))


def _call(actor, customer, when, **fields):
    return interaction_record(
        actor=actor, customer=customer, channel="phone", direction="outbound", at=when, **fields
    )


def _errors(excinfo) -> dict:
    return {field: " ".join(messages) for field, messages in excinfo.value.message_dict.items()}


def test_a_call_without_consent_is_refused_naming_the_consent_and_nothing_is_written(sales):
    customer = consenting(CustomerFactory(owner=sales), consent_phone=False)
    with pytest.raises(ValidationError) as excinfo:
        _call(sales, customer, days_ago(1))
    assert "agrees to calls" in _errors(excinfo)["channel"]
    assert not Interaction.objects.exists()
    customer.refresh_from_db()
    assert customer.last_contacted_at is None


def test_a_reply_to_the_customers_own_call_needs_no_consent(sales, settings):
    settings.CLIENTELA_CONSENT_REPLY_DAYS = 14
    customer = consenting(CustomerFactory(owner=sales), consent_phone=False)
    interaction_record(
        actor=sales, customer=customer, channel="phone", direction="inbound", at=days_ago(10)
    )
    assert _call(sales, customer, days_ago(1)).pk
    # Twenty days after their call, the exception has passed.
    with pytest.raises(ValidationError):
        _call(sales, customer, days_ago(10) + timedelta(days=20) - timedelta(hours=1))


def test_the_fifth_outbound_contact_in_30_days_is_refused_then_allowed_with_a_reason(
    sales, customer
):
    for days in (20, 15, 10, 5):
        _call(sales, customer, days_ago(days))
    with pytest.raises(ValidationError) as excinfo:
        _call(sales, customer, days_ago(1))
    message = _errors(excinfo)["override_reason"]
    assert "At most 4 outbound contacts in 30 days" in message and "has 4" in message
    assert Interaction.objects.count() == 4
    fifth = _call(sales, customer, days_ago(1), override_reason="They asked us to call back.")
    assert fifth.override_reason == "They asked us to call back."
    assert fifth.override_by == sales
    # Inbound contacts are never limited.
    interaction_record(
        actor=sales, customer=customer, channel="phone", direction="inbound", at=days_ago(1)
    )


def test_an_override_reason_is_not_kept_when_no_limit_was_passed(sales, customer):
    call = _call(sales, customer, days_ago(1), override_reason="just in case")
    assert call.override_reason == "" and call.override_by is None


def test_a_channel_limit_counts_only_its_channel(owner, sales, customer):
    contact_limit_set(actor=owner, channel="email", max_contacts=1, days=7)
    interaction_record(
        actor=sales, customer=customer, channel="email", direction="outbound", at=days_ago(2)
    )
    _call(sales, customer, days_ago(1))
    with pytest.raises(ValidationError) as excinfo:
        interaction_record(
            actor=sales, customer=customer, channel="email", direction="outbound", at=days_ago(1)
        )
    assert "by E-mail in 7 days" in _errors(excinfo)["override_reason"]


def test_planned_calls_count_so_the_agenda_cannot_hold_a_fifth(sales, customer):
    for days in (1, 2, 3, 4):
        activity_plan(
            actor=sales, kind="call", subject="Seguimiento", due_at=days_ahead(days),
            customer=customer,
        )  # fmt: skip
    with pytest.raises(ValidationError) as excinfo:
        activity_plan(
            actor=sales, kind="call", subject="Otra", due_at=days_ahead(5), customer=customer
        )
    assert "override_reason" in excinfo.value.message_dict
    assert Activity.objects.count() == 4
    # A task contacts nobody: never limited.
    activity_plan(actor=sales, kind="task", subject="Preparar lista", due_at=days_ahead(5))


def test_a_planned_call_done_becomes_its_interaction_and_is_not_counted_twice(sales, customer):
    calls = [
        activity_plan(
            actor=sales,
            kind="call",
            subject=f"Llamada {n}",
            due_at=days_ahead(n / 10),
            customer=customer,
        )
        for n in (1, 2, 3, 4)
    ]
    done, interaction = activity_complete(
        actor=sales, activity=calls[0], version=calls[0].version, outcome="reached"
    )
    assert done.status == "done" and interaction is not None
    assert interaction.source == done and interaction.channel == "phone"
    assert interaction.direction == "outbound" and interaction.outcome == "reached"
    # Three planned and one done: still four in the window, a fifth is refused.
    with pytest.raises(ValidationError):
        _call(sales, customer, timezone.now())


def test_an_interaction_is_checked_field_by_field(sales, customer):
    other = CustomerFactory(name="Otra")
    from clientela.customers.services import contact_create

    stranger = contact_create(actor=None, customer=other, name="Ajena")
    cases = [
        ({"channel": "fax"}, "channel"),
        ({"outcome": "maybe"}, "outcome"),
        ({"contact": stranger}, "contact"),
        ({"at": days_ahead(2)}, "at"),
        ({"at": timezone.now().replace(year=1900)}, "at"),
        ({"satisfaction": 6}, "satisfaction"),
        ({"direction": "sideways"}, "direction"),
    ]
    for change, field in cases:
        fields = {"channel": "phone", "direction": "outbound", "at": days_ago(1)} | change
        with pytest.raises(ValidationError) as excinfo:
            interaction_record(actor=sales, customer=customer, **fields)
        assert field in excinfo.value.message_dict, (change, excinfo.value.message_dict)
    assert not Interaction.objects.exists()


def test_the_customer_keeps_its_last_contact(sales, customer):
    _call(sales, customer, days_ago(5))
    latest = _call(sales, customer, days_ago(2))
    _call(sales, customer, days_ago(3))  # an older one recorded later
    customer.refresh_from_db()
    assert customer.last_contacted_at == latest.at
    interaction_delete(actor=sales, interaction=latest)
    customer.refresh_from_db()
    assert customer.last_contacted_at == Interaction.objects.get(at__gt=days_ago(4)).at


def test_readonly_and_other_salespeople_limited_to_their_own_cannot_record(
    readonly, user_with_role, customer, settings
):
    with pytest.raises(AccessDenied):
        _call(readonly, customer, days_ago(1))
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    with pytest.raises(AccessDenied):
        _call(user_with_role("sales"), customer, days_ago(1))


def test_support_records_interactions(support, customer):
    assert _call(support, customer, days_ago(1)).staff == support


def test_a_merge_moves_the_contacts_and_the_last_contact(owner, sales, customer):
    duplicate = consenting(CustomerFactory(name="Cafe Luna"))
    call = _call(sales, duplicate, days_ago(1))
    planned = activity_plan(
        actor=sales, kind="visit", subject="Visita", due_at=days_ahead(1), customer=duplicate
    )
    customers_merge(actor=owner, survivor=customer, duplicate=duplicate)
    call.refresh_from_db()
    planned.refresh_from_db()
    customer.refresh_from_db()
    assert call.customer == customer and planned.customer == customer
    assert customer.last_contacted_at == call.at


def test_planning_calls_for_a_list_leaves_out_those_the_check_refuses(sales, owner):
    willing = consenting(CustomerFactory(name="Dispuesto", owner=sales))
    unwilling = consenting(CustomerFactory(name="Sin permiso"), consent_phone=False)
    planned, left_out = activities_plan_calls(
        actor=owner, customers=[willing, unwilling], due_at=days_ahead(1), subject="Saludar"
    )
    assert [a.customer for a in planned] == [willing] and planned[0].owner == sales
    assert left_out[0][0] == unwilling and "agrees to calls" in left_out[0][1]


def test_many_customers_are_checked_at_once_with_the_same_answer_as_one_by_one(
    owner, sales, customer, settings
):
    settings.CLIENTELA_CONSENT_REPLY_DAYS = 14
    contact_limit_set(actor=owner, channel="email", max_contacts=1, days=7)
    unwilling = consenting(CustomerFactory(name="Sin correo", owner=sales), consent_email=False)
    replying = consenting(CustomerFactory(name="Nos escribió", owner=sales), consent_email=False)
    interaction_record(
        actor=sales, customer=replying, channel="email", direction="inbound", at=days_ago(3)
    )
    mailed = consenting(CustomerFactory(name="Ya recibió uno", owner=sales))
    interaction_record(
        actor=sales, customer=mailed, channel="email", direction="outbound", at=days_ago(2)
    )
    called = consenting(CustomerFactory(name="Muchas llamadas", owner=sales))
    for days in (20, 15, 10, 5):  # calls count against the overall limit of 4 in 30 days
        _call(sales, called, days_ago(days))
    everyone = [customer, unwilling, replying, mailed, called]
    now = timezone.now()

    many = contact_refusals([c.pk for c in everyone], channel="email", at=now)

    one_by_one = {}
    for person in everyone:
        refusal = contact_refusal(customer=person, channel="email", at=now)
        if refusal is not None:
            one_by_one[person.pk] = refusal
    assert many == one_by_one
    assert set(many) == {unwilling.pk, mailed.pk, called.pk}
    assert many[unwilling.pk].field == "channel"
    assert "by E-mail in 7 days" in many[mailed.pk].message
    assert "At most 4 outbound contacts in 30 days" in many[called.pk].message
