"""Each app's kinds of sheet reach the engine through the registry, which names no domain."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from clientela.sheets import registry
from clientela.sheets.plan import Kind
from clientela.sheets.reading import open_sheet
from clientela.sheets.table import SpreadsheetError

CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Ruiz\r\nEMAIL:ana@example.mx\r\nEND:VCARD\r\n"


def test_every_app_registers_its_kinds_in_the_order_the_wizard_lists_them():
    assert registry.sheet_kind_keys() == [
        "customers",
        "products",
        "orders",
        "payments",
        "events",
        "opportunities",
        "activities",
        "interactions",
    ]
    kinds = registry.sheet_kinds()
    assert [kind.key for kind in kinds.values()] == list(kinds)
    assert all(isinstance(kind, Kind) for kind in kinds.values())


def test_a_kind_under_another_key_is_refused_at_first_use(monkeypatch):
    monkeypatch.setitem(registry._kinds, "clients", "clientela.customers.sheet.CUSTOMERS")
    with pytest.raises(ImproperlyConfigured, match="'customers', not 'clients'"):
        registry.sheet_kind("clients")


def test_contacts_are_read_by_the_reader_the_customers_registered(tmp_path):
    path = tmp_path / "contactos.vcf"
    path.write_text(CARD)
    sheet = open_sheet(path)
    row = dict(zip(sheet.headers, next(sheet.rows)[1], strict=True))
    assert "Ana Ruiz" in row.values()
    assert "ana@example.mx" in row.values()


def test_contacts_without_a_registered_reader_are_refused_as_no_spreadsheet(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "_readers", {})
    path = tmp_path / "contactos.vcf"
    path.write_text(CARD)
    with pytest.raises(SpreadsheetError, match="not a spreadsheet"):
        open_sheet(path)
