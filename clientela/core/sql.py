"""SQL the same on SQLite (dates as ISO text) and PostgreSQL: date arithmetic, and a
list of ids sent as one value.

Stable: migrations use these too.
"""

import json
from collections.abc import Iterable
from datetime import date

from django.db.models import BooleanField, F, Func, IntegerField

_EPOCH = date(1970, 1, 1)


class DaysBetween(Func):
    """Whole days from the date ``start`` to the date ``end`` (negative when before)."""

    arg_joiner = " - "
    template = "(%(expressions)s)"
    output_field = IntegerField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def day_number(day: date) -> int:
    """Days since 1970-01-01 (numpy's ``datetime64[D]`` as an integer)."""
    return day.toordinal() - _EPOCH.toordinal()


class DayNumber(Func):
    """A date column as whole days since 1970-01-01, on SQLite and PostgreSQL."""

    output_field = IntegerField()
    template = "(%(expressions)s - DATE '1970-01-01')"

    def as_sqlite(self, compiler, connection, **extra_context):
        # julianday('1970-01-01') is 2440587.5: the difference is a whole number.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)",
            **extra_context,
        )


class MonthNumber(Func):
    """A date column as a month count (year × 12 + month − 1), on SQLite and PostgreSQL."""

    output_field = IntegerField()
    template = (
        "(CAST(EXTRACT(YEAR FROM %(expressions)s) AS INTEGER) * 12"
        " + CAST(EXTRACT(MONTH FROM %(expressions)s) AS INTEGER) - 1)"
    )

    def as_sqlite(self, compiler, connection, **extra_context):
        # Dates are ISO text on SQLite; strftime's "%Y" would clash with the parameters.
        return self.as_sql(
            compiler,
            connection,
            template=(
                "(CAST(substr(%(expressions)s, 1, 4) AS INTEGER) * 12"
                " + CAST(substr(%(expressions)s, 6, 2) AS INTEGER) - 1)"
            ),
            **extra_context,
        )


class AmongIds(Func):
    """Whether ``field`` is one of ``ids``, the list sent as one parameter, for
    ``filter(AmongIds("customer_id", ids))``: ``= ANY`` of an array on PostgreSQL (a
    hashed test whatever the plan), a JSON list on SQLite. Thousands of ``%s`` of an
    ``__in`` cost more to send and to plan than the query's own work."""

    output_field = BooleanField()

    def __init__(self, field: str, ids: Iterable[int]):
        super().__init__(F(field))
        self.ids = [int(pk) for pk in ids]

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} = ANY(%s::bigint[])", [*params, self.ids]

    def as_sqlite(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} IN (SELECT value FROM json_each(%s))", [*params, json.dumps(self.ids)]
