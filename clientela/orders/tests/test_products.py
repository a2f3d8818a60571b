"""Creating and changing products: SKU, prices, versions, never deleted."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clientela.core.access import AccessDenied
from clientela.core.errors import ConflictError
from clientela.orders.models import Product
from clientela.orders.services import (
    product_create,
    product_deactivate,
    product_reactivate,
    product_update,
)
from clientela.orders.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_create_normalises_the_sku_and_records_who(owner):
    product = product_create(
        actor=owner, sku="  pan-01 ", name="Concha", unit_price=Decimal("12.50"), reason="alta"
    )

    assert product.sku == "PAN-01"
    assert product.currency == "MXN"
    record = product.history.get()
    assert (record.history_user, record.history_change_reason) == (owner, "alta")


def test_a_repeated_sku_is_refused_whatever_its_case(owner):
    ProductFactory(sku="PAN-01")

    with pytest.raises(ValidationError) as error:
        product_create(actor=owner, sku="pan-01", name="Otra", unit_price=1)

    assert "PAN-01" in error.value.message_dict["sku"][0]
    assert Product.objects.count() == 1


@pytest.mark.parametrize(
    ("price", "currency"),
    [(Decimal("-1"), "MXN"), (Decimal("1.005"), "MXN"), (Decimal("1.5"), "JPY"), ("abc", "MXN")],
)
def test_bad_prices_are_refused(owner, price, currency):
    with pytest.raises(ValidationError) as error:
        product_create(actor=owner, sku="X", name="X", unit_price=price, currency=currency)

    assert set(error.value.message_dict) == {"unit_price"}
    assert Product.objects.count() == 0


def test_a_currency_is_its_code_in_any_case_and_anything_else_is_refused(owner):
    product = product_create(actor=owner, sku="A", name="A", unit_price=1, currency=" usd ")
    assert product.currency == "USD"

    with pytest.raises(ValidationError) as error:
        product_create(actor=owner, sku="B", name="B", unit_price=1, currency="pesos")

    assert error.value.message_dict == {
        "currency": ["“pesos” is not a currency code: write it like MXN, USD or EUR."]
    }
    assert list(Product.objects.values_list("sku", flat=True)) == ["A"]


def test_update_with_a_stale_version_writes_nothing(owner):
    product = ProductFactory(name="Concha")
    product_update(actor=owner, product=product, version=1, name="Concha de vainilla")

    stale = Product.objects.get(pk=product.pk)
    with pytest.raises(ConflictError):
        product_update(actor=owner, product=stale, version=1, name="Concha de chocolate")

    assert Product.objects.get(pk=product.pk).name == "Concha de vainilla"


def test_deactivate_and_reactivate_keep_the_product(owner):
    product = ProductFactory()

    product_deactivate(actor=owner, product=product, reason="fuera de temporada")
    assert not Product.objects.get(pk=product.pk).is_active
    product_reactivate(actor=owner, product=product)

    assert Product.objects.get(pk=product.pk).is_active
    assert product.history.count() == 3


@pytest.mark.parametrize("role", ["sales", "support", "readonly"])
def test_only_the_owner_edits_products(user_with_role, role):
    with pytest.raises(AccessDenied):
        product_create(actor=user_with_role(role), sku="X", name="X", unit_price=1)
