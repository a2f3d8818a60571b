"""What several subjects of the customer services share: refusing the fields a service
does not take, and cutting a long list of values into the slices one query takes."""

from collections.abc import Iterable, Iterator, Sequence


def _unknown_fields(fields: Iterable[str], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")


def _slices(values: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
