"""Writes to the customer catalog. Views, the API, imports and the demo all come here.

Every service is atomic, validates everything before it writes, raises
``ValidationError`` keyed by field, records the acting user in the history, and keeps
the derived search text and the duplicate candidates up to date.
``actor=None`` means the system itself (the demo generator, a command-line job).

One module per subject: ``catalog`` (a customer's own fields), ``bulk`` (many new
customers at once), ``contacts`` (contact people and addresses), ``duplicates``,
``merge`` and ``privacy``; ``derived`` keeps the search text and name key they all
refresh. Callers import from here.
"""

from clientela.customers.services.bulk import (
    CustomerChecked,
    CustomerRowInvalid,
    customers_bulk_check,
    customers_bulk_create,
    customers_bulk_write,
)
from clientela.customers.services.catalog import (
    CUSTOMER_FIELDS,
    customer_create,
    customer_since_clean,
    customer_update,
    new_customer_name,
)
from clientela.customers.services.contacts import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    address_create,
    address_delete,
    address_update,
    contact_create,
    contact_delete,
    contact_update,
)
from clientela.customers.services.derived import (
    customer_contacted_reset,
    customer_refresh_derived,
    customers_contacted,
)
from clientela.customers.services.duplicates import (
    duplicate_dismiss,
    duplicates_refresh_for,
    duplicates_scan,
)
from clientela.customers.services.merge import customers_merge
from clientela.customers.services.privacy import CUSTOMER_ERASED, CUSTOMER_KEPT, customer_anonymize

__all__ = [
    "ADDRESS_FIELDS",
    "CONTACT_FIELDS",
    "CUSTOMER_ERASED",
    "CUSTOMER_FIELDS",
    "CUSTOMER_KEPT",
    "CustomerChecked",
    "CustomerRowInvalid",
    "address_create",
    "address_delete",
    "address_update",
    "contact_create",
    "contact_delete",
    "contact_update",
    "customer_anonymize",
    "customer_contacted_reset",
    "customer_create",
    "customer_refresh_derived",
    "customer_since_clean",
    "customer_update",
    "customers_bulk_check",
    "customers_bulk_create",
    "customers_bulk_write",
    "customers_contacted",
    "customers_merge",
    "duplicate_dismiss",
    "duplicates_refresh_for",
    "duplicates_scan",
    "new_customer_name",
]
