"""What other records keep about a customer: what anonymising erases, what the
personal-data export lists.

Every model with a foreign key to a customer is registered, from its app's
``AppConfig.ready()``, with each of its text fields either personal (``erase``: the
value it becomes) or declared not personal (``keep``: codes, references, statuses);
fields with fixed choices are codes by nature. Anonymising and the export walk this
registry, so an app that adds free text about a customer says what happens to it, and a
test fails for a text field nobody declared. The customer's own fields are the catalog's
(``customers.services.customer_anonymize``).
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import models


@dataclass(frozen=True)
class PersonalData:
    """How one model's rows about a customer are erased and exported."""

    model: type[models.Model]
    customer_field: str  # the foreign key to the customer
    erase: dict[str, Any] = field(default_factory=dict)  # personal field → its erased value
    delete: bool = False  # the rows themselves are personal: removed (history erased)
    keep: tuple[str, ...] = ()  # text fields that are not personal
    export_as: str = ""  # the rows' key in the personal-data export ("" → not exported)
    export: tuple[str, ...] = ()  # what the export shows of each row (one field → a list)


_registry: dict[type[models.Model], PersonalData] = {}


def personal_data_register(
    model: type[models.Model],
    *,
    customer_field: str = "customer",
    erase: dict[str, Any] | None = None,
    delete: bool = False,
    keep: tuple[str, ...] = (),
    export_as: str = "",
    export: tuple[str, ...] = (),
) -> None:
    """Declare what ``model`` keeps about a customer (see the module)."""
    _registry[model] = PersonalData(
        model=model,
        customer_field=customer_field,
        erase=dict(erase or {}),
        delete=delete,
        keep=keep,
        export_as=export_as,
        export=export,
    )


def personal_data_registered() -> list[PersonalData]:
    """Every registration, in the order made."""
    return list(_registry.values())


def personal_data_rows(entry: PersonalData, customers: list[int]) -> models.QuerySet:
    """The rows of ``entry``'s model about any of ``customers``."""
    return entry.model._default_manager.filter(**{f"{entry.customer_field}__in": customers})
