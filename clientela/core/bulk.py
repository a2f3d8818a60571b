"""Writing many rows at once beneath the model layer, for services only (an import's
customers, an analysis's scores): what ``bulk_create`` sends, without its per-value
work and model instances, which cost more than the database's own on millions of
values. PostgreSQL gets ``COPY``; SQLite multi-row statements. The rows are checked
already: no validation, no signals, no history (the caller writes it); defaults only
where asked (``rows_completed``).

``rows_insert`` takes rows as tuples (and can return the new ids); ``columns_insert``
takes them column by column (numpy arrays, ``Nullable`` ones, or one value for all).
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from operator import attrgetter, itemgetter

import numpy as np
from django.conf import settings
from django.db import connections, models, router
from django.utils import timezone

from clientela.core.models import User

# Rows a ``columns_insert`` batch makes at once.
BATCH_SIZE = 5000


def slices(values: Sequence, size: int) -> Iterator[Sequence]:
    """``values`` cut into consecutive slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Field types whose Python value is what the database stores (after ``full_clean``).
_STORED_AS_IS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.ForeignKey,
)


_UNSET = object()


def rows_insert(
    model: type[models.Model], names: Sequence[str], rows: list[tuple], *, returning: bool
) -> list:
    """Insert ``rows`` (tuples of the fields whose attnames are ``names``: every concrete
    field but the primary key) into ``model``'s table with multi-row ``INSERT …
    RETURNING id`` statements on SQLite, ``COPY`` on PostgreSQL; the new ids when
    ``returning``."""
    connection = connections[router.db_for_write(model)]
    by_name = {field.attname: field for field in model._meta.concrete_fields}
    fields = [by_name[name] for name in names]
    prepared_columns = [n for n, field in enumerate(fields) if not isinstance(field, _STORED_AS_IS)]
    if prepared_columns:
        rows = [list(row) for row in rows]
    for n in prepared_columns:
        given, prepared = _UNSET, None  # rows share their timestamps: prepared once
        for row in rows:
            if row[n] is not given:
                given = row[n]
                prepared = fields[n].get_db_prep_save(given, connection)
            row[n] = prepared
    if connection.vendor == "postgresql":
        return _copy(connection, model, fields, rows, returning)
    # SQLite (the other database): straight to the driver in its own "?" style, for
    # Django's rewriting of "%s" costs more than the insert on statements this long.
    quote = connection.ops.quote_name
    size = max(1, (connection.features.max_query_params or 65535) // len(fields))
    placeholders = "(" + ", ".join(["?"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) VALUES "
    )
    returned = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    connection.ensure_connection()
    ids = []
    for part in slices(rows, size):
        statement = sql + ", ".join([placeholders] * len(part)) + returned
        result = connection.connection.execute(statement, list(chain.from_iterable(part)))
        if returning:
            ids += [pk for (pk,) in result.fetchall()]
    return ids


def _copy(connection, model: type[models.Model], fields: list, rows: list, returning: bool):
    """``rows_insert`` on PostgreSQL: ids taken from the table's sequence, rows sent with
    ``COPY`` (several times faster than ``INSERT`` for thousands of rows)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    ids = []
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, model._meta.pk.column, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
            fields = [model._meta.pk, *fields]
            rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
        columns = ", ".join(quote(field.column) for field in fields)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return ids


@dataclass(frozen=True, eq=False)
class Nullable:
    """A column with missing values: ``values`` where ``null`` is false."""

    values: np.ndarray
    null: np.ndarray


def _column_batch(column, start: int, stop: int) -> list:
    """Python values of rows ``start:stop`` of a column (an array, a Nullable, or one
    value for every row); dates are ISO strings, missing values None."""
    if isinstance(column, Nullable):
        values = _column_batch(column.values, start, stop)
        null = column.null[start:stop]
        if null.any():
            return [
                None if missing else value
                for value, missing in zip(values, null.tolist(), strict=True)
            ]
        return values
    if not isinstance(column, np.ndarray):
        return [column] * (stop - start)
    part = column[start:stop]
    if part.dtype.kind == "M":
        return part.astype("datetime64[D]").astype(str).tolist()
    return part.tolist()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _column_text(column, start: int, stop: int) -> list[str]:
    """Rows ``start:stop`` of a column in COPY's text format (``\\N`` for missing)."""
    if isinstance(column, Nullable):
        values = _column_text(column.values, start, stop)
        null = column.null[start:stop]
        if null.any():
            return [
                r"\N" if missing else value
                for value, missing in zip(values, null.tolist(), strict=True)
            ]
        return values
    if not isinstance(column, np.ndarray):
        if column is None:
            return ["\\N"] * (stop - start)
        return [str(column).translate(_COPY_ESCAPES)] * (stop - start)
    part = column[start:stop]
    if part.dtype.kind == "b":
        return np.where(part, "t", "f").tolist()
    if part.dtype.kind == "f":
        return list(map(repr, part.tolist()))
    if part.dtype.kind in "iu":
        return list(map(str, part.tolist()))
    if part.dtype.kind == "M":  # few distinct days: format each once
        days, inverse = np.unique(part.astype("datetime64[D]"), return_inverse=True)
        return days.astype(str)[inverse.ravel()].tolist()
    values = part.astype(str).tolist()
    text = "".join(values)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        values = [value.translate(_COPY_ESCAPES) for value in values]
    return values


def columns_insert(model: type[models.Model], columns: Mapping[str, object], size: int) -> None:
    """Insert ``size`` rows given column by column, in batches: PostgreSQL's COPY (fed
    text made column by column), or an ``executemany`` INSERT elsewhere. Every concrete
    field but the primary key must be given (this bypasses the model layer, so
    Python-side defaults do not apply)."""
    meta = model._meta
    expected = {field.attname for field in meta.concrete_fields if not field.primary_key}
    if set(columns) != expected:
        raise ValueError(f"columns differ from the fields: {sorted(set(columns) ^ expected)}")
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(meta.get_field(name).column) for name in columns)
    specs = list(columns.values())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for start in range(0, size, BATCH_SIZE):
                    stop = min(start + BATCH_SIZE, size)
                    lines = zip(*(_column_text(c, start, stop) for c in specs), strict=True)
                    copy.write("\n".join(map("\t".join, lines)) + "\n")
            return
        placeholders = ", ".join(["%s"] * len(specs))
        sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
        for start in range(0, size, BATCH_SIZE):
            stop = min(start + BATCH_SIZE, size)
            cursor.executemany(
                sql, list(zip(*(_column_batch(c, start, stop) for c in specs), strict=True))
            )


# --- new records with their history (django-simple-history), as saving each would ---


def _stamped(field: models.Field) -> bool:
    return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def rows_completed(
    model: type[models.Model], names: Sequence[str], rows: list[tuple], now: datetime
) -> tuple[list[str], list[tuple]]:
    """``names`` and ``rows`` with every concrete field of ``model`` but the primary key:
    a field left out takes its default; a timestamp, ``now``."""
    missing = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.attname not in names
    ]
    if not missing:
        return list(names), rows
    defaults = tuple(now if _stamped(field) else field.get_default() for field in missing)
    return [*names, *(field.attname for field in missing)], [row + defaults for row in rows]


def rows_create(
    model: type[models.Model],
    names: Sequence[str],
    rows: list[tuple],
    actor: User | None,
    reason: str,
) -> list[int]:
    """Insert ``rows`` of ``model`` (tuples of the fields named ``names``, checked
    already; see ``rows_insert``) and their history records as saving each would record
    them, made by ``actor`` for ``reason``; the new ids. A field left out takes its
    default; a timestamp, now."""
    if not rows:
        return []
    now = timezone.now()
    names, rows = rows_completed(model, names, rows, now)
    ids = rows_insert(model, names, rows, returning=True)
    if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        history = model.history.model  # type: ignore[attr-defined]
        record = {
            "history_date": now,
            "history_change_reason": reason or None,
            "history_type": "+",
            "history_user_id": actor.pk if actor is not None else None,
        }
        # Each history column picked from the row followed by its new id and the record.
        extra = (*record.values(), None)
        position = {name: n for n, name in enumerate(names)}
        position |= {name: len(names) + 1 + n for n, name in enumerate(record)}
        position["id"] = len(names)
        absent = len(names) + 1 + len(record)
        columns = [f.attname for f in history._meta.concrete_fields if not f.primary_key]
        pick = itemgetter(*(position.get(name, absent) for name in columns))
        rows_insert(
            history,
            columns,
            [pick((*row, pk, *extra)) for row, pk in zip(rows, ids, strict=True)],
            returning=False,
        )
    return ids


def records_create(objects: Sequence[models.Model], actor: User | None, reason: str) -> None:
    """Save new model instances (checked already) with their history; sets their ids
    and timestamps."""
    if not objects:
        return
    model = type(objects[0])
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    now = timezone.now()
    for field in filter(_stamped, fields):
        for obj in objects:
            setattr(obj, field.attname, now)
    names = [field.attname for field in fields]
    values = attrgetter(*names)
    database = router.db_for_write(model)
    ids = rows_create(model, names, [values(obj) for obj in objects], actor, reason)
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = database
