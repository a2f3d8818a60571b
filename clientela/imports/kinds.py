"""The kinds of file an import reads and an export writes, by key."""

from __future__ import annotations

from clientela.imports.customers import CUSTOMERS
from clientela.imports.events import EVENTS
from clientela.imports.orders import ORDERS
from clientela.imports.payments import PAYMENTS
from clientela.imports.plan import Kind
from clientela.imports.products import PRODUCTS

KINDS: dict[str, Kind] = {
    kind.key: kind for kind in (CUSTOMERS, PRODUCTS, ORDERS, PAYMENTS, EVENTS)
}
