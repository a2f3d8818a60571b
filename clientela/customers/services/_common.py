"""What several subjects of the customer services share: refusing the fields a service
does not take, and how many values one look-up query takes."""

from collections.abc import Iterable

# Values a query looks up at once (SQLite takes up to 32,766 parameters).
LOOKUP_VALUES = 5000


def _unknown_fields(fields: Iterable[str], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
