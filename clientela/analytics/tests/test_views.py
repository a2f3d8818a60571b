"""The analytics pages as staff use them: the dashboard, the score lists, the recompute
button with its progress, and the scores and ladder on a customer's page."""

import csv
import html
import io
import json
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clientela.analytics.models import (
    AnalysisRun,
    CustomerScore,
    LadderOverride,
    LadderTransition,
    RunStatus,
    RunStep,
)
from clientela.analytics.selectors import CHURN, cohort_retention
from clientela.analytics.services import analysis_run
from clientela.analytics.tests.factories import customers_bulk_create, every, purchases_create
from clientela.customers.models import Customer
from clientela.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2024, 6, 30)
DASHBOARD = reverse("analytics:dashboard")
SCORES = reverse("analytics:scores")
TASK_PATH = "clientela.analytics.tasks.analysis_task"


# --- helpers ------------------------------------------------------------------------


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _listed(response) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-customer="(\d+)">', response.content.decode())]


def _field_error(response, field_id: str) -> str:
    match = re.search(
        rf'<div[^>]* id="{field_id}_error"[^>]*>(.*?)</div>', response.content.decode(), re.S
    )
    return html.unescape(match.group(1)).strip() if match else ""


def _chart(response, chart_id: str) -> dict:
    match = re.search(
        rf'<script id="{chart_id}" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, f"no chart {chart_id}"
    return json.loads(match.group(1))


def _book(count: int, *, offset: int = 0) -> list:
    """``count`` customers with varied habits: some buy monthly, some stopped long ago,
    some bought once."""
    customers = customers_bulk_create(count)
    for index, customer in enumerate(customers):
        kind = (index + offset) % 4
        if kind == 0:  # regular, still buying
            purchases_create(customer, [(d, 100 + index) for d in every(30, "2023-07-10", 12)])
        elif kind == 1:  # bought often, then stopped
            purchases_create(customer, [(d, 80) for d in every(20, "2022-06-01", 10)])
        elif kind == 2:  # one purchase, recently
            purchases_create(customer, [(AS_OF - timedelta(days=10 + index), 50)])
        else:  # a few purchases last year
            purchases_create(customer, [(d, 300) for d in every(60, "2023-09-01", 3)])
    return customers


def _run():
    run = analysis_run(actor=None, as_of=AS_OF)
    assert run.status == RunStatus.DONE, run.error
    return run


@pytest.fixture
def analysed():
    customers = _book(24)
    return {"customers": customers, "run": _run()}


# --- the dashboard ------------------------------------------------------------------


def test_the_dashboard_without_an_analysis_explains_how_to_compute_it(client, owner, readonly):
    client.force_login(owner)
    page = _page(client.get(DASHBOARD))
    assert 'id="analytics-empty"' in page
    assert "Recompute now" in page and "clientela analyze" in page

    client.force_login(readonly)
    page = _page(client.get(DASHBOARD))
    assert 'id="analytics-empty"' in page
    assert "Recompute now" not in page
    assert reverse("analytics:run") not in page


def test_the_dashboard_shows_the_latest_analysis(client, readonly, analysed):
    client.force_login(readonly)

    response = client.get(DASHBOARD)

    page = _page(response)
    assert response.status_code == 200
    scores = CustomerScore.objects.filter(as_of=AS_OF)
    for section in ("analytics-kpis", "pareto", "segments", "ladder", "rf-grid", "alive"):
        assert f'id="{section}"' in page
    assert 'id="cohorts"' in page and 'id="models"' in page
    assert "Recompute now" not in page
    # the KPIs link to their lists and count what the lists hold
    at_risk = re.search(r'data-kpi="at_risk">([\d,]+)<', page).group(1)
    assert int(at_risk.replace(",", "")) == len(_listed(client.get(SCORES + "?churn=at_risk")))
    # the charts are drawn from JSON, with translated titles
    pareto = _chart(response, "pareto-chart")
    assert len(pareto["data"]["labels"]) == 101
    assert pareto["options"]["scales"]["y"]["title"]["text"] == "Share of revenue (%)"
    funnel = _chart(response, "funnel-chart")
    assert funnel["data"]["labels"][0] == "Possible customer"
    assert sum(funnel["data"]["datasets"][0]["data"]) == scores.count()
    with_alive = scores.exclude(probability_alive__isnull=True).count()
    if with_alive:
        alive = _chart(response, "alive-chart")
        assert sum(alive["data"]["datasets"][0]["data"]) == with_alive
    else:  # too small a book for the models: said so instead of an empty chart
        assert 'id="alive-empty"' in page
    # every stage and segment with customers links to its list
    for stage in scores.values_list("ladder_stage", flat=True).distinct():
        assert f"{SCORES}?stage={stage}" in page
    for segment in scores.exclude(rfm_segment="").values_list("rfm_segment", flat=True):
        assert f"{SCORES}?segment={segment}" in page
    assert "Scores as of June 30, 2024" in page


def test_the_dashboard_charts_follow_the_language(client, readonly, analysed):
    client.force_login(readonly)
    client.cookies["django_language"] = "es"

    response = client.get(DASHBOARD, headers={"Accept-Language": "es"})

    # stage names come translated from the models (their catalogue exists already)
    funnel = _chart(response, "funnel-chart")
    assert response.status_code == 200
    assert funnel["data"]["labels"][0] != "Possible customer"


def test_the_owner_sees_the_recompute_button(client, owner, analysed):
    client.force_login(owner)

    page = _page(client.get(DASHBOARD))

    assert "Recompute now" in page
    assert reverse("analytics:run") in page


def test_the_rf_grid_counts_every_scored_customer(client, readonly, analysed):
    client.force_login(readonly)

    page = _page(client.get(DASHBOARD))

    grid = re.search(r'id="rf-grid".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    cells = [int(n.replace(",", "")) for n in re.findall(r"<td[^>]*>([\d,]+)</td>", grid)]
    assert len(cells) == 25
    assert (
        sum(cells)
        == CustomerScore.objects.filter(
            as_of=AS_OF, recency_score__isnull=False, frequency_score__isnull=False
        ).count()
    )


def test_the_ladder_flows_show_changes_of_stage(client, owner, analysed):
    from clientela.analytics.services import ladder_override

    customer = analysed["customers"][0]
    ladder_override(actor=owner, customer=customer, stage="advocate", reason="Trajo a tres")
    client.force_login(owner)

    response = client.get(DASHBOARD)

    page = _page(response)
    flows = re.search(r'id="flows".*?</section>', page, re.S).group(0)
    assert "Advocate" in flows
    chart = _chart(response, "flow-chart")
    assert sum(sum(dataset["data"]) for dataset in chart["data"]["datasets"]) >= 1


def test_the_dashboard_runs_the_same_number_of_queries_for_8_and_24_customers(client, readonly):
    _book(8)
    _run()
    client.force_login(readonly)
    client.get(DASHBOARD)
    with CaptureQueriesContext(connection) as small:
        client.get(DASHBOARD)

    _book(16, offset=1)
    _run()
    with CaptureQueriesContext(connection) as large:
        client.get(DASHBOARD)

    assert len(small) == len(large), "\n".join(q["sql"] for q in large.captured_queries)


# --- cohorts ------------------------------------------------------------------------


def test_cohort_retention_counts_who_bought_again_each_month(owner):
    # given two customers who first bought in April and one in May
    april_a, april_b, may = CustomerFactory.create_batch(3)
    purchases_create(april_a, [("2024-04-03", 10), ("2024-05-20", 10), ("2024-06-01", 10)])
    purchases_create(april_b, [("2024-04-15", 10), ("2024-04-20", 10), ("2024-06-09", 10)])
    purchases_create(may, [("2024-05-05", 10)])

    # when the retention of the last three months is asked for
    cohorts = cohort_retention(user=owner, months=3, as_of=AS_OF)

    # then April: both bought in April, one in May, both in June; May: one, none after
    assert [cohort.month for cohort in cohorts] == [date(2024, 4, 1), date(2024, 5, 1)]
    assert cohorts[0].buyers == [2, 1, 2]
    assert cohorts[0].shares == [1.0, 0.5, 1.0]
    assert cohorts[1].buyers == [1, 0]


# --- score lists --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {}),
        ("segment=champions", {"rfm_segment": "champions"}),
        ("pareto_class=A", {"pareto_class": "A"}),
        ("stage=buyer", {"ladder_stage": "buyer"}),
    ],
)
def test_the_score_list_filters(client, readonly, analysed, query, expected):
    client.force_login(readonly)

    response = client.get(f"{SCORES}?{query}")

    wanted = CustomerScore.objects.filter(as_of=AS_OF, **expected)
    assert sorted(_listed(response)) == sorted(wanted.values_list("customer_id", flat=True))


def _list_count(response) -> int:
    """The number of customers a score list says it holds (0 when it is empty)."""
    page = _page(response)
    if 'id="score-empty"' in page:
        return 0
    return int(re.search(r'id="score-count">([\d,]+) customer', page).group(1).replace(",", ""))


def test_every_count_on_the_dashboard_is_the_length_of_the_list_it_opens(
    client, readonly, analysed, settings
):
    # given a dashboard whose every card, segment, class and stage links to a list
    settings.CLIENTELA_PAGE_SIZE = 5  # counts beyond one page
    client.force_login(readonly)
    page = _page(client.get(DASHBOARD))
    links = re.findall(
        r'<a href="/analytics/customers/\?([^"]+)" data-(kpi|class|stage)="[^"]+">'
        r"(?:[^<:]*: )?([\d,]+)</a>",
        page,
    )
    links += [
        (query, "segment", count)
        for query, count in re.findall(
            r'<a href="/analytics/customers/\?(segment=[^"]+)"[^>]*>.*?</th>'
            r'<td class="text-end">([\d,]+)</td>',
            page,
        )
    ]
    kinds = {kind for _query, kind, _count in links}
    assert kinds == {"kpi", "class", "stage", "segment"}, links
    churn = {query for query, kind, _count in links if kind == "kpi"}
    assert churn == {
        f"churn={key}"
        for key in ("active", "at_risk", "overdue", "lapsed", "leaving", "likely_gone")
    }

    # then each count is the number of customers the list it opens holds
    for query, _kind, count in links:
        assert _list_count(client.get(f"{SCORES}?{query}")) == int(count.replace(",", "")), query


def test_the_two_kinds_of_churn_and_the_rfm_segment_have_their_own_names(
    client, readonly, analysed
):
    client.force_login(readonly)

    page = _page(client.get(DASHBOARD))

    # the rule's and the model's warnings each have a card of their own, explained
    for label, explanation in (
        ("Overdue", "By their rhythm: no purchase for more than 2 times their usual interval"),
        ("Lapsed", "By their rhythm: no purchase for more than 3 times their usual interval"),
        ("May be leaving", "By the model: below 50% probability that they still buy."),
        ("Likely gone", "By the model: below 20% probability that they still buy."),
    ):
        assert re.search(rf"<dt[^>]*>{label}</dt>.*?{re.escape(explanation)}", page, re.S), label
    # "Lost" is only the RFM segment's name now, and says it is a rank
    cards = re.search(r'id="analytics-kpis">(.*?)</dl>', page, re.S).group(1)
    assert "Lost" not in cards
    segments = re.search(r'id="segments"(.*?)</section>', page, re.S).group(1)
    assert "they do not say whether someone still buys" in segments


def test_the_churn_lists_are_sorted_by_value_at_stake(client, readonly, analysed):
    client.force_login(readonly)
    from django.db.models import Q

    for churn, flag in (
        ("at_risk", (Q(at_risk_by_model=True) | Q(at_risk_by_rule=True))),
        ("lost", (Q(lost_by_model=True) | Q(lost_by_rule=True))),
    ):
        response = client.get(f"{SCORES}?churn={churn}")
        scores = CustomerScore.objects.filter(flag, as_of=AS_OF)
        if churn == "at_risk":
            scores = scores.filter(lost_by_model=False, lost_by_rule=False)
        listed = _listed(response)
        assert sorted(listed) == sorted(scores.values_list("customer_id", flat=True))
        stakes = [scores.get(customer_id=pk).value_at_stake for pk in listed]
        assert stakes == sorted(stakes, reverse=True)
    assert len(_listed(client.get(f"{SCORES}?churn=lost"))) > 0


def test_each_score_list_says_how_it_is_sorted(client, readonly, analysed):
    client.force_login(readonly)

    lost = client.get(f"{SCORES}?churn=lost").content.decode()
    active = client.get(f"{SCORES}?churn=active").content.decode()

    assert "The most at stake first." in lost
    # the active customers are sorted by lifetime value, and their page says so
    assert "The highest lifetime value first." in active


def test_my_customers_only_lists_and_exports_the_salespersons_own(client, sales, analysed):
    # given a salesperson who owns every third customer and may see them all
    mine = [customer.pk for customer in analysed["customers"][::3]]
    Customer.objects.filter(pk__in=mine).update(owner=sales)
    lost = CustomerScore.objects.filter(CHURN["lost"], as_of=AS_OF)
    own = sorted(lost.filter(customer__in=mine).values_list("customer_id", flat=True))
    assert 0 < len(own) < lost.count()
    client.force_login(sales)

    # when they tick "My customers only" on the lost customers
    response = client.get(SCORES, {"churn": "lost", "mine": "on"})
    exported = client.get(
        reverse("analytics:score_export"), {"churn": "lost", "mine": "on", "format": "csv"}
    )

    # then the list, its count and its export hold only their own customers
    page = _page(response)
    assert sorted(_listed(response)) == own
    assert _list_count(response) == len(own)
    assert re.search(r'<input type="checkbox" name="mine"[^>]* checked', page)
    assert "· My customers only" in page
    exported = b"".join(exported.streaming_content).decode("utf-8-sig")
    names = {row[0] for row in csv.reader(io.StringIO(exported))}
    assert names - {"Customer"} == set(
        Customer.objects.filter(pk__in=own).values_list("name", flat=True)
    )
    # and without it, everyone's
    assert len(_listed(client.get(SCORES, {"churn": "lost"}))) == lost.count()


def test_the_score_list_shows_translated_names_and_ignores_wrong_filters(
    client, readonly, analysed
):
    client.force_login(readonly)

    page = _page(client.get(f"{SCORES}?stage=buyer"))
    assert "Buyer" in page

    response = client.get(f"{SCORES}?segment=nonsense&order=whatever")
    assert response.status_code == 200
    assert len(_listed(response)) == min(24, 25)


def test_the_score_list_before_any_analysis_says_so(client, readonly):
    client.force_login(readonly)

    page = _page(client.get(SCORES))

    assert "Nothing has been computed yet" in page


def test_the_score_list_runs_the_same_number_of_queries_for_8_and_24_customers(client, readonly):
    _book(8)
    _run()
    client.force_login(readonly)
    client.get(SCORES)
    with CaptureQueriesContext(connection) as small:
        first = client.get(SCORES)

    _book(16, offset=1)
    _run()
    with CaptureQueriesContext(connection) as large:
        second = client.get(SCORES)

    assert len(_listed(first)) == 8 and len(_listed(second)) == 24
    assert len(small) == len(large), "\n".join(q["sql"] for q in large.captured_queries)


# --- recompute and progress ---------------------------------------------------------


def test_the_owner_recomputes_and_a_second_click_says_one_is_waiting(client, owner):
    client.force_login(owner)

    response = client.post(reverse("analytics:run"), follow=True)

    assert DBTaskResult.objects.filter(task_path=TASK_PATH).count() == 1
    page = _page(response)
    assert "recomputed in the background" in page
    assert 'id="analysis-progress"' in page and 'hx-trigger="every 2s"' in page

    again = _page(client.post(reverse("analytics:run"), follow=True))

    assert DBTaskResult.objects.filter(task_path=TASK_PATH).count() == 1
    assert "already" in again


def test_a_second_click_while_a_run_is_going_says_it_is_running(client, owner):
    AnalysisRun.objects.create(as_of=AS_OF, status=RunStatus.RUNNING, progress=40)
    client.force_login(owner)

    page = _page(client.post(reverse("analytics:run"), follow=True))

    assert "already running" in page
    assert not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()


def test_readers_may_not_recompute(client, readonly, sales):
    for user in (readonly, sales):
        client.force_login(user)
        assert client.post(reverse("analytics:run")).status_code == 403
    assert not DBTaskResult.objects.exists()


def test_the_progress_shows_the_percent_and_step_and_reloads_when_done(client, readonly):
    run = AnalysisRun.objects.create(
        as_of=AS_OF, status=RunStatus.RUNNING, progress=40, step=RunStep.FITTING
    )
    client.force_login(readonly)
    url = reverse("analytics:progress")

    going = client.get(url, headers={"HX-Request": "true"})

    page = _page(going)
    assert 'data-progress="40"' in page and "40% · Fitting the models" in page
    assert 'hx-trigger="every 2s"' in page
    assert "40%" in _page(client.get(DASHBOARD))

    run.status, run.progress, run.finished_at = RunStatus.DONE, 100, timezone.now()
    run.save()
    done = client.get(url, headers={"HX-Request": "true"})

    assert done["HX-Refresh"] == "true"
    assert "every 2s" not in done.content.decode()


def test_the_button_enqueues_as_the_owner(client, owner, monkeypatch):
    from clientela.analytics import tasks

    calls = []
    monkeypatch.setattr(tasks, "analysis_enqueue", lambda **kw: calls.append(kw))
    client.force_login(owner)

    response = client.post(reverse("analytics:run"))

    assert response.status_code == 302
    assert calls == [{"actor": owner}]


# --- the customer page ----------------------------------------------------------------


def _detail(client, customer):
    return client.get(reverse("customers:detail", args=[customer.pk]))


def test_the_customer_page_shows_scores_history_and_transitions(client, readonly, analysed):
    customer = analysed["customers"][0]
    analysis_run(actor=None, as_of=AS_OF + timedelta(days=60))
    client.force_login(readonly)

    page = _page(_detail(client, customer))

    assert 'id="customer-analytics"' in page
    score = CustomerScore.objects.filter(customer=customer).order_by("-as_of").first()
    assert score.get_ladder_stage_display() in page
    assert 'id="customer-score-history"' in page
    assert "6/30/2024" in page or "06/30/2024" in page
    # readers get no forms
    assert 'id="stage-form"' not in page and 'id="wallet-form"' not in page


def test_a_salesperson_sets_the_stage_by_hand_and_clears_it(client, sales, analysed):
    customer = analysed["customers"][0]
    client.force_login(sales)
    page = _page(_detail(client, customer))
    assert 'id="stage-form"' in page and 'id="wallet-form"' in page

    response = client.post(
        reverse("analytics:stage_set", args=[customer.pk]),
        {"stage-stage": "advocate", "stage-reason": "Nos trajo tres clientes"},
        follow=True,
    )

    page = _page(response)
    assert LadderOverride.objects.get(customer=customer).stage == "advocate"
    assert "set by hand" in page and "Nos trajo tres clientes" in page
    assert LadderTransition.objects.filter(customer=customer, source="manual").exists()

    client.post(reverse("analytics:stage_clear", args=[customer.pk]), {"clear-reason": ""})

    assert not LadderOverride.objects.filter(customer=customer).exists()


def test_setting_the_stage_without_a_reason_is_refused_beside_the_field(client, sales, analysed):
    customer = analysed["customers"][0]
    client.force_login(sales)

    response = client.post(
        reverse("analytics:stage_set", args=[customer.pk]),
        {"stage-stage": "advocate", "stage-reason": "   "},
    )

    assert response.status_code == 200
    assert _field_error(response, "id_stage-reason")
    assert not LadderOverride.objects.filter(customer=customer).exists()


def test_readers_may_not_set_stages_nor_shares(client, readonly, analysed):
    customer = analysed["customers"][0]
    client.force_login(readonly)

    assert (
        client.post(
            reverse("analytics:stage_set", args=[customer.pk]),
            {"stage-stage": "advocate", "stage-reason": "x"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("analytics:wallet", args=[customer.pk]), {"wallet-share_percent": "50"}
        ).status_code
        == 403
    )


def test_recording_a_share_of_wallet(client, sales, analysed):
    customer = analysed["customers"][0]
    client.force_login(sales)

    refused = client.post(
        reverse("analytics:wallet", args=[customer.pk]), {"wallet-share_percent": "150"}
    )
    assert _field_error(refused, "id_wallet-share_percent")

    response = client.post(
        reverse("analytics:wallet", args=[customer.pk]),
        {"wallet-share_percent": "60", "wallet-note": "Compra el resto en Costco"},
        follow=True,
    )

    assert customer.wallet_shares.get().share_percent == 60
    assert "60% ·" in _page(response)


def test_the_customer_panel_runs_the_same_number_of_queries_with_more_history(
    client, sales, analysed
):
    from clientela.analytics.services import ladder_override

    customer = analysed["customers"][0]
    client.force_login(sales)
    _detail(client, customer)
    with CaptureQueriesContext(connection) as short:
        _detail(client, customer)

    for days in (30, 60, 90):
        analysis_run(actor=None, as_of=AS_OF + timedelta(days=days))
    ladder_override(actor=sales, customer=customer, stage="advocate", reason="a")
    ladder_override(actor=sales, customer=customer, stage="regular", reason="b")
    with CaptureQueriesContext(connection) as long:
        _detail(client, customer)

    assert len(short) == len(long), "\n".join(q["sql"] for q in long.captured_queries)
