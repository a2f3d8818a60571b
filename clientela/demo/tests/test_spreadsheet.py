"""The sample spreadsheet the demo writes: messy as real ones are, and it imports."""

import pytest

from clientela.customers.models import Customer
from clientela.demo.generator import build_demo
from clientela.demo.spreadsheet import sample_spreadsheet_write
from clientela.imports.customers import CUSTOMER_FIELDS, CUSTOMERS
from clientela.imports.mapping import match_columns
from clientela.imports.reading import open_sheet
from clientela.imports.services import sheet_import, sheet_plan

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
    plan = sheet_plan(CUSTOMERS, sheet, columns)

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
    sheet_import(
        kind=CUSTOMERS,
        actor=owner,
        sheet=open_sheet(path),
        columns=columns,
        source=path.name,
        skip_invalid=True,
    )
    # each new customer started on the day its "Fecha de alta" says
    assert 2019 <= Customer.objects.get(name="Cafetería El Portal").customer_since.year <= 2023
    again = sheet_plan(CUSTOMERS, open_sheet(path), columns)
    assert again.counts["create"] == again.counts["update"] == 0
    assert again.refused == 3


def test_the_same_seed_writes_the_same_rows(data_folder, tmp_path):
    build_demo(customers=30, seed=5, history_days=0)
    first = sample_spreadsheet_write(seed=5, folder=tmp_path / "a")
    second = sample_spreadsheet_write(seed=5, folder=tmp_path / "b")

    rows = [list(open_sheet(path).rows) for path in (first, second)]
    assert rows[0] == rows[1]
