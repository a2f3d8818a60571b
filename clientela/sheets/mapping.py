"""Which column of a sheet holds which field: matched from the headers, changed by hand.

Headers are compared in a normal form (``header_key``): accents and case ignored,
punctuation as spaces and dots dropped, so "Razón social", "RAZON SOCIAL" and
"razón  social." are one, and so are "RFC" and "R.F.C.".
A column matches a field when its header is one of the field's names in Spanish, Russian
or English, or starts with one ("Teléfono celular" is a phone); each field takes the
first such column unless it may repeat (several phone columns). A header that names
two fields at once ("Razón social / Nombre", "Nombre o razón social") fills the one of
them that takes the other in (``Field.absorbs``: the name takes the legal name), after
the headers that name one field exactly. The person importing
can then change any match or ignore a column; a mapping is saved by header text, so it
applies again to a file with the same headers in another order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from clientela.core.parsing import fold


def header_key(text: str) -> str:
    """A header in normal form: no accents (ñ → n, й → и), case folded, words apart (as
    the customer search folds text), abbreviations' dots dropped ("R.F.C." is "RFC")."""
    return fold(text.replace(".", ""))


@dataclass(frozen=True)
class Field:
    """A field a column can fill: its key, its label, the headers that name it, whether
    several columns may fill it, a value a template shows as an example, and the other
    fields a header may name along with it and still mean this one (``absorbs``)."""

    key: str
    label: str | Promise
    names: tuple[str, ...]
    repeatable: bool = False
    example: str = ""
    absorbs: tuple[str, ...] = ()

    def header_keys(self) -> tuple[str, ...]:
        """Its names and its label in the active language, in normal form (so a file
        exported in any language matches again)."""
        return (*(header_key(name) for name in self.names), header_key(str(self.label)))


class MappingError(ValueError):
    """A mapping that cannot be used; ``problems`` lists each reason."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


# What joins two names in one header: "/", "|", "or" in the site's languages.
_ALTERNATIVES = re.compile(r"\s*[/|]\s*|\s+(?:o|u|or|или|либо)\s+", re.IGNORECASE)


def _field_naming_all(header: str, fields: Sequence[Field]) -> Field | None:
    """The field a header naming several fields at once fills, if one absorbs the rest."""
    parts = [header_key(part) for part in _ALTERNATIVES.split(header) if part.strip()]
    named = {field.key for part in parts for field in fields if part in field.header_keys()}
    if len(parts) < 2 or len(named) < 2:
        return None
    return next((f for f in fields if named <= {f.key, *f.absorbs}), None)


def match_columns(headers: Sequence[str], fields: Sequence[Field]) -> dict[int, str]:
    """Column index → field key for the headers that name a field (see the module)."""
    matched: dict[int, str] = {}
    taken: set[str] = set()
    keys = [header_key(header) for header in headers]
    for stage in ("exact", "several", "prefix"):
        exact = stage == "exact"
        for index, key in enumerate(keys):
            if index in matched or not key:
                continue
            if stage == "several":
                both = _field_naming_all(headers[index], fields)
                if both is not None and (both.key not in taken or both.repeatable):
                    matched[index] = both.key
                    taken.add(both.key)
                continue
            best, longest = None, 0
            for field in fields:
                if field.key in taken and not field.repeatable:
                    continue
                # the longest name a header starts with: "Fecha de entrega prometida" is
                # the due date, not any "Fecha"
                for name in field.header_keys():
                    named = key == name if exact else key.startswith(name + " ")
                    if named and len(name) > longest:
                        best, longest = field, len(name)
                if exact and best is not None:
                    break
            if best is not None:
                matched[index] = best.key
                taken.add(best.key)
    return dict(sorted(matched.items()))


def mapping_check(
    columns: Mapping[int, str], headers: Sequence[str], fields: Sequence[Field]
) -> None:
    """Refuse a mapping that uses an unknown field or maps a field twice that cannot
    repeat, naming the columns; raises ``MappingError``."""
    by_key = {field.key: field for field in fields}
    problems = []
    seen: dict[str, int] = {}
    for index, key in sorted(columns.items()):
        field = by_key.get(key)
        if field is None:
            problems.append(
                _("Column “%(column)s” is mapped to “%(field)s”, which is not a field here.")
                % {"column": headers[index], "field": key}
            )
        elif key in seen and not field.repeatable:
            problems.append(
                _("Columns “%(first)s” and “%(second)s” are both mapped to %(field)s.")
                % {"first": headers[seen[key]], "second": headers[index], "field": field.label}
            )
        else:
            seen.setdefault(key, index)
    if problems:
        raise MappingError(problems)


def mapping_to_json(columns: Mapping[int, str], headers: Sequence[str]) -> dict[str, str]:
    """A mapping to save: header text → field key."""
    return {headers[index]: key for index, key in sorted(columns.items())}


def mapping_from_json(saved: Mapping[str, str], headers: Iterable[str]) -> dict[int, str]:
    """A saved mapping applied to these headers (compared in normal form); raises
    ``MappingError`` for JSON that is not one flat object of header → field key."""
    if not isinstance(saved, Mapping) or not all(
        isinstance(header, str) and isinstance(key, str) for header, key in saved.items()
    ):
        raise MappingError(
            [
                _(
                    "A mapping is a JSON object of header → field key, both texts, such as "
                    '{"Nombre": "name"}; nothing nested.'
                )
            ]
        )
    wanted = {header_key(header): key for header, key in saved.items()}
    return {
        index: wanted[key]
        for index, key in enumerate(header_key(header) for header in headers)
        if key in wanted
    }
