"""A salesperson imports her Excel list: upload, columns, dry run (in the background),
import (in the background), report."""

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import expect

from clientela.core.models import Role
from clientela.customers.models import Customer
from clientela.customers.tests.factories import PASSWORD, CustomerFactory, UserFactory
from clientela.imports.models import ImportRun, ImportState
from clientela.imports.tests.uploads import HEADERS, ROWS, xlsx_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_upload_map_check_import_and_read_the_report(page, settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    UserFactory(username="rosa", first_name="Rosa", role=Role.SALES)
    CustomerFactory(name="Panadería Gómez", tax_id="GODE561231GR8")
    workbook = tmp_path / "clientes.xlsx"
    workbook.write_bytes(xlsx_bytes({"Clientes": [["Clientes 2024"], [], HEADERS, *ROWS]}))

    # Given a signed-in salesperson on the import page
    page.goto(page.base_url + "/login/")
    page.get_by_label("Username").fill("rosa")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Import").first.click()
    expect(page.get_by_role("heading", name="Import a spreadsheet")).to_be_visible()
    expect(page.locator("#templates")).to_contain_text("Customers")

    # When she uploads her workbook (a title and a blank row above the table)
    page.get_by_label("What the file holds").select_option("customers")
    page.get_by_label("Spreadsheet").set_input_files(workbook)
    page.get_by_role("button", name="Upload and continue").click()

    # Then each column is matched to its field, with its first values beside it
    expect(page.get_by_role("heading", name="Which column holds what")).to_be_visible()
    expect(page.get_by_label("RFC")).to_have_value("tax_id")
    expect(page.get_by_label("Correo")).to_have_value("email")
    expect(page.locator("tr[data-column='1']")).to_contain_text("Café Olé")

    # When she checks what the import would do
    page.get_by_role("button", name="Check what the import would do").click()

    # Then the page follows the check, waiting for the background worker
    expect(page.get_by_role("heading", name="Checking the file")).to_be_visible()
    expect(page.locator("#import-progress")).to_contain_text("check is waiting")

    # When the worker has made it (away from the polling page: the test database, an
    # in-memory SQLite shared between threads, locks whole tables) and she comes back
    run_page = page.url
    page.goto("about:blank")
    call_command("db_worker", queue_name="*", batch=True, no_startup_delay=True, verbosity=0)
    run = ImportRun.objects.get()
    assert run.state == ImportState.PLANNED, run.error
    page.goto(run_page)

    # Then she sees the counts, the refused row and why, and Import waits for her choice
    expect(page.get_by_role("heading", name="What the import would do")).to_be_visible()
    expect(page.locator("[data-count=create]")).to_have_text("2")
    expect(page.locator("[data-count=update]")).to_have_text("1")
    expect(page.locator("[data-count=refused]")).to_have_text("1")
    expect(page.locator("tr[data-problem-row='6']")).to_contain_text("hola@")
    import_button = page.get_by_role("button", name="Import", exact=True)
    expect(import_button).to_be_disabled()
    expect(page.locator("#apply-note")).to_contain_text("1 row is refused")
    assert Customer.objects.count() == 1

    # When she ticks "skip" and imports
    page.get_by_label("Skip the refused rows and import the others").check()
    expect(import_button).to_be_enabled()
    import_button.click()

    # Then the page follows the import, waiting for the background worker
    expect(page.locator("#import-progress")).to_contain_text("waiting for the background worker")

    # When the worker has run it (again away from the polling page) and she comes back
    page.goto("about:blank")
    call_command("db_worker", queue_name="*", batch=True, no_startup_delay=True, verbosity=0)
    run.refresh_from_db()
    assert run.state == ImportState.DONE, run.error
    page.goto(run_page)

    # Then the report says what was done and keeps the refused row to correct
    expect(page.get_by_role("heading", name="Import report")).to_be_visible()
    expect(page.locator("#import-outcome")).to_contain_text(
        "Imported: 2 created, 1 updated, 0 unchanged."
    )
    expect(page.locator("tr[data-problem-row='6']")).to_be_visible()
    with page.expect_download() as download:
        page.locator("#refused-download").click()
    download.value.save_as(tmp_path / "refused.xlsx")
    refused = load_workbook(tmp_path / "refused.xlsx").active
    assert [cell.value for cell in refused[2]][:3] == [None, "Sin correo válido", "hola@"]
    assert Customer.objects.filter(name="Café Olé").exists()

    # And the import is listed among the recent ones
    page.get_by_role("link", name="Import another file").click()
    expect(page.locator(f"tr[data-run='{run.pk}']")).to_contain_text("Imported")
