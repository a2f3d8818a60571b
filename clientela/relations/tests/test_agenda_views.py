"""The agenda's pages as staff use them: the agenda per role, activities planned and
done, contacts and notes from the customer page, the contact limits' override, the
calendar feed and its secret kept out of the log, and the agenda's menu badge."""

import logging
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from clientela.core.log import SecretsMasked, access_atoms_masked
from clientela.customers.services import contact_create
from clientela.customers.tests.factories import CustomerFactory
from clientela.relations import selectors
from clientela.relations.models import Activity, AgendaSettings, CustomerNote, Interaction
from clientela.relations.services import (
    activity_cancel,
    activity_complete,
    activity_plan,
    agenda_feed_issue,
    contact_limit_set,
    interaction_record,
    note_add,
)
from clientela.relations.tests.factories import consenting, days_ago, days_ahead

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _default_limit(db):
    """The default limit, 4 outbound contacts in 30 days, whatever ran before."""
    contact_limit_set(actor=None, channel="", max_contacts=4, days=30)


@pytest.fixture
def customer(sales):
    return consenting(CustomerFactory(name="Cafetería Aurora", owner=sales))


def _call(actor, customer, when, subject="Llamar por el pedido", **fields):
    return activity_plan(
        actor=actor, kind="call", subject=subject, due_at=when, customer=customer, **fields
    )


def _local(moment):
    local = timezone.localtime(moment)
    return local.date().isoformat(), local.strftime("%H:%M")


def _activity_data(who, when, **changes):
    day, hour = _local(when)
    return {
        "kind": "call",
        "subject": "Ofrecer el pan de muerto",
        "customer": str(who.pk),
        "owner": str(who.owner_id),
        "due_date": day,
        "due_time": hour,
        "duration_minutes": "30",
        "notes": "",
        **changes,
    }


def _interaction_data(when=None, **changes):
    day, hour = _local(when or timezone.now() - timedelta(minutes=10))
    return {
        "channel": "phone",
        "direction": "outbound",
        "at_date": day,
        "at_time": hour,
        "subject": "Pedido de diciembre",
        "outcome": "reached",
        "satisfaction": "4",
        "notes": "",
        **changes,
    }


def _field_errors(response, field: str) -> str:
    form = response.context["form"]
    return " ".join(form.errors.get(field, []))


# --- the agenda per role ------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "sales", "support", "readonly"])
def test_every_role_sees_the_agenda(client, request, role, customer, sales):
    _call(sales, customer, days_ahead(0.01))
    user = request.getfixturevalue(role)
    client.force_login(user)

    response = client.get(reverse("relations:agenda"))

    assert response.status_code == 200
    page = response.content.decode()
    doing = role in {"owner", "sales", "support"}
    assert ("Plan an activity" in page) is doing
    if role in {"owner", "readonly"}:
        # the owner and read-only users pick whose agenda: the read-only one sees everyone's
        assert 'id="agenda-owner-select"' in page
        everyone = client.get(reverse("relations:agenda"), {"owner": "all"}).content.decode()
        assert "Llamar por el pedido" in everyone
    if role == "sales":
        assert "Llamar por el pedido" in page and "Log the call" in page
    if role == "readonly":
        assert "Log the call" not in page


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(reverse("relations:agenda"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_agenda_sorts_overdue_today_and_this_week(client, sales, customer):
    now = timezone.now()
    _call(sales, customer, now - timedelta(days=2), subject="Atrasada")
    _call(sales, customer, now + timedelta(days=3), subject="Esta semana")
    client.force_login(sales)

    response = client.get(reverse("relations:agenda"))

    agenda = response.context["agenda"]
    assert [a.subject for a in agenda.overdue] == ["Atrasada"]
    assert [a.subject for a in agenda.week] == ["Esta semana"]


def test_salespeople_limited_to_their_own_see_only_their_customers_work(
    client, settings, sales, owner, user_with_role, customer
):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    colleague = user_with_role("sales")
    theirs = consenting(CustomerFactory(name="Otra", owner=colleague))
    other = _call(owner, theirs, days_ahead(1), subject="Ajena", owner=owner)
    mine = _call(sales, customer, days_ahead(1))
    client.force_login(sales)

    assert client.get(reverse("relations:activity", args=[other.pk])).status_code == 404
    assert client.get(reverse("relations:activity", args=[mine.pk])).status_code == 200
    refused = client.post(
        reverse("relations:interaction_create", args=[theirs.pk]), _interaction_data()
    )
    assert refused.status_code == 404
    assert client.get(reverse("relations:agenda")).context["agenda"].week == [mine]


def test_support_records_contacts_and_plans_activities(client, support, customer):
    client.force_login(support)

    recorded = client.post(
        reverse("relations:interaction_create", args=[customer.pk]), _interaction_data()
    )
    planned = client.post(
        reverse("relations:activity_create"),
        _activity_data(customer, days_ahead(2), owner=str(support.pk)),
    )

    assert recorded.status_code == 302 and planned.status_code == 302
    interaction = Interaction.objects.get()
    assert (interaction.staff, interaction.satisfaction, interaction.outcome) == (
        support,
        4,
        "reached",
    )
    activity = Activity.objects.get()
    assert (activity.owner, activity.customer, activity.subject) == (
        support,
        customer,
        "Ofrecer el pan de muerto",
    )


def test_readonly_users_see_but_change_nothing(client, readonly, sales, customer):
    activity = _call(sales, customer, days_ahead(1))
    client.force_login(readonly)

    assert client.get(reverse("relations:activity", args=[activity.pk])).status_code == 200
    assert client.get(reverse("relations:activity_create")).status_code == 403
    assert client.get(reverse("relations:agenda_settings")).status_code == 403
    assert (
        client.post(
            reverse("relations:interaction_create", args=[customer.pk]), _interaction_data()
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("relations:activity_complete", args=[activity.pk]),
            {"version": activity.version, "outcome": "reached"},
        ).status_code
        == 403
    )
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'id="customer-relations"' in page
    assert "Record a contact" not in page


# --- activities ---------------------------------------------------------------------


def test_plan_change_and_cancel_an_activity(client, sales, customer):
    contact = contact_create(actor=None, customer=customer, name="Marta Ríos")
    client.force_login(sales)
    when = days_ahead(2)

    response = client.post(
        reverse("relations:activity_create"),
        _activity_data(customer, when, contact=contact.pk, kind="visit", ends_time=""),
    )
    activity = Activity.objects.get()
    assert response["Location"] == reverse("relations:activity", args=[activity.pk])
    assert (activity.kind, activity.contact, activity.duration_minutes) == ("visit", contact, 30)

    day = (timezone.localtime(when) + timedelta(days=1)).date().isoformat()
    edit = client.get(reverse("relations:activity_edit", args=[activity.pk]))
    data = {**edit.context["form"].initial, "due_date": day, "due_time": "10:00"}
    data["ends_time"] = "11:30"
    data = {k: "" if v is None else v for k, v in data.items()}
    data["reason"] = "Pidió otro día"
    assert client.post(
        reverse("relations:activity_edit", args=[activity.pk]), data
    ).status_code == (302)
    activity.refresh_from_db()
    assert activity.duration_minutes == 90
    assert activity.history.first().history_change_reason == "Pidió otro día"

    cancelled = client.post(
        reverse("relations:activity_cancel", args=[activity.pk]),
        {"version": activity.version, "reason": "Cerró la tienda"},
    )
    assert cancelled.status_code == 302
    activity.refresh_from_db()
    assert activity.status == "cancelled"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"kind": "telegram"}, "kind"),
        ({"due_date": "31/02/2026"}, "due_date"),
        ({"due_date": "1890-01-01"}, "due_date"),
        ({"duration_minutes": "0"}, "duration_minutes"),
        ({"customer": "99999999"}, "customer"),
        ({"contact": "99999999"}, "contact"),
        ({"customer": ""}, "customer"),  # a call needs a customer (the service says so)
    ],
)
def test_the_activity_form_refuses_bad_input_at_its_field(client, sales, customer, change, field):
    client.force_login(sales)

    response = client.post(
        reverse("relations:activity_create"), _activity_data(customer, days_ahead(1), **change)
    )

    assert response.status_code == 200
    assert _field_errors(response, field), response.context["form"].errors
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Activity.objects.exists()


def test_an_end_before_the_start_is_refused_at_the_end(client, sales, customer):
    client.force_login(sales)
    when = timezone.localtime(days_ahead(1)).replace(hour=10, minute=0)

    response = client.post(
        reverse("relations:activity_create"),
        _activity_data(customer, when, ends_time="09:00"),
    )

    assert "end after it starts" in _field_errors(response, "ends_time")


def test_log_the_call_from_the_agenda_in_one_click(client, sales, customer):
    call = _call(sales, customer, days_ago(0.1))
    client.force_login(sales)
    agenda = client.get(reverse("relations:agenda")).content.decode()
    assert re.search(r'id="nav-badge-relations-agenda".*?>\s*1<', agenda, re.S)

    refused = client.post(
        reverse("relations:activity_complete", args=[call.pk]),
        {"version": call.version, "outcome": ""},
        headers=HTMX,
    )
    assert "Say how it went." in refused.content.decode()
    done = client.post(
        reverse("relations:activity_complete", args=[call.pk]),
        {"version": call.version, "outcome": "reached"},
        headers=HTMX,
    )

    page = done.content.decode()
    assert done.status_code == 200
    assert f'id="agenda-item-{call.pk}"' in page and "Done: Reached" in page
    assert 'hx-swap-oob="true"' in page
    interaction = Interaction.objects.get()
    assert (interaction.outcome, interaction.channel, interaction.staff) == (
        "reached",
        "phone",
        sales,
    )


def test_complete_an_activity_with_notes_and_satisfaction(client, sales, customer):
    visit = activity_plan(
        actor=sales, kind="visit", subject="Degustación", due_at=days_ago(0.1), customer=customer
    )
    client.force_login(sales)

    response = client.post(
        reverse("relations:activity_complete", args=[visit.pk]),
        {"version": visit.version, "outcome": "interested", "satisfaction": "5", "notes": "Sí"},
    )

    assert response.status_code == 302
    interaction = Interaction.objects.get()
    assert (interaction.channel, interaction.satisfaction) == ("in_person", 5)
    again = client.get(reverse("relations:activity_complete", args=[visit.pk]))
    assert again.status_code == 302  # closed: back to the activity


def test_an_activity_downloads_as_ics(client, sales, customer):
    call = _call(sales, customer, days_ahead(1))
    client.force_login(sales)

    response = client.get(reverse("relations:activity_ics", args=[call.pk]))

    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == f"clientela-activity-{call.pk}"
    assert str(event["STATUS"]) == "CONFIRMED"


# --- contacts, consent and limits ---------------------------------------------------


def test_a_contact_without_consent_is_refused_at_the_channel(client, sales):
    customer = consenting(CustomerFactory(owner=sales), consent_phone=False)
    client.force_login(sales)

    response = client.post(
        reverse("relations:interaction_create", args=[customer.pk]), _interaction_data()
    )

    assert "agrees to calls" in _field_errors(response, "channel")
    assert 'name="override_reason"' in response.content.decode()  # hidden, not offered
    assert 'id="override"' not in response.content.decode()
    assert not Interaction.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "pigeon"}, "channel"),
        ({"direction": "sideways"}, "direction"),
        ({"satisfaction": "9"}, "satisfaction"),
        ({"at_date": "tomorrow"}, "at_date"),
    ],
)
def test_the_contact_form_refuses_bad_input_at_its_field(client, sales, customer, change, field):
    client.force_login(sales)

    response = client.post(
        reverse("relations:interaction_create", args=[customer.pk]), _interaction_data(**change)
    )

    assert _field_errors(response, field)
    assert not Interaction.objects.exists()


def test_a_contact_in_the_future_is_refused_at_its_day(client, sales, customer):
    client.force_login(sales)

    response = client.post(
        reverse("relations:interaction_create", args=[customer.pk]),
        _interaction_data(when=days_ahead(2)),
    )

    assert "plan an activity" in _field_errors(response, "at_date")


def test_a_fifth_contact_asks_for_a_reason_and_keeps_it_with_the_user(client, sales, customer):
    for days in (20, 15, 10, 5):
        interaction_record(
            actor=sales, customer=customer, channel="phone", direction="outbound",
            at=days_ago(days),
        )  # fmt: skip
    client.force_login(sales)
    url = reverse("relations:interaction_create", args=[customer.pk])

    refused = client.post(url, _interaction_data())
    assert "At most 4 outbound contacts in 30 days" in _field_errors(refused, "override_reason")
    assert 'id="override"' in refused.content.decode()
    assert Interaction.objects.count() == 4

    allowed = client.post(url, _interaction_data(override_reason="Pidió que lo llamáramos"))
    assert allowed.status_code == 302
    latest = Interaction.objects.order_by("-at").first()
    assert (latest.override_reason, latest.override_by) == ("Pidió que lo llamáramos", sales)


def test_a_fifth_planned_call_asks_for_a_reason_too(client, sales, customer):
    for days in (1, 2, 3, 4):
        _call(sales, customer, days_ahead(days))
    client.force_login(sales)

    refused = client.post(
        reverse("relations:activity_create"), _activity_data(customer, days_ahead(5))
    )
    assert _field_errors(refused, "override_reason")
    allowed = client.post(
        reverse("relations:activity_create"),
        _activity_data(customer, days_ahead(5), override_reason="Campaña de temporada"),
    )
    assert allowed.status_code == 302
    assert Activity.objects.filter(
        override_reason="Campaña de temporada", override_by=sales
    ).exists()


def test_only_the_owner_sees_the_overrides(client, owner, sales, customer):
    for days in (20, 15, 10, 5):
        interaction_record(
            actor=sales, customer=customer, channel="phone", direction="outbound",
            at=days_ago(days),
        )  # fmt: skip
    interaction_record(
        actor=sales, customer=customer, channel="email", direction="outbound",
        override_reason="Lo pidió el cliente",
    )  # fmt: skip
    client.force_login(sales)
    assert client.get(reverse("relations:overrides")).status_code == 403

    client.force_login(owner)
    page = client.get(reverse("relations:overrides")).content.decode()

    assert "Lo pidió el cliente" in page and "Cafetería Aurora" in page and str(sales) in page
    assert "E-mail" in page


# --- notes and the customer panel ---------------------------------------------------


def test_the_customer_panel_shows_last_contact_next_activity_and_pinned_notes(
    client, sales, customer
):
    interaction_record(
        actor=sales, customer=customer, channel="phone", direction="inbound",
        at=days_ago(1), subject="Preguntó por pan",
    )  # fmt: skip
    _call(sales, customer, days_ahead(1), subject="Devolver la llamada")
    client.force_login(sales)

    created = client.post(
        reverse("relations:note_create", args=[customer.pk]),
        {"text": "Paga siempre en efectivo", "pinned": "on"},
    )
    assert created.status_code == 302
    assert (
        client.post(reverse("relations:note_create", args=[customer.pk]), {"text": ""})
        .context["form"]
        .errors["text"]
    )
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()

    assert "Preguntó por pan" in page
    assert "Devolver la llamada" in page
    assert "Paga siempre en efectivo" in page and "Unpin" in page


def test_a_note_is_pinned_and_unpinned(client, sales, customer):
    note = note_add(actor=sales, customer=customer, text="Cierra los lunes")
    client.force_login(sales)

    client.post(
        reverse("relations:note_pin", args=[note.pk]), {"version": note.version, "pinned": "on"}
    )
    note.refresh_from_db()
    assert note.pinned
    client.post(reverse("relations:note_pin", args=[note.pk]), {"version": note.version})
    note.refresh_from_db()
    assert not note.pinned
    stale = client.post(reverse("relations:note_pin", args=[note.pk]), {"version": 1}, follow=True)
    assert "Someone else changed this record" in stale.content.decode()
    assert CustomerNote.objects.get().pinned is False


# --- the menu badge -----------------------------------------------------------------


def test_the_badge_costs_no_query_for_users_who_do_no_activities(client, readonly, monkeypatch):
    def counted(**_kwargs):
        raise AssertionError("the overdue count was asked for")

    monkeypatch.setattr(selectors, "overdue_count", counted)
    client.force_login(readonly)

    assert client.get(reverse("dashboard")).status_code == 200


def test_the_badge_is_not_counted_on_a_page_without_the_menu(client, sales, customer, monkeypatch):
    call = _call(sales, customer, days_ago(1))
    client.force_login(sales)
    counts = []
    real = selectors.overdue_count
    monkeypatch.setattr(selectors, "overdue_count", lambda **kw: counts.append(1) or real(**kw))

    client.get(reverse("relations:activity_ics", args=[call.pk]))
    client.get(reverse("relations:agenda"))

    assert len(counts) == 1


# --- settings and the calendar feed -------------------------------------------------


def _feed_url(response) -> str:
    match = re.search(r'id="feed-url"[^>]*>([^<]+)</textarea>', response.content.decode())
    assert match, "the feed's address is shown"
    return match.group(1)


def test_the_feed_is_turned_on_regenerated_and_off(client, sales, customer):
    client.force_login(sales)
    settings_url = reverse("relations:agenda_settings")

    first = _feed_url(client.post(settings_url, {"action": "feed_on"}))
    assert client.get(first).status_code == 200
    assert "feed-url" not in client.get(settings_url).content.decode()  # shown once

    second = _feed_url(client.post(settings_url, {"action": "feed_new"}))
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200

    client.post(settings_url, {"action": "feed_off"})
    assert client.get(second).status_code == 404


def test_an_unknown_feed_is_a_plain_404(client):
    response = client.get(reverse("relations:calendar_feed", args=["not-a-secret"]))

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")


def test_the_feed_parses_back_as_rfc_5545(client, sales, customer):
    contact = contact_create(actor=None, customer=customer, name="Marta Ríos")
    planned = _call(sales, customer, days_ahead(1), contact=contact, notes="Llevar muestras")
    done = _call(sales, customer, days_ago(3), subject="Hecha")
    done, _interaction = activity_complete(
        actor=sales, activity=done, version=done.version, outcome="reached"
    )
    cancelled = _call(sales, customer, days_ahead(2), subject="Cancelada")
    activity_cancel(actor=sales, activity=cancelled, version=cancelled.version)
    old = _call(sales, customer, days_ago(40), subject="Vieja")
    secret = agenda_feed_issue(user=sales)

    response = client.get(reverse("relations:calendar_feed", args=[secret]))

    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"clientela-activity-{planned.pk}", f"clientela-activity-{done.pk}"}
    assert old.pk and cancelled.pk
    event = events[f"clientela-activity-{planned.pk}"]
    start = planned.due_at.replace(microsecond=0)
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + timedelta(minutes=30)
    assert str(event["SUMMARY"]) == "Call: Llamar por el pedido"
    description = str(event["DESCRIPTION"])
    assert "Cafetería Aurora" in description and "Marta Ríos" in description
    assert "Llevar muestras" in description
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == 0
    assert str(event["URL"]).endswith(reverse("relations:activity", args=[planned.pk]))
    finished = events[f"clientela-activity-{done.pk}"]
    assert str(finished["SUMMARY"]).startswith("Done")
    assert int(finished["SEQUENCE"]) == done.version - 1 > 0


def test_the_morning_digest_is_turned_on_and_off(client, sales):
    client.force_login(sales)
    url = reverse("relations:agenda_settings")

    client.post(url, {"action": "digest", "morning_digest": "on"})
    assert AgendaSettings.objects.get(user=sales).morning_digest is True
    client.post(url, {"action": "digest"})
    assert AgendaSettings.objects.get(user=sales).morning_digest is False


# --- the log ------------------------------------------------------------------------


@pytest.fixture
def console():
    """What the configured console handler writes, while the test runs."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, SecretsMasked) for f in h.filters)
    )
    stream = StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_the_log_never_shows_a_feeds_secret(client, sales, console):
    secret = agenda_feed_issue(user=sales)
    agenda_feed_issue(user=sales)  # the first one is revoked: a 404, logged

    response = client.get(reverse("relations:calendar_feed", args=[secret]))

    assert response.status_code == 404
    written = console.getvalue()
    assert "Not Found: /relations/calendar/….ics" in written
    assert secret not in written


def test_the_web_servers_access_log_never_shows_a_feeds_secret():
    secret = "s3cr3t-Value_x"
    atoms = {
        "r": f"GET /relations/calendar/{secret}.ics HTTP/1.1",
        "U": f"/relations/calendar/{secret}.ics",
        "{raw_uri}e": f"/relations/calendar/{secret}.ics?x=1",
        "s": 200,
    }

    masked = access_atoms_masked(atoms)

    assert masked["r"] == "GET /relations/calendar/….ics HTTP/1.1"
    assert masked["U"] == "/relations/calendar/….ics"
    assert masked["{raw_uri}e"] == "/relations/calendar/….ics?x=1"
    assert masked["s"] == 200
