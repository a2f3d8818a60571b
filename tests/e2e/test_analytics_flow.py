"""The analysis from the owner's button to the dashboard, its lists and its Spanish."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from clientela.analytics.models import AnalysisRun, RunStatus
from clientela.analytics.selectors import dashboard_figures
from clientela.analytics.tests.factories import customers_bulk_create, every, purchases_create
from clientela.core.models import Role
from clientela.customers.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _book() -> None:
    """Weekly regulars, monthly buyers and some who stopped a year ago."""
    today = timezone.localdate()
    customers = customers_bulk_create(36)
    for index, customer in enumerate(customers):
        if index < 12:  # every week or two, for a few months to a year
            days = every(7 + 7 * (index % 2), today - timedelta(days=60 + 25 * index), 8 + index)
        elif index < 30:  # every month or so, some of them for a while now
            days = every(25 + index, today - timedelta(days=15 * index), 1 + index // 6)
        else:  # three purchases, long ago
            days = every(20, today - timedelta(days=600), 3)
        purchases_create(customer, [(day, 150 + 40 * index) for day in days])


def test_recompute_see_the_dashboard_follow_a_kpi_and_read_it_in_spanish(page):
    owner = UserFactory(username="lucia", first_name="Lucía", role=Role.OWNER)
    _book()

    # Given a signed-in owner on the analytics page, before any analysis
    page.goto(page.base_url + "/login/")
    page.get_by_label("Username").fill("lucia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Analytics").first.click()
    recompute = page.get_by_role("button", name="Recompute now")
    expect(recompute).to_be_enabled()
    expect(page.locator("#analytics-kpis")).to_have_count(0)

    # When she asks for a recomputation
    recompute.click()

    # Then the page says it waits for the background worker, and the button rests
    expect(page.locator("#analysis-progress")).to_contain_text("waiting for the background")
    expect(page.get_by_role("button", name="Recompute now")).to_be_disabled()

    # When the worker has run it (away from the polling page: the test database, an
    # in-memory SQLite shared between threads, locks whole tables) and she comes back
    dashboard = page.url
    page.goto("about:blank")
    call_command("db_worker", queue_name="*", batch=True, no_startup_delay=True, verbosity=0)
    run = AnalysisRun.objects.get()
    assert run.status == RunStatus.DONE, run.error
    overview, _cohorts = dashboard_figures(user=owner, run=run)
    assert overview.active and overview.lapsed and run.figures["mean_clv"]
    page.goto(dashboard)

    # Then the dashboard shows the run's figures and draws its charts
    expect(page.locator("#analytics-kpis")).to_be_visible()
    expect(page.locator("[data-kpi=active]")).to_have_text(str(overview.active))
    expect(page.locator("[data-kpi=lapsed]")).to_have_text(str(overview.lapsed))
    for chart in ("pareto-chart", "funnel-chart", "alive-chart"):  # no flows yet: a first run
        page.wait_for_function(
            "name => document.querySelector(`canvas[data-chart='${name}']`)?.chart", arg=chart
        )
    expect(page.locator("#models")).to_contain_text("BG/NBD")

    # When she follows the customers who lapsed (by their own rhythm)
    page.locator("[data-kpi=lapsed]").click()

    # Then the score list shows just them, and says what lapsed means
    expect(page.get_by_role("heading", name="Customer scores")).to_be_visible()
    expect(page.locator("#score-count")).to_have_text(f"{overview.lapsed} customers")
    expect(page.locator("tbody tr")).to_have_count(min(overview.lapsed, 25))
    expect(page.locator("#score-churn-explanation")).to_contain_text("usual interval")

    # When she goes back and switches to Spanish
    page.get_by_role("link", name="Analytics").first.click()
    page.locator("#language-menu").click()
    page.get_by_role("button", name="Español").click()

    # Then the dashboard and its charts speak Spanish
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("button", name="Recalcular ahora")).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector(\"canvas[data-chart='pareto-chart']\")?.chart"
    )
    title = page.evaluate(
        "() => document.querySelector(\"canvas[data-chart='pareto-chart']\")"
        ".chart.options.scales.y.title.text"
    )
    assert title == "Participación en los ingresos (%)"
