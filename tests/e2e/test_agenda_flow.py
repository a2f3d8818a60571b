"""A salesperson's day with the agenda: a call logged from the agenda in one click, a
fifth call in a month refused and then let through with a reason, and the private
calendar feed read by a calendar program."""

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import expect

from clientela.core.models import Role
from clientela.customers.tests.factories import PASSWORD, CustomerFactory, UserFactory
from clientela.relations.models import Interaction
from clientela.relations.services import activity_plan, contact_limit_set, interaction_record
from clientela.relations.tests.factories import consenting

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page, username: str) -> None:
    page.goto(page.base_url + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Agenda")).to_be_visible()


@pytest.fixture
def pablo(db):
    return UserFactory(username="pablo", first_name="Pablo", role=Role.SALES)


@pytest.fixture
def aurora(pablo):
    return consenting(CustomerFactory(name="Cafetería Aurora", owner=pablo))


def test_log_a_call_from_the_agenda(page, pablo, aurora):
    activity_plan(
        actor=pablo,
        kind="call",
        subject="Ofrecer el pan de muerto",
        due_at=timezone.now() - timedelta(hours=2),
        customer=aurora,
    )

    # Given Pablo signed in, with an overdue call: the menu says so
    _sign_in(page, "pablo")
    badge = page.locator("#nav-badge-relations-agenda")
    expect(badge).to_contain_text("1")

    # When he opens his agenda and logs the call as reached, without leaving the page
    page.get_by_role("link", name="Agenda").click()
    overdue = page.locator("#agenda-overdue")
    expect(overdue).to_contain_text("Ofrecer el pan de muerto")
    overdue.get_by_label("How “Ofrecer el pan de muerto” went").select_option(label="Reached")
    overdue.get_by_role("button", name="Log the call").click()

    # Then the row says it is done, the badge is gone, and the contact is recorded
    expect(overdue).to_contain_text("Done: Reached")
    expect(badge).not_to_contain_text("1")
    assert page.url.endswith("/relations/agenda/")
    interaction = Interaction.objects.get()
    assert (interaction.customer, interaction.outcome, interaction.staff) == (
        aurora,
        "reached",
        pablo,
    )


def test_a_fifth_call_in_a_month_needs_a_reason(page, pablo, aurora):
    # the default limit (a live server's database is emptied between tests, so set again)
    contact_limit_set(actor=None, channel="", max_contacts=4, days=30)
    for days in (25, 18, 11, 4):
        interaction_record(
            actor=pablo,
            customer=aurora,
            channel="phone",
            direction="outbound",
            at=timezone.now() - timedelta(days=days),
        )

    # Given Pablo on the café's page, four calls made this month
    _sign_in(page, "pablo")
    page.goto(f"{page.base_url}/customers/{aurora.pk}/")
    page.get_by_role("link", name="Record a contact").click()

    # When he records a fifth call
    page.get_by_label("Channel").select_option(label="Phone")
    page.get_by_label("Subject").fill("Seguimiento del pedido")
    page.get_by_label("Outcome").select_option(label="Reached")
    page.get_by_role("button", name="Record the contact").click()

    # Then it is refused, saying the limit, and asks for a reason
    reason = page.get_by_label("Reason to go over the contact limit")
    expect(reason).to_be_visible()
    expect(page.locator("#id_override_reason_error")).to_contain_text(
        "At most 4 outbound contacts in 30 days"
    )
    assert Interaction.objects.count() == 4

    # When he gives one
    reason.fill("Nos pidió que lo llamáramos hoy")
    page.get_by_role("button", name="Record the contact").click()

    # Then the contact is recorded with his reason, and the page shows it as the last
    expect(page.locator("#customer-last-contact")).to_contain_text("Seguimiento del pedido")
    latest = Interaction.objects.order_by("-at").first()
    assert (latest.override_reason, latest.override_by) == (
        "Nos pidió que lo llamáramos hoy",
        pablo,
    )


def test_the_calendar_feed_is_read_by_a_calendar_program(page, pablo, aurora):
    call = activity_plan(
        actor=pablo,
        kind="call",
        subject="Confirmar la entrega",
        due_at=timezone.now() + timedelta(days=1),
        customer=aurora,
    )

    # Given Pablo on his agenda settings
    _sign_in(page, "pablo")
    page.get_by_role("link", name="Agenda").click()
    page.get_by_role("link", name="My agenda settings").click()

    # When he turns the feed on
    page.get_by_role("button", name="Turn the feed on").click()
    address = page.get_by_label("Your calendar's address").input_value()

    # Then a calendar program reading the address, without signing in, gets his call
    response = page.context.request.get(address, headers={"Cookie": ""})
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    (event,) = Calendar.from_ical(response.body()).walk("VEVENT")
    assert str(event["UID"]) == f"clientela-activity-{call.pk}"
    assert str(event["SUMMARY"]) == "Call: Confirmar la entrega"
    assert "Cafetería Aurora" in str(event["DESCRIPTION"])

    # And once he makes a new address (and says yes, he means it), the old one is gone
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Make a new address").click()
    expect(page.get_by_label("Your calendar's address")).not_to_have_value(address)
    assert page.context.request.get(address).status == 404
