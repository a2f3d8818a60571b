"""A campaign from start to results in a browser: a segment built with its live count, an
e-mail campaign drafted on it, its message written, launched, sent by the worker, an
order from a contacted customer, the campaign finished and its results read."""

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from clientela.campaigns.models import Campaign, CampaignMember, MemberGroup
from clientela.campaigns.services.sending import campaign_send_batch
from clientela.core.models import Role
from clientela.customers.tests.factories import PASSWORD, CustomerFactory, UserFactory
from clientela.orders.tests.factories import OrderFactory, ProductFactory
from clientela.relations.tests.factories import consenting

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _patient_expect():
    """Checks wait as long as the tab's actions do (15 s): the count and the launch query
    the database, which a loaded machine slows."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


def _sign_in(page, username: str) -> None:
    page.goto(page.base_url + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _customer(name: str, city: str, *, e_mail: bool = True):
    first = name.split()[0]
    return consenting(
        CustomerFactory(
            name=name,
            kind="person",
            emails=[f"{first.lower()}@example.mx"],
            contacts=[{"name": name, "is_primary": True}],
            addresses=[{"street": "5 de Mayo 3", "city": city}],
        ),
        consent_email=e_mail,
    )


def _condition(page, index: int, field: str):
    """Choose the field of the builder's row ``index`` (the first is there from the
    start, a later one is added); the row once redrawn."""
    if index:
        page.locator("#condition-add").click()
    expect(page.locator("fieldset.condition")).to_have_count(index + 1)
    row = page.locator(f"fieldset.condition[data-row='{index}']")
    row.get_by_label("Field").select_option(label=field)
    expect(page.locator("fieldset.condition")).to_have_count(index + 1)
    return page.locator(f"fieldset.condition[data-row='{index}'][data-field]:not([data-field=''])")


def test_a_segment_becomes_a_campaign_that_is_sent_finished_and_measured(page, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    UserFactory(username="lucia", first_name="Lucía", role=Role.OWNER)
    for name in ("Ana Ruiz", "Beto Luna", "Carla Sol", "Dora Paz", "Elsa Mar", "Fede Gil"):
        _customer(name, "Puebla")
    _customer("Gina Rey", "Puebla", e_mail=False)
    _customer("Hugo Cruz", "Oaxaca")

    # Given the owner in the segment builder
    _sign_in(page, "lucia")
    page.goto(page.base_url + "/campaigns/segments/new/")
    count = page.locator("#segment-count-value")
    expect(count).to_have_text("8 customers")

    # When she asks for customers in Puebla, the count follows
    city = _condition(page, 0, "City")
    city.get_by_label("Values, separated by commas").fill("Puebla")
    expect(count).to_have_text("7 customers")

    # When she adds that they agree to e-mail, the count follows again
    consent = _condition(page, 1, "Agrees to e-mail")
    consent.get_by_label("Value").select_option(label="Yes")
    expect(count).to_have_text("6 customers")

    # When she names and saves it, its page shows it
    page.get_by_label("Name").fill("Puebla por correo")
    page.locator("#segment-save").click()
    expect(page.get_by_role("heading", name="Puebla por correo")).to_be_visible()

    # When she drafts an e-mail campaign on it, half of it held out
    page.get_by_role("link", name="New campaign on this segment").click()
    expect(page.locator("#id_segment option:checked")).to_have_text("Puebla por correo")
    page.get_by_label("Name").fill("Rosca de Reyes")
    page.get_by_label("Channel").select_option(label="E-mail")
    page.get_by_label("Hold-out (%)").fill("50")
    page.locator("#campaign-save").click()
    expect(page.get_by_role("heading", name="Rosca de Reyes")).to_be_visible()
    expect(page.locator("#campaign-languages")).to_have_text("Not written yet")

    # When she writes its message
    page.locator("#campaign-message-link").click()
    page.get_by_label("Subject").fill("Tu rosca, {{ first_name }}")
    page.get_by_label("Message").fill("Hola {{ first_name }}:\n\nTe guardamos una rosca.\n")
    page.locator("#message-save").click()
    expect(page.locator("#messages")).to_contain_text("Message saved.")
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link").click()
    expect(page.locator("#campaign-languages")).not_to_have_text("Not written yet")

    # When she opens the launch page, it counts who will be frozen in, and she launches
    page.locator("#campaign-launch").click()
    expect(page.locator("#launch-count")).to_have_text(
        "6 customers will be frozen into the campaign."
    )
    page.locator("#launch-confirm").click()

    # Then the campaign runs with its members frozen: three contacted, three held out
    expect(page.locator("#campaign-actions #campaign-finish")).to_be_visible()
    expect(page.locator("#campaign-counts tr[data-group='contacted'] td")).to_have_text("3")
    expect(page.locator("#campaign-counts tr[data-group='holdout'] td")).to_have_text("3")
    expect(page.locator("#campaign-members tbody tr")).to_have_count(6)

    # When the worker sends its messages
    campaign = Campaign.objects.get(name="Rosca de Reyes")
    assert campaign_send_batch(campaign.pk, limit=100) == 3
    contacted = CampaignMember.objects.filter(
        campaign=campaign, group=MemberGroup.CONTACTED
    ).select_related("customer")
    first_names = sorted(member.customer.name.split()[0] for member in contacted)
    assert sorted(message.subject.removeprefix("Tu rosca, ") for message in mail.outbox) == (
        first_names
    )
    assert all(message.body.startswith("Hola ") for message in mail.outbox)

    # And a contacted customer buys within the window
    buyer = contacted.first().customer
    today = timezone.localdate()
    OrderFactory(customer=buyer, order_date=today, due_date=today, status="confirmed")

    # When she finishes the campaign and accepts the question
    page.reload()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#campaign-finish").click()
    expect(page.locator("#campaign-actions #campaign-finish")).to_have_count(0)
    expect(page.locator("#campaign-summary")).to_contain_text("Finished")

    # Then its results show who was contacted, the conversion and a lift in plain words
    page.locator("#campaign-results-link").click()
    members = page.locator("#results-members")
    expect(members.locator("dd").nth(0)).to_have_text("6")
    expect(members.locator("dd").nth(1)).to_have_text("3")
    expect(members.locator("dd").nth(2)).to_have_text("3")
    expect(page.locator("#results-contacts dd").first).to_have_text("3")
    expect(page.locator("#results-money dd").nth(1)).to_contain_text("1 ")
    expect(page.locator("#lift-verdict")).to_contain_text(
        "We cannot tell this campaign apart from doing nothing"
    )
    expect(page.locator("canvas[data-chart='conversions-chart']")).to_be_visible()


def test_a_long_product_list_is_searched_as_the_user_types(page):
    UserFactory(username="lucia", first_name="Lucía", role=Role.OWNER)
    for sku, name in (("CV", "Concha de vainilla"), ("CC", "Concha de chocolate"),
                      ("BO", "Bolillo"), ("PM", "Pan de muerto")):  # fmt: skip
        ProductFactory(sku=sku, name=name)
    _sign_in(page, "lucia")
    page.goto(page.base_url + "/campaigns/segments/new/")

    row = _condition(page, 0, "Products bought")
    row.get_by_label("Products").select_option(label="Bolillo (BO)")
    row.get_by_role("searchbox", name="Find a product").fill("CONCHA")

    visible = row.locator("select[data-filter] option:not([hidden])")
    expect(visible).to_have_text(
        ["Bolillo (BO)", "Concha de chocolate (CC)", "Concha de vainilla (CV)"]
    )
    row.get_by_role("searchbox", name="Find a product").fill("")
    expect(visible).to_have_count(4)


def test_a_field_chosen_the_moment_its_row_appears_still_shows_its_values(page):
    UserFactory(username="lucia", first_name="Lucía", role=Role.OWNER)
    _sign_in(page, "lucia")
    page.goto(page.base_url + "/campaigns/segments/new/")
    expect(page.locator("fieldset.condition")).to_have_count(1)

    # Given a hand quicker than the page: the field of a new row is chosen the moment the
    # row is drawn, before anything else runs
    page.evaluate(
        """() => {
          const observer = new MutationObserver(() => {
            const field = document.querySelector(
              "fieldset.condition[data-row='1'] select[name$='-field']");
            if (!field) return;
            observer.disconnect();
            field.value = [...field.options].find((o) => o.text === "Agrees to e-mail").value;
            field.dispatchEvent(new Event("change", {bubbles: true}));
          });
          observer.observe(document.body, {childList: true, subtree: true});
        }"""
    )
    # When she adds a condition
    page.locator("#condition-add").click()

    # Then the row is redrawn for that field, with its values to choose from
    row = page.locator("fieldset.condition[data-row='1']")
    expect(row.get_by_label("Value")).to_be_visible()
    expect(row.get_by_label("Field")).to_have_value("consent_email")
