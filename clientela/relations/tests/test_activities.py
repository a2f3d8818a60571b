"""Activities: planned, rescheduled with history, done with an outcome; the agenda and
its feed, the morning digest and the due webhook."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from clientela.core.errors import ConflictError
from clientela.customers.services import contact_create
from clientela.customers.tests.factories import CustomerFactory
from clientela.mail.models import OutgoingEmail
from clientela.relations import selectors
from clientela.relations.models import Activity
from clientela.relations.services import (
    activities_due_emit,
    activity_cancel,
    activity_complete,
    activity_plan,
    activity_update,
    agenda_digest_set,
    agenda_digests_send,
    agenda_feed_issue,
    agenda_feed_revoke,
    opportunity_create,
)
from clientela.relations.tests.factories import consenting, days_ago, days_ahead

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(sales):
    return consenting(CustomerFactory(name="Cafetería Aurora", owner=sales))


def _visit(actor, customer, when, **fields):
    return activity_plan(
        actor=actor, kind="visit", subject="Degustación", due_at=when, customer=customer, **fields
    )


def test_bad_input_is_refused_field_by_field(sales, customer):
    stranger = contact_create(actor=None, customer=CustomerFactory(), name="Ajena")
    other_deal = opportunity_create(actor=None, customer=CustomerFactory(), title="Otra")
    now = timezone.now()
    cases = [
        ({"kind": "telegram"}, "kind"),
        ({"contact": stranger}, "contact"),
        ({"opportunity": other_deal}, "opportunity"),
        ({"due_at": now.replace(year=1900)}, "due_at"),
        ({"due_at": now.replace(year=2199)}, "due_at"),
        ({"ends_at": now + timedelta(days=1) - timedelta(hours=1)}, "ends_at"),
        ({"subject": ""}, "subject"),
        ({"customer": None}, "customer"),
    ]
    for change, field in cases:
        fields = {
            "kind": "call", "subject": "Llamar", "due_at": now + timedelta(days=1),
            "customer": customer,
        } | change  # fmt: skip
        with pytest.raises(ValidationError) as excinfo:
            activity_plan(actor=sales, **fields)
        assert field in excinfo.value.message_dict, (change, excinfo.value.message_dict)
    assert not Activity.objects.exists()


def test_rescheduling_keeps_the_old_time_in_the_history(sales, customer):
    visit = _visit(sales, customer, days_ahead(1))
    first = visit.due_at
    visit = activity_update(
        actor=sales, activity=visit, version=visit.version, due_at=days_ahead(3),
        reason="El cliente pidió otro día",
    )  # fmt: skip
    times = [row.due_at for row in visit.history.order_by("history_date")]
    assert times == [first, visit.due_at]
    assert visit.history.first().history_change_reason == "El cliente pidió otro día"
    with pytest.raises(ConflictError):
        activity_update(actor=sales, activity=visit, version=1, due_at=days_ahead(4))


def test_done_needs_an_outcome_and_records_the_visit(sales, customer):
    visit = _visit(sales, customer, days_ago(0.1))
    with pytest.raises(ValidationError) as excinfo:
        activity_complete(actor=sales, activity=visit, version=visit.version)
    assert "outcome" in excinfo.value.message_dict
    visit = Activity.objects.get(pk=visit.pk)
    visit, interaction = activity_complete(
        actor=sales, activity=visit, version=visit.version, outcome="interested",
        notes="Quieren probar el pan de muerto", satisfaction=5,
    )  # fmt: skip
    assert interaction.channel == "in_person" and interaction.satisfaction == 5
    customer.refresh_from_db()
    assert customer.last_contacted_at == interaction.at
    with pytest.raises(ValidationError):
        activity_cancel(actor=sales, activity=visit, version=visit.version)


def test_the_agenda_splits_overdue_today_and_this_week(sales, owner, customer):
    now = timezone.localtime()
    late = _visit(sales, customer, now - timedelta(hours=30))
    week = _visit(sales, customer, now + timedelta(days=3))
    _visit(sales, customer, now + timedelta(days=12))  # beyond the week
    someone_elses = _visit(owner, customer, now + timedelta(days=2))
    agenda = selectors.agenda_for(user=sales, owner=sales)
    assert agenda.overdue == [late] and agenda.week == [week]
    assert selectors.overdue_count(user=sales) == 1
    everyone = selectors.agenda_for(user=owner, owner=None)
    assert someone_elses in everyone.week and week in everyone.week


def test_a_feed_secret_is_kept_only_as_its_digest_and_a_new_one_kills_the_old(sales):
    secret = agenda_feed_issue(user=sales)
    assert selectors.feed_user(secret=secret) == sales
    assert secret not in str(selectors.agenda_settings(user=sales).__dict__)
    newer = agenda_feed_issue(user=sales)
    assert selectors.feed_user(secret=secret) is None
    assert selectors.feed_user(secret=newer) == sales
    agenda_feed_revoke(user=sales)
    assert selectors.feed_user(secret=newer) is None


def test_the_morning_digest_is_queued_once_a_day_for_those_who_asked(sales, customer, settings):
    settings.CLIENTELA_DIGEST_HOUR = 7
    sales.email = "noemi@panaderia.mx"
    sales.save()
    morning = timezone.localtime().replace(hour=8, minute=0)
    _visit(sales, customer, morning + timedelta(hours=3))
    assert agenda_digests_send(now=morning) == 0  # not asked for
    agenda_digest_set(user=sales, on=True)
    assert agenda_digests_send(now=morning - timedelta(hours=2)) == 0  # before the hour
    assert agenda_digests_send(now=morning) == 1
    assert agenda_digests_send(now=morning + timedelta(hours=1)) == 0  # once a day
    email = OutgoingEmail.objects.get()
    assert email.to == ["noemi@panaderia.mx"]
    assert "Degustación" in email.text and "Cafetería Aurora" in email.text


def test_activities_falling_due_are_told_to_webhooks_once(sales, customer, monkeypatch):
    told: list = []
    monkeypatch.setattr(
        "clientela.relations.services.agenda.event_emit_many",
        lambda *, event, data: told.append((event, data)),
    )
    due = _visit(sales, customer, days_ago(0.01))
    _visit(sales, customer, days_ahead(1))
    assert activities_due_emit() == 1
    assert told[0][0] == "activity.due" and told[0][1][0]["id"] == due.pk
    assert activities_due_emit() == 0


def test_the_agenda_shows_the_first_of_a_long_part_and_all_on_request(client, sales, customer):
    Activity.objects.bulk_create(
        Activity(
            kind="task",
            subject=f"Pendiente {n}",
            owner=sales,
            status="open",
            due_at=timezone.now() - timedelta(hours=n + 1),
        )
        for n in range(30)
    )
    agenda = selectors.agenda_for(user=sales, owner=sales)
    assert agenda.overdue_count == 30 and len(agenda.overdue) == selectors.AGENDA_SHOWN
    assert agenda.overdue[0].subject == "Pendiente 0"  # the most recent first
    client.force_login(sales)
    page = client.get(reverse("relations:agenda")).content.decode()
    assert "Show all 30" in page and page.count("Pendiente ") == selectors.AGENDA_SHOWN
    whole = client.get(reverse("relations:agenda"), {"whole": "overdue"}).content.decode()
    assert whole.count("Pendiente ") == 30 and "Show all 30" not in whole
