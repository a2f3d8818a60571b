"""`clientela analyze --transactions`: the statistics engine on a CSV file, no database.

The CDNOW checks run the published data (Fader, Hardie & Lee 2005) through the command;
the other files are built in each test, one from a book in the database, scored alike by
the database run. The exit codes are checked on the console command in a subprocess,
with a data folder of its own.
"""

import csv
import json
import os
import re
import subprocess
import sys
from datetime import date
from io import StringIO
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from clientela.analytics import offline
from clientela.analytics.models import CustomerScore, RunStatus
from clientela.analytics.offline import CUSTOMER_COLUMNS, _model_report
from clientela.analytics.services import analysis_run
from clientela.analytics.stats.btyd import BGNBDParameters, FitResult
from clientela.analytics.stats.btyd._fitting import Boundary
from clientela.analytics.stats.scoring import fit_outcome
from clientela.analytics.tests.factories import (
    customers_bulk_create,
    purchases_create,
    simulated_book_create,
)
from clientela.orders.models import Order

CDNOW_SAMPLE = Path(__file__).resolve().parents[1] / "stats" / "tests" / "data" / "CDNOW_sample.txt"
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_PARETONBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
PUBLISHED_GAMMAGAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def analyze(*args) -> str:
    """Run `clientela analyze` in-process; what it printed."""
    printed = StringIO()
    call_command("analyze", *map(str, args), stdout=printed, stderr=StringIO())
    return printed.getvalue()


def file_arguments(
    path: Path, folder: Path, *options, customer_col="customer", date_col="date", amount_col=None
) -> list:
    """The arguments of `clientela analyze` for a file: columns, options, --out."""
    columns = ["--customer-col", customer_col, "--date-col", date_col]
    if amount_col is not None:
        columns += ["--amount-col", amount_col]
    return ["--transactions", path, *columns, *options, "--out", folder]


def read_customers(folder: Path) -> list[dict[str, str]]:
    with (folder / "customers.csv").open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def read_model(folder: Path) -> dict:
    return json.loads((folder / "model.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory) -> Path:
    """CDNOW's 6,919 transactions as a CSV export: customer, ISO date, CDs, dollars."""
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    with CDNOW_SAMPLE.open() as source, path.open("w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["customer", "date", "cds", "amount"])
        for line in source:
            _master_id, customer, day, cds, amount = line.split()
            writer.writerow([customer, f"{day[:4]}-{day[4:6]}-{day[6:]}", cds, amount])
    return path


@pytest.fixture(scope="module")
def cdnow_analysis(cdnow_csv, tmp_path_factory) -> tuple[str, Path]:
    """CDNOW analysed in weeks with the published 39-week calibration period."""
    folder = tmp_path_factory.mktemp("cdnow-analysis") / "results"
    printed = analyze(
        *file_arguments(
            cdnow_csv,
            folder,
            "--time-unit",
            "week",
            "--calibration-end",
            "1997-09-30",
            amount_col="amount",
        )
    )
    return printed, folder


def _rounded(parameters: dict[str, float], published: dict[str, float]) -> dict[str, float]:
    decimals = 3 if len(published) == 4 else 2
    return {name: round(parameters[name], decimals) for name in published}


def test_cdnow_calibration_models_reproduce_the_published_parameters(cdnow_analysis):
    # given CDNOW through `clientela analyze` in weeks, calibrated to 1997-09-30
    printed, folder = cdnow_analysis

    # when model.json is read
    model = read_model(folder)

    # then the calibration fits are Fader, Hardie & Lee's
    calibration = model["holdout"]["models"]
    assert calibration["bgnbd"]["status"] == "fitted"
    assert calibration["bgnbd"]["n_customers"] == 2357
    assert _rounded(calibration["bgnbd"]["parameters"], PUBLISHED_BGNBD) == PUBLISHED_BGNBD
    assert round(calibration["bgnbd"]["log_likelihood"], 1) == -9582.4
    assert all(error > 0 for error in calibration["bgnbd"]["standard_errors"].values())
    assert _rounded(calibration["paretonbd"]["parameters"], PUBLISHED_PARETONBD) == (
        PUBLISHED_PARETONBD
    )
    assert calibration["gammagamma"]["n_customers"] == 946
    assert _rounded(calibration["gammagamma"]["parameters"], PUBLISHED_GAMMAGAMMA) == (
        PUBLISHED_GAMMAGAMMA
    )
    # and the holdout comparison is lifetimes' (calibration_and_holdout_data and
    # conditional_expected_number_of_purchases_up_to_time give 1882 and 1653.4)
    assert model["holdout"]["holdout_length"] == 39.0
    comparison = calibration["bgnbd"]["holdout"]
    assert comparison["actual_total"] == 1882
    assert comparison["predicted_total"] == pytest.approx(1653.41, abs=0.01)
    assert 0 < comparison["mean_absolute_error"] < 1
    assert 0.5 < comparison["correlation"] < 1
    assert sum(group["customers"] for group in comparison["by_calibration_frequency"]) == 2357
    # and the whole-period fits score the customers, with the options recorded
    assert model["customers"] == 2357
    assert {entry["status"] for entry in model["models"].values()} == {"fitted"}
    assert model["scores"]["purchase_model"] == "bgnbd"
    assert model["scores"]["spend_model"] == "gammagamma"
    assert model["options"]["time_unit"] == "week"
    assert model["options"]["observation_end"] == "1998-06-30"
    assert model["input"]["rows"] == 6919
    assert model["input"]["columns"] == {"customer": "customer", "date": "date", "amount": "amount"}
    # and the summary printed says so
    assert "2357 customers, 6919 transactions from 1997-01-01 to 1998-06-30" in printed
    assert "BG/NBD: r=0.2426, alpha=4.414, a=0.7929, b=2.426" in printed
    assert "1653.4 predicted, 1882 made" in printed


def test_cdnow_customers_csv_has_one_scored_row_per_customer(cdnow_analysis):
    _, folder = cdnow_analysis

    with (folder / "customers.csv").open(encoding="utf-8", newline="") as file:
        header = next(csv.reader(file))
    customers = read_customers(folder)

    assert header == list(CUSTOMER_COLUMNS)
    assert len(customers) == 2357
    # customer 0001 bought on 1997-01-01, 01-18, 08-02 and 12-12 (29.33, 29.73, 14.96, 26.48)
    first = customers[0]
    assert first["customer_id"] == "0001"
    assert (first["first_purchase"], first["last_purchase"]) == ("1997-01-01", "1997-12-12")
    assert first["frequency"] == "3"
    assert float(first["recency"]) == pytest.approx(345 / 7, abs=1e-6)
    assert float(first["T"]) == pytest.approx(545 / 7, abs=1e-6)
    assert float(first["monetary_value"]) == pytest.approx((29.73 + 14.96 + 26.48) / 3, abs=1e-6)
    assert float(first["revenue"]) == pytest.approx(100.5)
    # every customer has every score
    for row in customers:
        assert all(row[column] != "" for column in CUSTOMER_COLUMNS), row
        assert 0 <= float(row["probability_alive"]) <= 1
        assert float(row["clv"]) >= 0
        assert {row["recency_score"], row["frequency_score"], row["monetary_score"]} <= set("12345")
        assert row["pareto_class"] in {"A", "B", "C"}


def test_without_amounts_there_is_no_spend_model_value_or_pareto_class(cdnow_csv, tmp_path):
    # given CDNOW without its amount column, in days
    folder = tmp_path / "results"

    analyze(*file_arguments(cdnow_csv, folder))

    # then the purchase models score the customers and the spend model is skipped
    model = read_model(folder)
    assert model["options"]["time_unit"] == "day"
    assert model["holdout"] is None
    assert model["models"]["bgnbd"]["status"] == "fitted"
    assert model["models"]["gammagamma"] == {
        "status": "skipped",
        "reason": "No amount column was given.",
    }
    customers = read_customers(folder)
    assert len(customers) == 2357
    assert all(row["probability_alive"] and row["expected_purchases"] for row in customers)
    assert all(row["rfm_segment"] for row in customers)
    for column in ("monetary_value", "expected_average_spend", "clv", "monetary_score"):
        assert {row[column] for row in customers} == {""}, column
    assert {row["pareto_class"] for row in customers} == {""}


def test_semicolons_decimal_commas_day_first_dates_and_a_bom(tmp_path):
    # given a Spanish spreadsheet export: BOM, semicolons, CRLF, day-first dates,
    # decimal commas with thousands points, a refund, a blank row and an id with spaces
    path = tmp_path / "ventas.csv"
    path.write_bytes(
        "\ufeffCliente;Fecha;Importe\r\n"
        "Ana;03/01/2024;1.234,50\r\n"
        "Ana;10/01/2024;100,25\r\n"
        " Ana ;10/01/2024;-0,25\r\n"
        " ; ;\r\n"
        "Beto;05.01.2024 10:30;99\r\n".encode()
    )
    folder = tmp_path / "results"

    # when analysed (column names in another case)
    printed = analyze(
        *file_arguments(
            path, folder, customer_col="cliente", date_col="FECHA", amount_col="importe"
        )
    )

    # then the values are read and the refund nets against its day, the spaced id
    # being the same customer
    customers = {row["customer_id"]: row for row in read_customers(folder)}
    assert sorted(customers) == ["Ana", "Beto"]
    ana, beto = customers["Ana"], customers["Beto"]
    assert (ana["first_purchase"], ana["last_purchase"]) == ("2024-01-03", "2024-01-10")
    assert (ana["frequency"], float(ana["recency"]), float(ana["T"])) == ("1", 7.0, 7.0)
    assert float(ana["monetary_value"]) == pytest.approx(100.0)
    assert float(ana["revenue"]) == pytest.approx(1334.5)
    assert (beto["frequency"], float(beto["T"]), float(beto["revenue"])) == ("0", 5.0, 99.0)
    # and two customers are too few for the models, which say why
    model = read_model(folder)
    assert model["input"]["delimiter"] == "semicolon"
    assert model["input"]["columns"] == {
        "customer": "Cliente",
        "date": "Fecha",
        "amount": "Importe",
    }
    assert model["input"]["negative_amount_rows"] == 1
    for entry in model["models"].values():
        assert entry["status"] == "skipped"
    assert model["models"]["bgnbd"]["reason"] == "Needs at least 10 customers; there are 2."
    assert ana["probability_alive"] == ana["clv"] == ""
    assert "BG/NBD: not fitted. Needs at least 10 customers; there are 2." in printed
    assert "1 row has a negative amount (a refund)" in printed


def test_duplicate_rows_and_rows_after_the_observation_end_are_reported(tmp_path):
    # given an export with one row twice and one dated after the chosen end
    path = tmp_path / "sales.csv"
    path.write_text(
        "customer,date,amount\n"
        "ana,2024-01-03,10\n"
        "ana,2024-01-03,10\n"
        "ana,2024-02-01,20\n"
        "beto,2024-01-05,5\n"
        "beto,2024-03-15,7\n"
    )
    folder = tmp_path / "results"

    printed = analyze(
        *file_arguments(path, folder, "--observation-end", "2024-02-29", amount_col="amount")
    )

    # then both are counted and said; the duplicate adds to its day, the late row is out
    model = read_model(folder)
    assert model["input"]["duplicate_rows"] == 1
    assert model["input"]["rows_after_observation_end"] == 1
    assert "1 row repeats an earlier one exactly" in printed
    assert "1 row after the observation end 2024-02-29 is left out." in printed
    customers = {row["customer_id"]: row for row in read_customers(folder)}
    assert float(customers["ana"]["revenue"]) == pytest.approx(40.0)
    assert customers["beto"]["frequency"] == "0"
    assert float(customers["beto"]["revenue"]) == 5.0


def test_models_the_data_cannot_support_are_skipped_with_the_reason(tmp_path):
    # given twelve customers who each bought once
    path = tmp_path / "once.csv"
    path.write_text(
        "customer,date,amount\n"
        + "".join(f"c{n},2024-01-{n + 1:02d},{10 + n}\n" for n in range(12))
    )
    folder = tmp_path / "results"

    printed = analyze(*file_arguments(path, folder, amount_col="amount"))

    # then no model is fitted, each says why, and the other scores are still there
    model = read_model(folder)
    assert model["models"]["bgnbd"] == {
        "status": "skipped",
        "reason": "No customer bought more than once, so repeat buying cannot be modelled.",
    }
    assert model["models"]["gammagamma"]["status"] == "skipped"
    assert model["scores"]["purchase_model"] is None
    assert "Pareto/NBD: not fitted. No customer bought more than once" in printed
    customers = read_customers(folder)
    assert len(customers) == 12
    assert {row["probability_alive"] for row in customers} == {""}
    assert all(row["rfm_segment"] and row["pareto_class"] for row in customers)


def test_a_parameter_run_off_to_a_limit_is_reported():
    # given a converged fit whose r and alpha ran off (customers all alike)
    def fitter():
        return FitResult(
            parameters=BGNBDParameters(r=3e6, alpha=2e8, a=0.5, b=2.0),
            standard_errors=BGNBDParameters(1.0, 1.0, 0.1, 0.1),
            log_likelihood=-100.0,
            n_customers=50,
            converged=True,
            iterations=20,
            covariance=np.eye(4),
        )

    # when its outcome is judged, then it is used but carries a warning
    outcome = fit_outcome("bgnbd", fitter(), None, 0.0)
    assert outcome.status == "fitted"
    assert _model_report(outcome)["warning"].startswith("r, alpha went to an extreme")


def test_a_fit_at_the_edge_of_the_model_reports_the_limit_as_a_database_run_does():
    # given a converged BG/NBD fit at a, b → ∞: everyone leaves with the same 5 % chance
    def fitter():
        return FitResult(
            parameters=BGNBDParameters(r=0.8, alpha=40.0, a=0.05e12, b=0.95e12),
            standard_errors=BGNBDParameters(0.1, 2.0, float("nan"), float("nan")),
            log_likelihood=-100.0,
            n_customers=50,
            converged=True,
            iterations=20,
            covariance=np.eye(3),
            boundary=Boundary(
                kind="same_dropout",
                parameters={"r": 0.8, "alpha": 40.0, "p": 0.05},
                standard_errors={"r": 0.1, "alpha": 2.0, "p": 0.01},
            ),
        )

    # when its outcome is judged and written to model.json
    outcome = fit_outcome("bgnbd", fitter(), None, 0.0)
    entry = _model_report(outcome)

    # then it scores, labelled as the database run labels it, with the limit's r, α, p
    # (not the stand-ins a, b) and no warning about parameters gone to an extreme
    assert outcome.usable
    assert entry["status"] == "boundary" and entry["boundary"] == "same_dropout"
    assert entry["parameters"] == {"r": 0.8, "alpha": 40.0, "p": 0.05}
    assert entry["standard_errors"] == {"r": 0.1, "alpha": 2.0, "p": 0.01}
    assert "warning" not in entry


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        pytest.param(
            "cliente,fecha\n1,2024-01-01\n",
            [],
            r"There is no column “customer” in .*data\.csv; its columns are: “cliente”, “fecha”\.",
            id="missing column",
        ),
        pytest.param(
            "customer,date,amount\n1,2024-01-01,10\n1,2024-02-30,10\n",
            [],
            r"Row 3 of .*data\.csv: the date “2024-02-30” in column “date” could not be read; "
            r"write dates as YYYY-MM-DD or DD/MM/YYYY\.",
            id="unparsable date",
        ),
        pytest.param(
            "customer,date,amount\n1,2024-01-01,10\n1,2024-13-01,10\n1,2024-1-5,10\n",
            [],
            r"Row 3 of .*data\.csv: the date “2024-13-01” in column “date” could not be read",
            id="month out of range",
        ),
        pytest.param(
            "customer,date,amount\n1,2024-01-01,10\n\n2,2024-01-02,10 pesos\n",
            [],
            r"Row 4 of .*data\.csv: the amount “10 pesos” in column “amount” could not be read",
            id="unparsable amount",
        ),
        pytest.param(
            "customer,date,amount\n1,2024-01-01,10\n,2024-01-02,10\n",
            [],
            r"Row 3 of .*data\.csv: column “customer” is empty\.",
            id="empty customer",
        ),
        pytest.param(
            "customer,date,amount\n1,2024-01-01,10\n,,\n2,2024-01-02,\n",
            [],
            r"Row 4 of .*data\.csv: column “amount” is empty\.",
            id="empty amount below a row of empty cells",
        ),
        pytest.param(
            "customer,date,amount\n1,2024-01-01,10\n2,,5\n",
            [],
            r"Row 3 of .*data\.csv: column “date” is empty\.",
            id="empty date",
        ),
        pytest.param("", [], r".*data\.csv is empty\.", id="empty file"),
        pytest.param("\n \n", [], r".*data\.csv is empty\.", id="blank file"),
        pytest.param(
            "customer,date,amount\n\n",
            [],
            r".*data\.csv has a header but no transactions below it\.",
            id="header only",
        ),
        pytest.param(
            "customer,date,amount\n1,2024-01-05,10\n",
            ["--observation-end", "2024-01-04"],
            r"The observation end 2024-01-04 is before the first transaction, on 2024-01-05\.",
            id="observation end first",
        ),
        pytest.param(
            "customer,date,amount\n1,2024-01-05,10\n1,2024-02-05,10\n",
            ["--calibration-end", "2024-02-05"],
            r"The calibration end 2024-02-05 must be before the observation end 2024-02-05",
            id="calibration end last",
        ),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(tmp_path, content, options, message):
    # given a bad file and a results folder that holds earlier results
    path = tmp_path / "data.csv"
    path.write_text(content, encoding="utf-8")
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "model.json").write_text("earlier")

    # when it is analysed, then the error names what is wrong
    with pytest.raises(CommandError, match=message):
        analyze(*file_arguments(path, folder, *options, amount_col="amount"))

    # and the folder is as it was
    assert [entry.name for entry in folder.iterdir()] == ["model.json"]
    assert (folder / "model.json").read_text() == "earlier"


def test_files_as_the_spreadsheet_import_reads_them(tmp_path):
    # given a Russian export in Windows-1251 with a title above the header, semicolons,
    # decimal commas, a row short of its last cell and one with a cell too many
    path = tmp_path / "продажи.csv"
    path.write_bytes(
        "Продажи за январь\r\n"
        "\r\n"
        "Клиент;Дата;Сумма;Примечание\r\n"
        "ООО Ромашка;03.01.2024;1 234,50;первая\r\n"
        "ООО Ромашка;10.01.2024;100,25\r\n"
        "Иванов И.;05.01.2024;99;;лишняя\r\n".encode("cp1251")
    )
    folder = tmp_path / "results"

    analyze(
        *file_arguments(path, folder, customer_col="клиент", date_col="Дата", amount_col="Сумма")
    )

    # then the rows are read with their letters, amounts and dates
    model = read_model(folder)
    assert model["input"]["encoding"] == "cp1251"
    assert model["input"]["delimiter"] == "semicolon"
    assert model["input"]["rows"] == 3
    customers = {row["customer_id"]: row for row in read_customers(folder)}
    assert list(customers) == ["ООО Ромашка", "Иванов И."]
    assert float(customers["ООО Ромашка"]["revenue"]) == pytest.approx(1334.75)
    assert customers["ООО Ромашка"]["last_purchase"] == "2024-01-10"
    assert float(customers["Иванов И."]["revenue"]) == 99.0
    assert customers["Иванов И."]["first_purchase"] == "2024-01-05"

    # and so is a Windows-1252 export (what Excel writes in Spain or Mexico)
    path = tmp_path / "ventas.csv"
    path.write_bytes("cliente,fecha\nJosé,2024-01-01\nMaría,2024-01-02\n".encode("cp1252"))
    analyze(*file_arguments(path, folder, customer_col="cliente", date_col="fecha"))
    assert [row["customer_id"] for row in read_customers(folder)] == ["José", "María"]


def test_rows_of_empty_cells_are_skipped_and_late_odd_values_still_read(tmp_path):
    # given an export whose dates and amounts start plainly written, with rows of empty
    # cells (some only spaces) among them, and end with a day-first date and an amount
    # with a decimal comma far below
    plain = "".join(f"c{row % 7},2024-01-{row % 28 + 1:02d},{row}.5\n" for row in range(3000))
    path = tmp_path / "sales.csv"
    path.write_text("customer,date,amount\n" + plain + ",,\n , , \n" + 'c1,31/01/2024,"7,25"\n')
    folder = tmp_path / "results"

    analyze(*file_arguments(path, folder, amount_col="amount"))

    # then every row with values is read, the empty ones skipped
    model = read_model(folder)
    assert model["input"]["rows"] == 3001
    assert model["input"]["last_date"] == "2024-01-31"
    revenue = sum(float(row["revenue"]) for row in read_customers(folder))
    assert revenue == pytest.approx(sum(row + 0.5 for row in range(3000)) + 7.25)


@pytest.mark.parametrize(
    "note", ["plain", '"with, a comma"', '"over\ntwo lines"'], ids=["plain", "comma", "lines"]
)
def test_rows_below_a_quoted_header_are_read_whether_or_not_cells_are_quoted(tmp_path, note):
    # given an export whose header is quoted, and whose last row's note is plain, quoted
    # with a comma, or quoted over two lines
    path = tmp_path / "sales.csv"
    path.write_text(
        '"customer","date","amount","note"\n'
        "ana,2024-01-03,10,x\nbeto,2024-01-05,5,y\n"
        f"ana,2024-02-01,20,{note}\n"
    )
    folder = tmp_path / "results"

    analyze(*file_arguments(path, folder, amount_col="amount"))

    # then the three rows are read, each with its own values
    customers = {row["customer_id"]: row for row in read_customers(folder)}
    assert read_model(folder)["input"]["rows"] == 3
    assert float(customers["ana"]["revenue"]) == 30.0
    assert customers["ana"]["last_purchase"] == "2024-02-01"


def test_a_bad_value_is_named_by_its_row_in_the_file(tmp_path):
    # given a title, blank rows and a quoted note over two lines above the bad date
    path = tmp_path / "sales.csv"
    path.write_text(
        "Sales 2024\n\ncustomer,date,amount,note\n"
        'a,2024-01-01,10,"two\nlines"\n\n'
        "b,2024-01-02,5\n"
        "c,2024-13-01,7\n"
    )

    # when it is analysed, then the row is numbered as a spreadsheet shows it (the
    # cell over two lines is one row)
    with pytest.raises(CommandError, match=r"Row 7 of .*sales\.csv: the date “2024-13-01”"):
        analyze(*file_arguments(path, tmp_path / "results", amount_col="amount"))


@pytest.fixture(scope="module")
def cdnow_fits(cdnow_csv, tmp_path_factory) -> dict:
    """CDNOW analysed once per models setting: model.json's models and scores."""
    results = {}

    def analysed(*options) -> tuple[dict, str]:
        if options not in results:
            folder = tmp_path_factory.mktemp("models") / "results"
            progress = StringIO()
            call_command(
                "analyze",
                *map(str, file_arguments(cdnow_csv, folder, *options, amount_col="amount")),
                stdout=StringIO(),
                stderr=progress,
            )
            results[options] = read_model(folder), progress.getvalue()
        return results[options]

    return analysed


def test_only_the_models_asked_for_are_fitted(cdnow_fits, settings):
    # given the models setting without Pareto/NBD
    settings.CLIENTELA_ANALYTICS_MODELS = ["bgnbd", "gammagamma"]

    model, progress = cdnow_fits("--time-unit", "week")

    # then Pareto/NBD is not fitted, and the progress says what is done
    assert model["models"]["paretonbd"] == {
        "status": "skipped",
        "reason": "Not among the models to fit.",
    }
    assert model["models"]["bgnbd"]["status"] == "fitted"
    assert model["options"]["models"] == ["bgnbd", "gammagamma"]
    stages = [line.split("s  ", 1)[1] for line in progress.splitlines()]
    assert stages[0].startswith("reading ")
    assert stages[1:] == [
        "summarising 6919 transactions of 2357 customers",
        "fitting BG/NBD",
        "fitting Gamma-Gamma",
        "scoring 2357 customers",
        f"writing {stages[-1].removeprefix('writing ')}",
    ]


def test_the_models_flag_overrides_the_setting(cdnow_fits, settings):
    settings.CLIENTELA_ANALYTICS_MODELS = ["bgnbd", "gammagamma"]
    settings.CLIENTELA_ANALYTICS_PURCHASE_MODEL = "paretonbd"

    model, _ = cdnow_fits("--time-unit", "week", "--models", "paretonbd , bgnbd")

    # then both purchase models are fitted, Pareto/NBD scores as the setting asks, and
    # Gamma-Gamma is left out (no lifetime value)
    assert [name for name, entry in model["models"].items() if entry["status"] == "fitted"] == [
        "bgnbd",
        "paretonbd",
    ]
    assert model["models"]["gammagamma"]["reason"] == "Not among the models to fit."
    assert model["scores"]["purchase_model"] == "paretonbd"
    assert model["scores"]["spend_model"] is None


def test_verbosity_zero_prints_no_progress(cdnow_csv, tmp_path):
    progress = StringIO()
    call_command(
        "analyze",
        *map(str, file_arguments(cdnow_csv, tmp_path / "out", "--models", "bgnbd", "-v", "0")),
        stdout=StringIO(),
        stderr=progress,
    )
    assert progress.getvalue() == ""


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--customer-col", "c", "--out", "x"],
            "--customer-col, --out apply only to a file given with --transactions.",
        ),
        (["--transactions", "t.csv", "--customer-col", "c"], "also needs --date-col, --out."),
        (
            [
                "--transactions",
                "t.csv",
                "--customer-col",
                "c",
                "--date-col",
                "d",
                "--out",
                "x",
                "--as-of",
                "2024-01-01",
            ],
            "--as-of applies to the database",
        ),
        (["--observation-end", "30/02/2024"], "“30/02/2024” is not a date"),
        (["--time-unit", "month"], "invalid choice: 'month'"),
        (
            ["--models", "bgnbd,pareto"],
            "“bgnbd,pareto” names no model or an unknown one; the models are bgnbd, "
            "paretonbd, gammagamma.",
        ),
        (["--models", "bgnbd"], "--models applies only to a file given with --transactions."),
    ],
)
def test_options_of_one_mode_are_refused_in_the_other(arguments, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        analyze(*arguments)


def _console(tmp_path: Path, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLIENTELA_", "DATABASE_"))}
    env.update(
        CLIENTELA_DATA_DIR=str(tmp_path / "data"),
        CLIENTELA_LANGUAGE="en",
        DJANGO_SETTINGS_MODULE="clientela.settings",
    )
    return subprocess.run(
        [sys.executable, "-m", "clientela", "analyze", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_console_command_exits_zero_on_success_and_one_on_bad_input(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text("customer,date\na,2024-01-01\na,2024-01-09\nb,2024-01-03\n")
    folder = tmp_path / "results"

    success = _console(tmp_path, *file_arguments(path, folder))
    failure = _console(tmp_path, *file_arguments(path, tmp_path / "other", customer_col="client"))

    assert success.returncode == 0, success.stderr
    assert "2 customers, 3 transactions from 2024-01-01 to 2024-01-09" in success.stdout
    assert len(read_customers(folder)) == 2
    assert failure.returncode == 1
    assert "There is no column “client”" in failure.stderr
    assert "its columns are: “customer”, “date”." in failure.stderr
    assert not (tmp_path / "other").exists()


@pytest.mark.parametrize(
    "longest",
    ["C1000000", "ñandúes", "C10000000", "a\x00"],
    ids=["8 bytes", "8 bytes of letters", "9 bytes", "a zero byte"],
)
def test_ids_encoded_as_numbers_or_in_two_halves_keep_their_order_of_first_appearance(
    monkeypatch, longest
):
    # given a column long enough to be encoded in two halves, with ids of every length up
    # to 8 bytes (looked up as numbers) or beyond, or with a zero byte (in two halves),
    # empty ones included, a slice of a longer array and values repeated far apart
    monkeypatch.setattr(offline, "_SPLIT_ENCODING_ROWS", 4)
    ids = ["", "b", "ab", "C100", "", "ba", "C101", "b", longest, "C100", "ñandú", "C101", "a"]
    ids += ["zz", longest, "C1000000"]
    texts = pa.chunked_array(
        [pa.array(["skipped", *ids]).slice(1), pa.array(["", ""]), pa.array(ids[::-1])]
    )

    # when encoded
    encoded = offline._dictionary_encoded(texts)

    # then it is the plain encoding: the same values, numbered in order of first appearance
    plain = pc.dictionary_encode(texts).combine_chunks()
    assert encoded.dictionary.to_pylist() == plain.dictionary.to_pylist()
    assert encoded.indices.to_pylist() == plain.indices.to_pylist()


def test_a_latin_1_export_with_semicolons_and_a_title_reads_as_its_utf_8_twin(tmp_path):
    # given the same sales written in Latin-1 with semicolons under a title, and in UTF-8
    # with commas
    rows = [("José Peña", "2024-01-03", "10,50"), ("Ñandú SA", "2024-01-05", "7")]
    rows += [("José Peña", "2024-02-01", "20"), ("Ñandú SA", "2024-03-15", "3,25")]
    latin = tmp_path / "ventas-latin.csv"
    latin.write_bytes(
        (
            "Ventas del trimestre\n\ncliente;fecha;importe\n"
            + "".join(";".join(r) + "\n" for r in rows)
        ).encode("latin-1")
    )
    utf8 = tmp_path / "ventas-utf8.csv"
    utf8.write_text(
        "cliente,fecha,importe\n" + "".join(f'{c},{d},"{a}"\n' for c, d, a in rows),
        encoding="utf-8",
    )

    # when both are analysed
    for path in (latin, utf8):
        analyze(
            *file_arguments(
                path,
                tmp_path / path.stem,
                customer_col="cliente",
                date_col="fecha",
                amount_col="importe",
            )
        )

    # then the Latin-1 file is found out as the import finds it, and read alike
    model = read_model(tmp_path / "ventas-latin")
    assert (model["input"]["encoding"], model["input"]["delimiter"]) == ("cp1252", "semicolon")
    assert model["input"]["rows"] == 4
    assert read_customers(tmp_path / "ventas-latin") == read_customers(tmp_path / "ventas-utf8")
    assert [row["customer_id"] for row in read_customers(tmp_path / "ventas-latin")] == [
        "José Peña",
        "Ñandú SA",
    ]


@pytest.mark.django_db
def test_the_database_run_and_the_file_score_the_same_purchases_alike(tmp_path, owner, settings):
    # given a book in the database (customers drawn from BG/NBD and Gamma-Gamma, one of
    # them with repeat orders that cost nothing) and the same orders exported as a file
    settings.CLIENTELA_ANALYTICS_HORIZON_DAYS = 360  # the file looks 12 months ahead
    settings.CLIENTELA_ANALYTICS_PARETO_MONTHS = 120  # and makes its classes on all revenue
    as_of = date(2024, 12, 31)
    simulated_book_create(BGNBDParameters(r=0.8, alpha=40.0, a=0.6, b=3.0), as_of=as_of)
    free = customers_bulk_create(1)[0]
    purchases_create(free, [("2024-03-01", 250), ("2024-06-01", 0), ("2024-09-01", 0)])
    orders = Order.objects.order_by("customer_id", "order_date", "id")
    path = tmp_path / "orders.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["customer", "date", "amount"])
        writer.writerows(orders.values_list("customer_id", "order_date", "total"))

    # when the database is analysed and the file too
    run = analysis_run(actor=owner, as_of=as_of)
    analysis = offline.analyze_file(
        path,
        tmp_path / "results",
        customer_column="customer",
        date_column="date",
        amount_column="amount",
        observation_end=as_of,
    )

    # then the models are the same
    assert run.status == RunStatus.DONE, run.error
    report = analysis.report
    assert report["scores"]["purchase_model"] == run.figures["purchase_model"] == "bgnbd"
    for name in ("bgnbd", "paretonbd", "gammagamma"):
        assert run.fitted_models[name]["status"] == report["models"][name]["status"] == "fitted"
        assert report["models"][name]["parameters"] == pytest.approx(
            run.fitted_models[name]["parameters"], rel=1e-6
        )
    # and so is every customer's score (the database keeps money to the cent)
    stored = list(CustomerScore.objects.filter(as_of=as_of).order_by("customer_id"))
    columns = analysis.customers
    assert columns["customer_id"].to_pylist() == [str(score.customer_id) for score in stored]

    def stored_column(field):
        return np.array([float(getattr(score, field)) for score in stored])

    for field, column, tolerance in [
        ("frequency", "frequency", 0),
        ("recency_days", "recency", 0),
        ("age_days", "T", 0),
        ("total_revenue", "revenue", 0.006),
        ("monetary_value", "monetary_value", 0.006),
        ("probability_alive", "probability_alive", 1e-6),
        ("expected_purchases", "expected_purchases", 1e-6),
        ("expected_spend", "expected_average_spend", 0.006),
        ("clv", "clv", 0.006),
        ("recency_score", "recency_score", 0),
        ("frequency_score", "frequency_score", 0),
        ("monetary_score", "monetary_score", 0),
    ]:
        np.testing.assert_allclose(stored_column(field), columns[column], atol=tolerance)
    assert [score.rfm_segment for score in stored] == columns["rfm_segment"].to_pylist()
    assert [score.pareto_class for score in stored] == columns["pareto_class"].to_pylist()
    # the customer whose repeat orders were free is expected to spend Gamma-Gamma's
    # p·γ/(2p + q - 1), and has a lifetime value, in both
    spend = report["models"]["gammagamma"]["parameters"]
    p, q, gamma = spend["p"], spend["q"], spend["gamma"]
    assert float(stored[-1].expected_spend) == pytest.approx(p * gamma / (2 * p + q - 1), abs=0.006)
    assert stored[-1].clv is not None and float(stored[-1].clv) > 0
