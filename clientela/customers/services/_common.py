"""What several subjects of the customer services share: refusing the fields a service
does not take."""

from collections.abc import Iterable


def _unknown_fields(fields: Iterable[str], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
