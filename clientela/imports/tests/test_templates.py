"""The templates to fill in: one per kind, .xlsx and .csv, headers in the user's
language and an example row; uploaded as they are, every column is recognised."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation

from clientela.imports.tests.uploads import xlsx_rows
from clientela.sheets.importing import sheet_plan
from clientela.sheets.mapping import mapping_check, match_columns
from clientela.sheets.reading import open_sheet
from clientela.sheets.registry import sheet_kind, sheet_kind_keys

pytestmark = pytest.mark.django_db


def _rows(content: bytes, file_format: str) -> list[list]:
    if file_format == "xlsx":
        return xlsx_rows(content)
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
@pytest.mark.parametrize("key", sheet_kind_keys())
def test_a_template_imported_as_it_is_maps_every_column_to_its_field(
    client, owner, tmp_path, key, file_format
):
    kind = sheet_kind(key)
    client.force_login(owner)

    response = client.get(reverse("imports:template", args=[key, file_format]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="clientela-{key}.{file_format}"'
    )
    header, example, *rest = _rows(response.content, file_format)
    assert header == [str(field.label) for field in kind.fields] and not rest
    assert [str(value) for value in example] == [field.example for field in kind.fields]
    # uploaded as it is: each column is its field, and it plans without a mapping error
    path = tmp_path / f"template.{file_format}"
    path.write_bytes(response.content)
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, kind.fields)
    assert columns == {index: field.key for index, field in enumerate(kind.fields)}
    mapping_check(columns, sheet.headers, kind.fields)
    plan = sheet_plan(kind, sheet, columns, user=None)
    assert sum(plan.counts.values()) == 1


def test_the_template_speaks_the_users_language(client, owner):
    client.force_login(owner)

    response = client.get(
        reverse("imports:template", args=["customers", "csv"]), headers={"Accept-Language": "es"}
    )

    header = _rows(response.content, "csv")[0]
    with translation.override("es"):
        assert header == [str(field.label) for field in sheet_kind("customers").fields]
    assert "Nombre" in header and "Name" not in header


def test_an_unknown_kind_or_format_has_no_template(client, owner):
    client.force_login(owner)

    assert client.get(reverse("imports:template", args=["suppliers", "csv"])).status_code == 404
    assert client.get(reverse("imports:template", args=["customers", "ods"])).status_code == 404
