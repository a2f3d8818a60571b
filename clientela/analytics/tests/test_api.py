"""The analytics REST API: who may read scores and runs, who may recompute and move
customers on the ladder, a salesperson's own customers, and refused input."""

from datetime import date

import pytest
from django_tasks_db.models import DBTaskResult

from clientela.analytics.models import AnalysisRun, LadderOverride, LadderTransition, RunStatus
from clientela.analytics.services import analysis_run
from clientela.analytics.stats.btyd import BGNBDParameters
from clientela.analytics.tests.factories import every, purchases_create, simulated_book_create
from clientela.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/analytics"
AS_OF = date(2024, 12, 31)


@pytest.fixture
def book(sales, owner):
    """Three customers, one of them the salesperson's, scored once as of AS_OF."""
    regular = CustomerFactory(name="Regular", owner=sales)
    purchases_create(regular, [(d, 500) for d in every(7, "2024-08-16", 20)])
    occasional = CustomerFactory(name="Ocasional", owner=owner)
    purchases_create(occasional, [("2024-02-01", 100), ("2024-09-15", 100)])
    lost = CustomerFactory(name="Perdida")
    purchases_create(lost, [(d, 200) for d in every(31, "2024-01-05", 4)])
    run = analysis_run(actor=None, as_of=AS_OF)
    assert run.status == RunStatus.DONE, run.error
    return {"regular": regular, "occasional": occasional, "lost": lost, "run": run}


def ladder_url(customer):
    return f"{API}/customers/{customer.pk}/ladder"


# --- who may do what ----------------------------------------------------------------------


@pytest.mark.parametrize("role", [None, "readonly", "support", "sales", "owner"])
def test_every_role_reads_scores_ladder_and_runs_and_anonymous_gets_401(call, role, book):
    expected = 401 if role is None else 200
    customer = book["regular"]

    for url in (
        f"{API}/scores",
        f"{API}/customers/{customer.pk}/scores",
        ladder_url(customer),
        f"{API}/runs",
        f"{API}/runs/latest",
        f"{API}/runs/{book['run'].pk}",
    ):
        assert call(role, "get", url).status_code == expected, url


@pytest.mark.parametrize(
    ("role", "run_status", "ladder_status"),
    [
        (None, 401, 401),
        ("readonly", 403, 403),
        ("support", 403, 403),
        ("sales", 403, 200),
        ("owner", 202, 200),
    ],
)
def test_who_may_recompute_and_move_customers_on_the_ladder(
    call, role, run_status, ladder_status, book
):
    body = {"stage": "exclusive", "reason": "Buys only from us, says the manager"}

    assert call(role, "post", f"{API}/runs").status_code == run_status
    assert call(role, "put", ladder_url(book["regular"]), body).status_code == ladder_status
    assert DBTaskResult.objects.exists() == (run_status == 202)
    assert LadderOverride.objects.exists() == (ladder_status == 200)


def test_a_salesperson_limited_to_own_customers_sees_only_theirs(call, book, settings):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    mine, theirs = book["regular"], book["occasional"]
    body = {"stage": "exclusive", "reason": "Buys only from us"}

    listed = call("sales", "get", f"{API}/scores").json()
    assert [item["customer"] for item in listed["items"]] == ["Regular"]
    assert call("sales", "get", f"{API}/customers/{mine.pk}/scores").status_code == 200
    assert call("sales", "get", f"{API}/customers/{theirs.pk}/scores").status_code == 404
    assert call("sales", "get", ladder_url(theirs)).status_code == 404
    assert call("sales", "put", ladder_url(theirs), body).status_code == 404
    assert call("sales", "delete", ladder_url(theirs)).status_code == 404
    assert call("sales", "put", ladder_url(mine), body).status_code == 200
    assert call("owner", "get", f"{API}/scores").json()["count"] == 3


def test_a_limited_salespersons_runs_give_their_customers_figures_not_the_business(
    call, book, settings
):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    run = book["run"]
    business = call("owner", "get", f"{API}/runs/{run.pk}").json()

    for url in (f"{API}/runs/{run.pk}", f"{API}/runs/latest", f"{API}/runs?page=1"):
        body = call("sales", "get", url).json()
        seen = body["items"][0] if "items" in body else body
        figures = seen["figures"]
        assert seen["customers_scored"] == figures["customers"] == 1, url
        assert figures["buyers"] == 1 and figures["own_customers_only"]
        assert figures["period_revenue"] == 10000.0  # Regular's twenty purchases of 500
        assert "total_revenue" not in figures and "previous" not in figures
        assert "class_revenue" not in figures["pareto"]
        assert figures["pareto"]["curve"] == business["figures"]["pareto"]["curve"]
        assert figures["purchase_model"] == business["figures"]["purchase_model"]
    assert business["customers_scored"] == 3
    assert business["figures"]["total_revenue"] > 10000


# --- reading ------------------------------------------------------------------------------


def test_scores_list_the_latest_snapshot_filtered_and_most_valuable_first(call, book):
    everyone = call("readonly", "get", f"{API}/scores").json()
    assert everyone["count"] == 3 and everyone["count_is_exact"]
    first = everyone["items"][0]
    assert first["as_of"] == "2024-12-31"
    assert {"rfm_segment", "pareto_class", "ladder_stage", "clv", "probability_alive"} <= set(first)

    class_a = call("readonly", "get", f"{API}/scores?pareto_class=A").json()
    assert [item["customer"] for item in class_a["items"]] == ["Regular"]
    regulars = call("readonly", "get", f"{API}/scores?stage=regular").json()
    assert [item["customer"] for item in regulars["items"]] == ["Regular"]
    flagged = call("readonly", "get", f"{API}/scores?churn=flagged").json()["items"]
    assert "Perdida" in [item["customer"] for item in flagged]
    assert all(item["at_risk"] or item["lost"] for item in flagged)
    stakes = [float(item["value_at_stake"]) for item in flagged]
    assert stakes == sorted(stakes, reverse=True)
    paged = call("readonly", "get", f"{API}/scores?page_size=1&page=2").json()
    assert paged["count"] == 3 and len(paged["items"]) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("churn=gone", "churn"),
        ("order=name", "order"),
        ("stage=king", "stage"),
        ("pareto_class=Z", "pareto_class"),
        ("segment=vip", "segment"),
        ("as_of=yesterday", "as_of"),
    ],
)
def test_bad_filters_get_422_naming_them(call, book, query, field):
    response = call("readonly", "get", f"{API}/scores?{query}")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field


def test_scores_are_empty_before_any_analysis_and_runs_latest_is_404(call, db):
    assert call("readonly", "get", f"{API}/scores").json() == {
        "items": [],
        "count": 0,
        "count_is_exact": True,
        "next": None,
    }
    assert call("readonly", "get", f"{API}/runs/latest").status_code == 404


def test_a_customers_scores_come_with_their_history(call, book):
    customer = book["regular"]
    analysis_run(actor=None, as_of=date(2025, 1, 31))

    body = call("readonly", "get", f"{API}/customers/{customer.pk}/scores").json()

    assert body["customer_id"] == customer.pk
    assert body["latest"]["as_of"] == "2025-01-31" and body["latest"]["customer"] == "Regular"
    assert [point["as_of"] for point in body["history"]] == ["2024-12-31", "2025-01-31"]
    assert body["history"][0]["ladder_stage"] == "regular"
    unknown = call("readonly", "get", f"{API}/customers/999999/scores")
    assert unknown.status_code == 404


def test_a_customer_without_scores_has_an_empty_history(call, db):
    customer = CustomerFactory(name="Nueva")

    body = call("readonly", "get", f"{API}/customers/{customer.pk}/scores").json()

    assert body == {"customer_id": customer.pk, "latest": None, "history": []}
    ladder = call("readonly", "get", ladder_url(customer)).json()
    assert ladder["stage"] == "" and ladder["override"] is None and ladder["transitions"] == []


def test_runs_show_progress_models_and_figures(call, book):
    run = book["run"]

    latest = call("readonly", "get", f"{API}/runs/latest").json()
    detail = call("readonly", "get", f"{API}/runs/{run.pk}").json()

    assert latest == detail
    assert (detail["status"], detail["progress"], detail["step"]) == ("done", 100, "finished")
    assert detail["step_label"] == "Finished" and detail["started_by"] is None
    assert detail["as_of"] == "2024-12-31" and detail["customers_scored"] == 3
    assert set(detail["fitted_models"]) == {"bgnbd", "paretonbd", "gammagamma"}
    assert all("status" in model for model in detail["fitted_models"].values())
    assert detail["figures"]["customers"] == 3 and sum(detail["figures"]["stages"].values()) == 3
    assert call("readonly", "get", f"{API}/runs/999999").status_code == 404
    assert call("readonly", "get", f"{API}/runs").json()["count"] == 1


def test_runs_latest_is_the_last_started_or_with_finished_the_one_the_lists_show(call, book):
    going = AnalysisRun.objects.create(as_of=date(2025, 1, 1), status=RunStatus.RUNNING)

    assert call("readonly", "get", f"{API}/runs/latest").json()["id"] == going.pk
    finished = call("readonly", "get", f"{API}/runs/latest?finished=true").json()
    assert finished["id"] == book["run"].pk


def test_fitted_models_carry_parameters_errors_and_likelihood(call, db):
    # enough repeat buyers for the models to be fitted
    for index in range(30):
        customer = CustomerFactory(name=f"Cliente {index}")
        purchases_create(
            customer, [(d, 100 + index) for d in every(20 + index, "2024-01-10", 3 + index % 5)]
        )
    run = analysis_run(actor=None, as_of=AS_OF)

    models = call("readonly", "get", f"{API}/runs/{run.pk}").json()["fitted_models"]

    fitted = [model for model in models.values() if model["status"] == "fitted"]
    assert fitted, models
    for model in fitted:
        assert set(model["parameters"]) == set(model["standard_errors"])
        assert isinstance(model["log_likelihood"], float)


# --- recomputing --------------------------------------------------------------------------


def test_the_owner_queues_a_run_and_a_second_request_is_refused_while_it_waits(call, book):
    queued = call("owner", "post", f"{API}/runs")

    assert queued.status_code == 202
    body = queued.json()
    assert body["latest"]["id"] == book["run"].pk and body["detail"]
    task = DBTaskResult.objects.get()
    assert str(task.id) == body["task_id"] and task.task_path.endswith("analysis_task")
    assert call("owner", "post", f"{API}/runs").status_code == 409


def test_a_recompute_is_refused_with_409_while_a_run_is_going(call, book):
    AnalysisRun.objects.create(as_of=AS_OF, status=RunStatus.RUNNING)

    refused = call("owner", "post", f"{API}/runs")

    assert refused.status_code == 409
    assert "already running" in refused.json()["detail"]
    assert not DBTaskResult.objects.exists()


# --- the ladder by hand -------------------------------------------------------------------


def test_a_stage_set_by_hand_shows_on_the_ladder_and_clearing_it_hands_back(call, book, sales):
    customer = book["occasional"]
    before = call("sales", "get", ladder_url(customer)).json()
    assert before["override"] is None and before["stage"] == before["inferred_stage"]

    set_ = call(
        "sales", "put", ladder_url(customer), {"stage": "exclusive", "reason": "Only us now"}
    )

    assert set_.status_code == 200, set_.json()
    body = set_.json()
    assert body["stage"] == "exclusive" and body["inferred_stage"] == before["stage"]
    assert body["override"]["reason"] == "Only us now" and body["override"]["set_by"] == "sales"
    (transition,) = body["transitions"]
    assert (transition["from_stage"], transition["to_stage"]) == (before["stage"], "exclusive")
    assert transition["source"] == "manual" and transition["changed_by"] == "sales"

    cleared = call("sales", "delete", f"{ladder_url(customer)}?reason=Not+true")

    assert cleared.status_code == 200
    body = cleared.json()
    assert body["override"] is None and body["stage"] == before["stage"]
    assert [t["to_stage"] for t in body["transitions"]] == ["exclusive", before["stage"]]
    assert LadderTransition.objects.filter(customer=customer).last().reason == "Not true"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stage": "king", "reason": "Why not"}, "stage"),
        ({"stage": "regular", "reason": "  "}, "reason"),
        ({"stage": "regular"}, "reason"),
        ({"reason": "Why not"}, "stage"),
        ({"stage": "regular", "reason": "Why", "colour": "red"}, "colour"),
    ],
)
def test_bad_ladder_input_gets_422_naming_the_field_and_writes_nothing(call, book, body, field):
    response = call("owner", "put", ladder_url(book["regular"]), body)

    assert response.status_code == 422
    assert ["body", field] in [entry["loc"] for entry in response.json()["detail"]]
    assert not LadderOverride.objects.exists()


def test_a_merged_customer_cannot_be_put_on_a_stage(call, book):
    survivor, merged = book["regular"], book["lost"]
    merged.merged_into = survivor
    merged.save(update_fields=["merged_into"])

    response = call("owner", "put", ladder_url(merged), {"stage": "regular", "reason": "x"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "customer"]


def test_a_run_says_in_words_when_its_scoring_model_failed(call, owner, monkeypatch):
    # given purchases enough for the models, and BG/NBD failing
    from clientela.analytics.stats import btyd

    simulated_book_create(BGNBDParameters(r=0.8, alpha=40.0, a=0.6, b=3.0))

    def broken(*args, **kwargs):
        raise FloatingPointError("overflow")

    monkeypatch.setattr(btyd.bgnbd, "fit", broken)
    analysis_run(actor=None, as_of=date(2024, 12, 31))

    # when the run is read through the API
    run = call("readonly", "get", f"{API}/runs/latest").json()

    # then its warnings say what failed and what it changes
    assert run["fitted_models"]["bgnbd"]["status"] == "failed"
    assert [warning["code"] for warning in run["figures"]["warnings"]] == [
        "model_failed",
        "model_switched",
    ]
    assert any("scored with Pareto/NBD instead of BG/NBD" in text for text in run["warnings"])
