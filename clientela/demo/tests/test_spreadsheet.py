"""The sample spreadsheet the demo writes: messy as real ones are, and it imports."""

from io import StringIO

import pytest
from django.core.management import call_command

from clientela.customers.models import Customer
from clientela.customers.sheet import CUSTOMER_FIELDS, CUSTOMERS
from clientela.customers.tests.sheet_files import customers_file_import
from clientela.demo.generator import build_demo
from clientela.demo.spreadsheet import sample_spreadsheet_write
from clientela.sheets.importing import sheet_plan
from clientela.sheets.mapping import match_columns
from clientela.sheets.reading import open_sheet

pytestmark = pytest.mark.django_db


def test_the_sample_spreadsheet_plans_every_kind_of_row_and_imports(data_folder, owner):
    # given the demo bakery and the spreadsheet it leaves in the data folder
    build_demo(customers=60, seed=2024, history_days=0)
    path = sample_spreadsheet_write(seed=2024)
    assert path.parent == data_folder

    # when the owner looks at it: a title above the header, columns found by their names
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, CUSTOMER_FIELDS)
    assert sheet.header_row == 3
    assert set(columns.values()) >= {"name", "legal_name", "tax_id", "phone", "email"}
    plan = sheet_plan(CUSTOMERS, sheet, columns, user=None)

    # then new customers, known ones to update or leave, a look-alike and three mistakes
    assert plan.counts["create"] >= 10
    assert plan.counts["update"] == 2
    assert plan.counts["unchanged"] == 3
    assert plan.refused == 3
    messages = " ".join(problem.message for problem in plan.problems)
    assert "check digit is wrong" in messages
    assert "already has this e-mail" in messages
    assert len(plan.similar) == 1

    # and with the valid rows only, it imports; the second time nothing changes
    customers_file_import(path, owner, columns=columns, skip_invalid=True)
    # each new customer started on the day its "Fecha de alta" says
    assert 2019 <= Customer.objects.get(name="Cafetería El Portal").customer_since.year <= 2023
    again = sheet_plan(CUSTOMERS, open_sheet(path), columns, user=None)
    assert again.counts["create"] == again.counts["update"] == 0
    assert again.refused == 3


def _import(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("import", "customers", *map(str, args), stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def test_the_demo_spreadsheet_imports_as_the_readme_says(data_folder, owner):
    # given a demo whose catalog has unmerged near-duplicates, one of them sharing the
    # e-mail of a customer the spreadsheet has (with its tax id)
    build_demo(customers=100, seed=7, history_days=0)
    path = sample_spreadsheet_write(seed=7)

    # when a new user dry-runs it as the README shows
    code, printed = _import(path, "--dry-run")

    # then the row of that customer is the customer its tax id names, not a refusal;
    # only the spreadsheet's three mistakes are refused
    assert "11 to create, 2 to update, 3 unchanged, 3 refused." in printed
    assert "matches more than one customer" not in printed
    assert code == 1

    # and the README's import takes the rest, and a second run changes nothing
    before = Customer.objects.count()
    code, printed = _import(path, "--skip-invalid", "--user", owner.username)
    assert "11 created, 2 updated, 3 unchanged, 3 refused." in printed
    assert Customer.objects.count() == before + 11
    code, printed = _import(path, "--dry-run")
    assert "0 to create, 0 to update, 16 unchanged, 3 refused." in printed


def test_the_same_seed_writes_the_same_rows(data_folder, tmp_path):
    build_demo(customers=30, seed=5, history_days=0)
    first = sample_spreadsheet_write(seed=5, folder=tmp_path / "a")
    second = sample_spreadsheet_write(seed=5, folder=tmp_path / "b")

    rows = [list(open_sheet(path).rows) for path in (first, second)]
    assert rows[0] == rows[1]
