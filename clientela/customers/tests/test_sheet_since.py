"""A "customer since" column ("Alta", "Cliente desde", "Дата регистрации"…) in a
customer import: read as a date, written to new and matched customers, refused with
its column when it is not a day that has been."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from clientela.customers.models import Customer
from clientela.customers.sheet import CUSTOMER_FIELDS
from clientela.customers.tests.factories import CustomerFactory
from clientela.customers.tests.sheet_files import customers_file_import
from clientela.sheets.mapping import match_columns

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "header", ["Alta", "Fecha de alta", "Cliente desde", "Дата регистрации", "Customer since"]
)
def test_the_column_is_recognised_by_its_usual_names(header):
    assert match_columns(["Nombre", header], CUSTOMER_FIELDS) == {0: "name", 1: "customer_since"}


def test_new_and_matched_customers_take_the_day_and_bad_days_are_refused(tmp_path, owner):
    maria = CustomerFactory(name="Tortillería María", emails=["maria@tortilla.mx"])
    tomorrow = (timezone.localdate() + timedelta(days=1)).strftime("%d/%m/%Y")
    path = tmp_path / "clientes.csv"
    path.write_text(
        "Nombre;Correo;Fecha de alta\n"
        "Café Olé;hola@cafeole.mx;15/03/2019\n"
        "Tortillería María;maria@tortilla.mx;2017-06-01\n"
        "Pan de Ayer;ayer@example.mx;30/02/2019\n"
        f"Pan de Mañana;manana@example.mx;{tomorrow}\n",
        encoding="utf-8",
    )
    plan = customers_file_import(path, owner, skip_invalid=True)

    assert plan.counts == {"create": 1, "update": 1, "unchanged": 0, "refused": 2}
    assert Customer.objects.get(name="Café Olé").customer_since == date(2019, 3, 15)
    maria.refresh_from_db()
    assert maria.customer_since == date(2017, 6, 1)
    assert [(p.row, p.column, p.value) for p in plan.problems] == [
        (4, "Fecha de alta", "30/02/2019"),
        (5, "Fecha de alta", tomorrow),
    ]
    assert "cannot be in the future" in plan.problems[1].message


def test_the_same_day_again_changes_nothing(tmp_path, owner):
    CustomerFactory(name="Café Olé", emails=["hola@cafeole.mx"], customer_since=date(2019, 3, 15))
    path = tmp_path / "clientes.csv"
    path.write_text("Nombre;Correo;Alta\nCafé Olé;hola@cafeole.mx;15.03.2019\n", encoding="utf-8")
    plan = customers_file_import(path, owner)

    assert plan.counts["unchanged"] == 1
