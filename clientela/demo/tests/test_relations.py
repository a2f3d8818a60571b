"""The demo's relationship work: a pipeline on every stage, two years of contacts that
keep to the customers' consents and the contact limits, each seller's agenda, notes."""

import functools
from collections import defaultdict
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from clientela.core.models import Role
from clientela.customers.models import Customer
from clientela.demo import generator
from clientela.demo.generator import SALESPEOPLE, build_demo, demo_remove
from clientela.demo.relations import EVERY_WAY, OVERRIDE_REASONS
from clientela.orders.models import Order, OrderStatus
from clientela.relations import pressure
from clientela.relations.models import (
    Activity,
    ActivityStatus,
    ContactChannel,
    CustomerNote,
    Direction,
    Interaction,
    Opportunity,
    OpportunityStageChange,
    Stage,
)

HISTORY_DAYS = 400


def small_demo(seed: int = 2024):
    return build_demo(customers=40, seed=seed, history_days=HISTORY_DAYS)


@pytest.fixture(scope="module")
def business(django_db_setup, django_db_blocker):
    """One small demo shared by the tests that only read it, rolled back at the end."""
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield small_demo()
        transaction.set_rollback(True)


def day_of(moment):
    return timezone.localdate(moment)


@pytest.mark.django_db
def test_the_pipeline_has_opportunities_on_every_stage(business):
    now = timezone.now()
    opportunities = Opportunity.objects.select_related("stage", "customer", "lost_reason")

    assert {o.stage_id for o in opportunities} == set(Stage.objects.values_list("pk", flat=True))
    assert opportunities.count() >= 12
    for opportunity in opportunities:
        assert opportunity.value > 0 and opportunity.currency == "MXN"
        assert opportunity.owner_id == opportunity.customer.owner_id is not None
        assert opportunity.customer.kind == "business"
        assert opportunity.products.exists()
        assert opportunity.probability == opportunity.stage.probability
        # Every move is kept, dated in the story's past, in order.
        moves = list(opportunity.stage_changes.order_by("id"))
        assert moves[0].from_stage is None and moves[-1].to_stage == opportunity.stage
        assert [m.at for m in moves] == sorted(m.at for m in moves)
        assert all(m.at <= now for m in moves)
        assert opportunity.created_at == moves[0].at
        assert opportunity.stage_since == moves[-1].at
        history = opportunity.history.all()
        assert all(record.history_date <= now for record in history)
        if opportunity.stage.is_closed:
            assert opportunity.closed_at == moves[-1].at
            assert history.filter(closed_at=opportunity.closed_at).exists()
        else:
            assert opportunity.closed_at is None
            assert opportunity.expected_close >= timezone.localdate()
        if opportunity.stage.is_lost:
            assert opportunity.lost_reason is not None
            assert bool(opportunity.competitor) == opportunity.lost_reason.asks_competitor
    # The moves are spread over the past months, not made today.
    days = {day_of(at) for at in OpportunityStageChange.objects.values_list("at", flat=True)}
    assert len(days) > 10 and min(days) < timezone.localdate() - timedelta(days=60)


@pytest.mark.django_db
def test_each_won_opportunity_has_its_order_for_the_customer_with_its_products(business):
    won = Opportunity.objects.filter(stage__is_won=True).select_related("order")

    assert won.exists()
    for opportunity in won:
        order = opportunity.order
        assert order is not None and order.customer_id == opportunity.customer_id
        assert order.status == OrderStatus.DRAFT
        products = {line.product_id for line in order.lines.all()}
        assert products == set(opportunity.products.values_list("pk", flat=True))
        assert all(line.quantity > 1 for line in order.lines.all())  # as agreed, not one each
        # Opened on the day it was won, by a customer who had ordered before.
        assert order.order_date == day_of(opportunity.closed_at) == day_of(order.created_at)
        assert order.due_date > timezone.localdate()
        first = Order.objects.filter(customer=order.customer).exclude(pk=order.pk)
        assert first.order_by("order_date").first().order_date <= order.order_date
    assert Order.objects.count() == business.order_count


@pytest.mark.django_db
def test_interactions_go_every_way_over_the_history(business):
    today = timezone.localdate()
    interactions = Interaction.objects.all()

    assert 120 <= interactions.count() <= 600
    ways = set(interactions.values_list("channel", "direction"))
    assert ways >= set(EVERY_WAY)
    assert (ContactChannel.WEB_FORM, Direction.OUTBOUND) not in ways  # customers fill it in
    # Spread over the story: every quarter of it has contacts, none are in the future.
    quarters = {(today - day_of(at)).days // 91 for at in interactions.values_list("at", flat=True)}
    assert quarters >= {0, 1, 2, 3}
    assert not interactions.filter(at__gt=timezone.now()).exists()
    # Dated when they happened, history too.
    for interaction in interactions:
        assert interaction.created_at == interaction.at
        record = interaction.history.earliest("history_date")
        assert record.history_date == interaction.at and record.history_user == interaction.staff
    # By the salespeople, the support agent (and the owner, for her own customers).
    staff = set(interactions.values_list("staff__username", flat=True))
    assert {*SALESPEOPLE, "mateo"} <= staff <= {*SALESPEOPLE, "mateo", "lucia"}
    assert interactions.exclude(satisfaction=None).exists()
    assert interactions.exclude(notes="").exists()
    assert len(set(interactions.values_list("outcome", flat=True))) >= 6
    # With the customer's contact person when the customer has one.
    with_contact = interactions.exclude(contact=None).select_related("contact")
    assert with_contact.exists()
    assert all(i.contact.customer_id == i.customer_id for i in with_contact)
    assert not interactions.filter(contact=None, customer__contacts__isnull=False).exists()
    # Each customer's last contact is their newest interaction.
    latest = dict(
        interactions.values("customer").annotate(last=Max("at")).values_list("customer", "last")
    )
    for customer in Customer.objects.filter(pk__in=latest):
        assert customer.last_contacted_at == latest[customer.pk]


@pytest.mark.django_db
def test_no_outbound_contact_without_consent_unless_a_reply(business):
    reply_days = timedelta(days=settings.CLIENTELA_CONSENT_REPLY_DAYS)
    outbound = Interaction.objects.filter(direction=Direction.OUTBOUND).select_related("customer")

    replies = 0
    for interaction in outbound:
        consent = pressure.CONSENTS.get(interaction.channel)
        if consent is None or getattr(interaction.customer, consent):
            continue
        replies += 1
        assert Interaction.objects.filter(
            customer=interaction.customer,
            channel=interaction.channel,
            direction=Direction.INBOUND,
            at__range=(interaction.at - reply_days, interaction.at),
        ).exists(), interaction
    assert replies  # customers answered on a channel they never agreed to be contacted on


@pytest.mark.django_db
def test_no_customer_goes_over_the_limit_in_30_days_without_a_reason(business):
    contacts = defaultdict(list)  # customer → (when, override reason), done or planned
    for customer, at, reason in Interaction.objects.filter(
        direction=Direction.OUTBOUND
    ).values_list("customer", "at", "override_reason"):
        contacts[customer].append((at, reason))
    planned = Activity.objects.filter(status=ActivityStatus.OPEN).exclude(channel="")
    for customer, at, reason in planned.values_list("customer", "due_at", "override_reason"):
        contacts[customer].append((at, reason))

    for moments in contacts.values():
        moments.sort()
        for start, _reason in moments:
            window = [(at, r) for at, r in moments if start <= at < start + timedelta(days=30)]
            assert len(window) <= 4 or any(reason for _at, reason in window), window
    overridden = Interaction.objects.exclude(override_reason="")
    assert overridden.exists()
    for interaction in overridden:
        assert interaction.override_reason in OVERRIDE_REASONS
        assert interaction.override_by == interaction.staff


@pytest.mark.django_db
def test_each_seller_has_activities_overdue_today_and_coming(business):
    today = timezone.localdate()
    activities = Activity.objects.select_related("owner", "opportunity")

    for username in SALESPEOPLE:
        agenda = activities.filter(owner__username=username, status=ActivityStatus.OPEN)
        due = [day_of(activity.due_at) for activity in agenda]
        assert any(day < today for day in due), username
        assert any(day == today for day in due), username
        assert any(day > today for day in due), username
    assert {"call", "visit", "email", "task"} <= set(activities.values_list("kind", flat=True))
    assert {a.owner.role for a in activities} <= {Role.SALES, Role.OWNER}
    # A few are for open opportunities of the same customer.
    for_deals = activities.exclude(opportunity=None)
    assert for_deals.exists()
    assert all(a.opportunity.customer_id == a.customer_id for a in for_deals)
    assert all(a.opportunity.closed_at is None for a in for_deals)
    # Those done in the past were completed, with the interaction they made.
    done = activities.filter(status=ActivityStatus.DONE)
    assert done.exists()
    kind = ContentType.objects.get_for_model(Activity)
    for activity in done:
        assert activity.outcome and activity.done_at < timezone.now()
        interaction = Interaction.objects.get(source_type=kind, source_id=activity.pk)
        assert interaction.at == activity.done_at and interaction.outcome == activity.outcome
        assert activity.created_at <= activity.due_at


@pytest.mark.django_db
def test_customers_have_notes_a_few_pinned(business):
    notes = CustomerNote.objects.all()

    assert notes.count() >= 6
    assert 0 < notes.filter(pinned=True).count() < notes.count() / 2
    assert all(note.created_at < timezone.now() for note in notes)
    assert len({day_of(note.created_at) for note in notes}) > 3


RELATIONS_MODELS = (
    Opportunity,
    OpportunityStageChange,
    Opportunity.products.through,
    Activity,
    Interaction,
    CustomerNote,
)


@pytest.mark.django_db
def test_demo_reset_leaves_no_relations_rows(business, monkeypatch):
    # The shared demo is reset and removed inside this test's transaction: the other
    # tests still find it.
    monkeypatch.setattr(
        "clientela.demo.management.commands.demo.build_demo",
        functools.partial(generator.build_demo, history_days=120),
    )
    first = {model: set(model.objects.values_list("pk", flat=True)) for model in RELATIONS_MODELS}
    assert all(first.values())
    won_orders = set(Opportunity.objects.exclude(order=None).values_list("order", flat=True))

    call_command("demo", customers=30, reset=True, stdout=StringIO())

    for model, ids in first.items():
        assert ids.isdisjoint(model.objects.values_list("pk", flat=True)), model
    assert Interaction.objects.exists()
    assert not Order.objects.filter(pk__in=won_orders).exists()

    demo_remove()

    for model in RELATIONS_MODELS:
        assert not model.objects.exists(), model
    for model in (Opportunity, Activity, Interaction, CustomerNote):
        assert not model.history.exists(), model
    assert not Order.objects.exists() and not Customer.objects.exists()
