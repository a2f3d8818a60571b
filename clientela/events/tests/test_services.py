"""Planning events and recording their sales: validation, roles, versions."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import formats

from clientela.core.access import AccessDenied
from clientela.core.errors import ConflictError
from clientela.events.models import Event, EventProduct, EventSale
from clientela.events.services import (
    event_create,
    event_item_remove,
    event_item_set,
    event_sale_record,
    event_sales_save,
    event_update,
)
from clientela.events.tests.factories import EventFactory, ProductFactory

pytestmark = pytest.mark.django_db

FIRST_DAY = date(2024, 6, 10)
SECOND_DAY = date(2024, 6, 11)


@pytest.fixture
def event(owner):
    return EventFactory(actor=owner, start_date=FIRST_DAY, duration_days=2)


@pytest.fixture
def item(owner, event):
    product = ProductFactory(name="Concha", unit_price=Decimal("12.50"))
    return event_item_set(
        actor=owner, event=event, product=product, quantity_brought=100, quantity_expected=80
    )


def short(day: date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def messages(error: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return error.value.message_dict


# --- events ---------------------------------------------------------------------------


def test_create_keeps_name_and_location_on_one_line_and_records_who(sales):
    event = event_create(
        actor=sales,
        name="  Feria   del Pan ",
        kind="fair",
        location="Plaza\nMayor",
        start_date=FIRST_DAY,
        duration_days=3,
    )

    assert (event.name, event.location) == ("Feria del Pan", "Plaza Mayor")
    assert event.end_date == date(2024, 6, 12)
    assert event.history.get().history_user == sales


def test_create_with_bad_values_names_each_field_and_writes_nothing(owner):
    with pytest.raises(ValidationError) as error:
        event_create(
            actor=owner,
            name=" ",
            kind="circus",
            location="",
            start_date="10/06/2024",
            duration_days=0,
        )

    assert set(messages(error)) == {"name", "kind", "location", "start_date", "duration_days"}
    assert Event.objects.count() == 0


def test_update_changes_fields_and_bumps_the_version(owner, event):
    event_update(
        actor=owner, event=event, version=event.version, name="Feria de Verano", duration_days=3
    )

    stored = Event.objects.get(pk=event.pk)
    assert (stored.name, stored.duration_days, stored.version) == ("Feria de Verano", 3, 2)


def test_stale_event_version_is_refused_and_changes_nothing(owner, sales, event):
    first = Event.objects.get(pk=event.pk)
    second = Event.objects.get(pk=event.pk)
    event_update(actor=owner, event=first, version=first.version, name="Feria de Verano")

    with pytest.raises(ConflictError) as error:
        event_update(actor=sales, event=second, version=second.version, name="Feria de Otoño")

    assert error.value.current_version == 2
    assert Event.objects.get(pk=event.pk).name == "Feria de Verano"


def test_shortening_past_a_day_with_sales_is_refused_naming_the_days(owner, event, item):
    event_sale_record(actor=owner, item=item, sold_on=SECOND_DAY, quantity=5)

    with pytest.raises(ValidationError) as error:
        event_update(actor=owner, event=event, version=event.version, duration_days=1)

    assert list(messages(error)) == ["duration_days"]
    assert short(SECOND_DAY) in messages(error)["duration_days"][0]
    assert Event.objects.get(pk=event.pk).duration_days == 2


def test_moving_away_from_days_with_sales_is_refused_on_the_start_date(owner, event, item):
    event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=5)

    with pytest.raises(ValidationError) as error:
        event_update(actor=owner, event=event, version=event.version, start_date=date(2024, 6, 11))

    assert list(messages(error)) == ["start_date"]
    assert Event.objects.get(pk=event.pk).start_date == FIRST_DAY


def test_shortening_past_a_day_with_a_recorded_zero_deletes_that_zero(owner, event, item):
    event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=5)
    event_sale_record(actor=owner, item=item, sold_on=SECOND_DAY, quantity=0)

    event_update(actor=owner, event=event, version=event.version, duration_days=1)

    assert list(EventSale.objects.values_list("sold_on", "quantity")) == [(FIRST_DAY, 5)]


# --- products at an event -------------------------------------------------------------


def test_new_line_takes_the_product_price_and_a_changed_line_keeps_its_own(owner, event):
    product = ProductFactory(unit_price=Decimal("12.50"))
    item = event_item_set(
        actor=owner,
        event=event,
        product=product,
        quantity_brought=Decimal("100"),
        quantity_expected=Decimal("80"),
    )
    assert item.unit_price == Decimal("12.50")

    event_item_set(
        actor=owner,
        event=event,
        product=product,
        quantity_brought=120,
        quantity_expected=90,
        unit_price=Decimal("11.00"),
    )
    event_item_set(
        actor=owner, event=event, product=product, quantity_brought=130, quantity_expected=90
    )

    stored = EventProduct.objects.get()
    assert (stored.quantity_brought, stored.unit_price) == (130, Decimal("11.00"))
    assert stored.history.first().history_user == owner


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"quantity_brought": -1, "quantity_expected": 0}, {"quantity_brought"}),
        ({"quantity_brought": 10, "quantity_expected": -1}, {"quantity_expected"}),
        ({"quantity_brought": 10, "quantity_expected": 11}, {"quantity_expected"}),
        (
            {"quantity_brought": "1.2345", "quantity_expected": "many"},
            {"quantity_brought", "quantity_expected"},
        ),
        (
            {"quantity_brought": 10, "quantity_expected": 5, "unit_price": Decimal("9.999")},
            {"unit_price"},
        ),
        (
            {"quantity_brought": 10, "quantity_expected": 5, "unit_price": Decimal("-1")},
            {"unit_price"},
        ),
    ],
)
def test_bad_line_values_are_refused_by_field_and_write_nothing(owner, event, values, fields):
    with pytest.raises(ValidationError) as error:
        event_item_set(actor=owner, event=event, product=ProductFactory(), **values)

    assert set(messages(error)) == fields
    assert EventProduct.objects.count() == 0


def test_price_with_more_decimals_than_the_currency_says_so(owner, event):
    with pytest.raises(ValidationError) as error:
        event_item_set(
            actor=owner,
            event=event,
            product=ProductFactory(),
            quantity_brought=1,
            quantity_expected=1,
            unit_price=Decimal("9.999"),
        )

    assert "MXN" in messages(error)["unit_price"][0]


def test_product_in_another_currency_is_refused(owner, event):
    product = ProductFactory(name="Stollen", currency="EUR")

    with pytest.raises(ValidationError) as error:
        event_item_set(
            actor=owner, event=event, product=product, quantity_brought=5, quantity_expected=5
        )

    assert "EUR" in messages(error)["product"][0]
    assert EventProduct.objects.count() == 0


def test_inactive_product_cannot_be_added_but_its_existing_line_can_change(owner, event, item):
    retired = ProductFactory(is_active=False)
    with pytest.raises(ValidationError) as error:
        event_item_set(
            actor=owner, event=event, product=retired, quantity_brought=5, quantity_expected=5
        )
    assert list(messages(error)) == ["product"]

    item.product.is_active = False
    item.product.save()
    event_item_set(
        actor=owner, event=event, product=item.product, quantity_brought=90, quantity_expected=80
    )
    assert EventProduct.objects.get().quantity_brought == 90


def test_brought_below_what_already_sold_is_refused(owner, event, item):
    event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=60)

    with pytest.raises(ValidationError) as error:
        event_item_set(
            actor=owner,
            event=event,
            product=item.product,
            quantity_brought=50,
            quantity_expected=50,
        )

    assert "60" in messages(error)["quantity_brought"][0]
    assert EventProduct.objects.get().quantity_brought == 100


def test_a_line_with_sales_cannot_be_removed(owner, item):
    event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=1)

    with pytest.raises(ValidationError) as error:
        event_item_remove(actor=owner, item=item)

    assert list(messages(error)) == ["product"]
    assert EventProduct.objects.count() == 1


def test_a_line_with_only_recorded_zeros_is_removed_with_them(owner, item):
    event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=0)

    event_item_remove(actor=owner, item=item)

    assert EventProduct.objects.count() == 0
    assert EventSale.objects.count() == 0
    assert EventSale.history.filter(history_type="-").get().history_user == owner


# --- daily sales ----------------------------------------------------------------------


def test_recording_a_day_again_replaces_it_and_zero_is_allowed(owner, item):
    event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=Decimal("30.5"))
    event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=Decimal("31"))
    event_sale_record(actor=owner, item=item, sold_on=SECOND_DAY, quantity=0)

    assert list(EventSale.objects.values_list("sold_on", "quantity")) == [
        (FIRST_DAY, Decimal("31")),
        (SECOND_DAY, Decimal("0")),
    ]
    assert EventSale.history.count() == 3


def test_a_day_outside_the_event_is_refused_naming_its_first_and_last_day(owner, item):
    with pytest.raises(ValidationError) as error:
        event_sale_record(actor=owner, item=item, sold_on=date(2024, 6, 12), quantity=1)

    message = messages(error)["sold_on"][0]
    assert item.event.name in message
    assert short(FIRST_DAY) in message
    assert short(SECOND_DAY) in message
    assert EventSale.objects.count() == 0


@pytest.mark.parametrize(
    ("quantity", "fields"), [(-1, {"quantity"}), ("0.0001", {"quantity"}), (None, {"quantity"})]
)
def test_bad_quantities_are_refused(owner, item, quantity, fields):
    with pytest.raises(ValidationError) as error:
        event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=quantity)

    assert set(messages(error)) == fields
    assert EventSale.objects.count() == 0


def test_selling_more_than_was_brought_says_how_much_is_left(owner, item):
    event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=70)

    with pytest.raises(ValidationError) as error:
        event_sale_record(actor=owner, item=item, sold_on=SECOND_DAY, quantity=Decimal("30.5"))

    message = messages(error)["quantity"][0]
    assert "Only 30 of Concha are left to sell" in message
    assert list(EventSale.objects.values_list("quantity", flat=True)) == [70]
    # Replacing the same day counts that day once.
    event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=100)


# --- roles ----------------------------------------------------------------------------


@pytest.mark.parametrize("role_fixture", ["readonly", "support"])
def test_roles_without_event_rights_cannot_plan_or_record(request, role_fixture, event, item):
    user = request.getfixturevalue(role_fixture)

    with pytest.raises(AccessDenied):
        event_create(actor=user, name="Feria", kind="fair", location="Plaza", start_date=FIRST_DAY)
    with pytest.raises(AccessDenied):
        event_update(actor=user, event=event, version=event.version, name="Otra")
    with pytest.raises(AccessDenied):
        event_item_set(
            actor=user, event=event, product=item.product, quantity_brought=1, quantity_expected=1
        )
    with pytest.raises(AccessDenied):
        event_item_remove(actor=user, item=item)
    with pytest.raises(AccessDenied):
        event_sale_record(actor=user, item=item, sold_on=FIRST_DAY, quantity=1)

    assert EventSale.objects.count() == 0
    assert Event.objects.get().version == 1


def test_sales_may_plan_and_record(sales, event, item):
    event_sale_record(actor=sales, item=item, sold_on=FIRST_DAY, quantity=1)

    assert EventSale.history.get().history_user == sales


def test_update_with_bad_values_names_each_field_and_writes_nothing(owner, event):
    with pytest.raises(ValidationError) as error:
        event_update(
            actor=owner, event=event, version=event.version, kind="circus", duration_days=0
        )

    assert set(messages(error)) == {"kind", "duration_days"}
    stored = Event.objects.get(pk=event.pk)
    assert (stored.kind, stored.duration_days, stored.version) == ("fair", 2, 1)


# --- the daily-sales grid and its version ---------------------------------------------


def sales_version(event: Event) -> int:
    return Event.objects.values_list("sales_version", flat=True).get(pk=event.pk)


def test_the_grid_saves_every_day_at_once_and_moves_the_sales_version_on(owner, event, item):
    event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=100)
    opened = sales_version(event)

    changed = event_sales_save(
        actor=owner,
        event=event,
        version=opened,
        sales=[
            {"item": item, "sold_on": SECOND_DAY, "quantity": Decimal(60)},  # needs the next
            {"item": item, "sold_on": FIRST_DAY, "quantity": Decimal(40)},
        ],
    )

    assert changed == 2
    assert dict(EventSale.objects.values_list("sold_on", "quantity")) == {
        FIRST_DAY: 40,
        SECOND_DAY: 60,
    }
    stored = Event.objects.get(pk=event.pk)
    assert (stored.sales_version, stored.version) == (opened + 1, 1)
    assert event.sales_version == opened + 1


def test_a_grid_saved_from_an_older_sales_version_is_refused_and_writes_nothing(
    owner, sales, event, item
):
    opened = sales_version(event)
    event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=30)  # meanwhile

    with pytest.raises(ConflictError) as error:
        event_sales_save(
            actor=sales,
            event=event,
            version=opened,
            sales=[
                {"item": item, "sold_on": FIRST_DAY, "quantity": Decimal(10)},
                {"item": item, "sold_on": SECOND_DAY, "quantity": Decimal(5)},
            ],
        )

    assert error.value.current_version == opened + 1
    assert list(EventSale.objects.values_list("sold_on", "quantity")) == [(FIRST_DAY, 30)]
    assert sales_version(event) == opened + 1


def test_a_day_recorded_with_an_older_sales_version_is_refused(owner, sales, event, item):
    opened = sales_version(event)
    event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=30, version=opened)

    with pytest.raises(ConflictError):
        event_sale_record(actor=sales, item=item, sold_on=FIRST_DAY, quantity=10, version=opened)

    assert list(EventSale.objects.values_list("quantity", flat=True)) == [30]


def test_one_refused_cell_leaves_the_whole_grid_and_its_version_as_they_were(owner, event, item):
    opened = sales_version(event)

    with pytest.raises(ValidationError) as error:
        event_sales_save(
            actor=owner,
            event=event,
            version=opened,
            sales=[
                {"item": item, "sold_on": FIRST_DAY, "quantity": Decimal(10)},
                {"item": item, "sold_on": date(2024, 6, 12), "quantity": Decimal(5)},
                {"item": item, "sold_on": SECOND_DAY, "quantity": Decimal(-1)},
            ],
        )

    assert set(messages(error)) == {"sales.1.sold_on", "sales.2.quantity"}
    assert not EventSale.objects.exists()
    assert sales_version(event) == opened


def test_a_grid_that_changes_nothing_keeps_the_sales_version(owner, event, item):
    event_sale_record(actor=owner, item=item, sold_on=FIRST_DAY, quantity=5)
    opened = sales_version(event)

    changed = event_sales_save(
        actor=owner,
        event=event,
        version=opened,
        sales=[{"item": item, "sold_on": FIRST_DAY, "quantity": Decimal(5)}],
    )

    assert changed == 0
    assert sales_version(event) == opened
    assert EventSale.history.count() == 1


def test_a_product_of_another_event_or_a_day_given_twice_is_refused(owner, event, item):
    other = EventFactory(actor=owner, start_date=FIRST_DAY)
    elsewhere = event_item_set(
        actor=owner, event=other, product=item.product, quantity_brought=5, quantity_expected=5
    )

    with pytest.raises(ValidationError) as error:
        event_sales_save(
            actor=owner,
            event=event,
            version=sales_version(event),
            sales=[
                {"item": elsewhere, "sold_on": FIRST_DAY, "quantity": Decimal(1)},
                {"item": item, "sold_on": FIRST_DAY, "quantity": Decimal(1)},
                {"item": item, "sold_on": FIRST_DAY, "quantity": Decimal(2)},
            ],
        )

    assert set(messages(error)) == {"sales.0.item", "sales.2.sold_on"}
    assert not EventSale.objects.exists()


def test_changing_the_event_keeps_the_sales_version_it_did_not_see(owner, sales, event, item):
    opened = Event.objects.get(pk=event.pk)  # an edit form opened before the sales
    event_sale_record(actor=sales, item=item, sold_on=FIRST_DAY, quantity=5)

    event_update(actor=owner, event=opened, version=opened.version, notes="Buen lugar")

    stored = Event.objects.get(pk=event.pk)
    assert (stored.notes, stored.version, stored.sales_version) == ("Buen lugar", 2, 2)


def test_new_days_or_a_line_removed_make_an_open_grid_stale(owner, event, item):
    first = sales_version(event)
    event_update(actor=owner, event=event, version=event.version, notes="Sin cambio de días")
    assert sales_version(event) == first

    event_update(actor=owner, event=event, version=event.version, duration_days=3)
    assert sales_version(event) == event.sales_version == first + 1

    event_item_remove(actor=owner, item=item)
    assert sales_version(event) == first + 2


@pytest.mark.parametrize("role_fixture", ["readonly", "support"])
def test_roles_without_event_rights_cannot_save_the_grid(request, role_fixture, event, item):
    with pytest.raises(AccessDenied):
        event_sales_save(
            actor=request.getfixturevalue(role_fixture),
            event=event,
            version=1,
            sales=[{"item": item, "sold_on": FIRST_DAY, "quantity": Decimal(1)}],
        )

    assert not EventSale.objects.exists()
