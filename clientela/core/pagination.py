"""Pages of long lists that stay fast however large the table grows.

Counting every match of a search in a million rows costs more than finding the page
itself, so lists count at most ``CLIENTELA_COUNT_LIMIT`` matches and say "more than N"
beyond it. A list read from a queryset still pages to its last row: the numbered pages
cover the first N rows, and past them (or from the last page back) a page is found by
its neighbour's sort key (keyset pagination), which costs the same at any depth. A
search that keeps only its first matches (``RowsByIds``) pages through those; a narrower
search finds the rest. Sequences that know their exact number (``counts_every_row``)
are counted, not capped.
"""

import base64
import binascii
import datetime
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import reduce
from operator import or_
from typing import Any, TypeVar, overload

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Page, Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, Model, OrderBy, Q, QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import ValidationError as QueryInvalid
from ninja.pagination import PageNumberPagination

RowModel = TypeVar("RowModel", bound=Model)

# The last page number the API reads: its rows' offset stays a number a database takes.
LAST_PAGE_NUMBER = 2**31 - 1


class RowsByIds(Sequence[RowModel]):
    """Rows in the order of a list of ids found beforehand, read a page at a time.

    A search that found its ids (sorted) in one query pages through them here: counting
    is ``len(ids)``, and a page reads only its own rows from ``rows`` (a queryset with
    its ``select_related``/``prefetch_related``).
    """

    def __init__(self, ids: list[int], rows: QuerySet[RowModel]):
        self.ids = ids
        self.rows = rows

    def __len__(self) -> int:
        return len(self.ids)

    def count(self) -> int:
        """The number of rows, as ``QuerySet.count()`` (the paginators ask this)."""
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> RowModel: ...
    @overload
    def __getitem__(self, index: slice) -> list[RowModel]: ...
    def __getitem__(self, index: int | slice) -> RowModel | list[RowModel]:
        if isinstance(index, int):
            return self.rows.get(pk=self.ids[index])  # IndexError past the end
        wanted = self.ids[index]
        by_id = {row.pk: row for row in self.rows.filter(pk__in=wanted)}
        return [by_id[pk] for pk in wanted if pk in by_id]

    def __iter__(self) -> Iterator[RowModel]:
        return iter(self[:])


class CountedRows(Sequence[RowModel]):
    """A queryset's rows whose number kept figures tell (``count``, asked when needed).

    Paging slices ``rows`` as usual but never counts them: ``len()`` is ``count()``.
    """

    counts_every_row = True  # the paginators show the count as it is, however large

    def __init__(self, rows: QuerySet[RowModel], count: Callable[[], int]):
        self.rows = rows
        self._counter = count

    @cached_property
    def _count(self) -> int:
        return self._counter()

    def __len__(self) -> int:
        return self._count

    def count(self) -> int:
        """The number of rows, as ``QuerySet.count()`` (the paginators ask this)."""
        return self._count

    @overload
    def __getitem__(self, index: int) -> RowModel: ...
    @overload
    def __getitem__(self, index: slice) -> list[RowModel]: ...
    def __getitem__(self, index: int | slice) -> RowModel | list[RowModel]:
        if isinstance(index, int):
            return self.rows[index]
        return list(self.rows[index])

    def __iter__(self) -> Iterator[RowModel]:
        return iter(self.rows)


def count_up_to(rows: QuerySet | Sequence, limit: int) -> int:
    """How many rows there are, reading at most ``limit + 1`` of a queryset's."""
    if isinstance(rows, QuerySet):
        return rows.order_by()[: limit + 1].count()
    return min(len(rows), limit + 1)


class _CursorEncoder(DjangoJSONEncoder):
    """JSON for sort keys: times to the microsecond (Django's encoder stops at the
    millisecond, which would make two rows of one millisecond one place)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class Keyset:
    """A queryset's sort order as keys, to find the rows after or before a given row.

    The order (``order_by``, else the model's) is made total by ending it with the
    primary key, and NULLs of nullable keys go last whatever the database's habit, so
    that every row has one place. A cursor is a row's keys, as URL-safe text.
    """

    def __init__(self, queryset: QuerySet):
        if queryset.query.group_by is not None or queryset.query.values_select:
            raise TypeError("a keyset reads whole rows, not grouped or picked values")
        model = queryset.model
        terms = list(queryset.query.order_by or model._meta.ordering)
        self.keys: list[tuple[str, bool, bool]] = []  # (name, descending, nullable)
        for term in terms:
            if isinstance(term, str):
                name, descending = term.lstrip("-"), term.startswith("-")
            elif isinstance(term, OrderBy) and isinstance(term.expression, F):
                name, descending = term.expression.name, term.descending
            else:
                raise TypeError(f"a keyset needs fields to sort by, not {term!r}")
            name = model._meta.pk.name if name == "pk" else name
            self.keys.append((name, descending, self._nullable(model, name)))
        if not any(name == model._meta.pk.name for name, _desc, _null in self.keys):
            descending = self.keys[-1][1] if self.keys else False
            self.keys.append((model._meta.pk.name, descending, False))
        self.model = model

    @staticmethod
    def _nullable(model: type[Model], name: str) -> bool:
        try:
            return model._meta.get_field(name).null
        except FieldDoesNotExist:  # an annotation: it may be NULL
            return True

    def ordering(self, *, reverse: bool = False) -> list[OrderBy]:
        """The order to read in: as the list shows it, or backwards."""
        return [
            OrderBy(
                F(name),
                descending=descending != reverse,
                nulls_last=True if nullable and not reverse else None,
                nulls_first=True if nullable and reverse else None,
            )
            for name, descending, nullable in self.keys
        ]

    def _value(self, row: Model, name: str) -> Any:
        try:
            return getattr(row, self.model._meta.get_field(name).attname)
        except FieldDoesNotExist:
            return getattr(row, name)

    def cursor(self, row: Model) -> str:
        """``row``'s place in the order, as text for an address."""
        values = [self._value(row, name) for name, _desc, _null in self.keys]
        text = json.dumps(values, cls=_CursorEncoder, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def _values(self, cursor: str) -> list[Any]:
        """The keys a cursor holds; ValueError if it is not one of this order's."""
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError("not a cursor") from error
        if not isinstance(values, list) or len(values) != len(self.keys):
            raise ValueError("not a cursor of this list")
        parsed = []
        for (name, _desc, _null), value in zip(self.keys, values, strict=True):
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                parsed.append(value)
                continue
            try:
                parsed.append(None if value is None else field.to_python(value))
            except ValidationError as error:
                raise ValueError("not a cursor of this list") from error
        return parsed

    def beyond(self, cursor: str, *, reverse: bool = False) -> Q:
        """The rows after the cursor's row in the order (before it, with ``reverse``)."""
        values = self._values(cursor)
        alternatives = []
        same = Q()
        for (name, descending, nullable), value in zip(self.keys, values, strict=True):
            smaller = descending != reverse  # walking towards smaller values
            if value is None:  # NULLs come last: only non-NULLs are before them
                step = Q(**{f"{name}__isnull": False}) if reverse else None
                equal = Q(**{f"{name}__isnull": True})
            else:
                step = Q(**{f"{name}__{'lt' if smaller else 'gt'}": value})
                if nullable and not reverse:
                    step |= Q(**{f"{name}__isnull": True})
                equal = Q(**{name: value})
            if step is not None:
                alternatives.append(same & step)
            same &= equal
        return reduce(or_, alternatives, Q(pk__in=[]))


class CappedPage(Page):
    """A page of a ``CappedPaginator``: numbered, or found by a cursor (``number`` None).

    Links: ``previous_page``/``next_page`` (numbers) or ``previous_cursor`` (read with
    ``?before=``) / ``next_cursor`` (``?after=``); ``numbers`` are the page numbers to
    show, elided. The last page of a list whose count is capped is ``?page=last``.
    """

    def __init__(
        self,
        object_list,
        number: int | None,
        paginator: "CappedPaginator",
        *,
        more_before: bool,
        more_after: bool,
    ):
        super().__init__(object_list, number, paginator)
        self.more_before = more_before
        self.more_after = more_after

    def has_next(self) -> bool:
        return self.more_after

    def has_previous(self) -> bool:
        return self.more_before

    def _cursor(self, index: int) -> str | None:
        keyset = self.paginator.keyset
        rows = list(self.object_list)
        return keyset.cursor(rows[index]) if keyset is not None and rows else None

    @cached_property
    def next_page(self) -> int | None:
        """The number of the next page, when it is one of the numbered pages."""
        if self.number is not None and self.number < self.paginator.num_pages:
            return self.number + 1
        return None

    @cached_property
    def next_cursor(self) -> str | None:
        """Where the next page starts, when it lies past the numbered pages."""
        return self._cursor(-1) if self.has_next() and self.next_page is None else None

    @cached_property
    def previous_page(self) -> int | None:
        if self.number is not None and self.number > 1:
            return self.number - 1
        return None

    @cached_property
    def previous_cursor(self) -> str | None:
        return self._cursor(0) if self.has_previous() and self.previous_page is None else None

    @property
    def reaches_past_count(self) -> bool:
        """Whether pages go on past the counted rows (a capped count of a queryset)."""
        return self.paginator.keyset is not None and not self.paginator.count_is_exact

    @property
    def numbers(self) -> list:
        """The page numbers to link, elided (none on a page found by a cursor)."""
        if self.number is None:
            return []
        return list(self.paginator.get_elided_page_range(self.number))


class CappedPaginator(Paginator):
    """A Paginator that counts at most ``limit`` rows; ``count_is_exact`` says if it stopped.

    A queryset's rows past the count are reached by cursor (``page_from``); a sequence
    that ``counts_every_row`` is counted exactly.
    """

    def __init__(
        self, object_list: QuerySet | Sequence, per_page: int, *, limit: int | None = None
    ):
        self.keyset: Keyset | None = None
        if isinstance(object_list, QuerySet):
            try:
                self.keyset = Keyset(object_list)
            except TypeError:  # sorted by an expression: only the counted rows are paged
                pass
            else:
                object_list = object_list.order_by(*self.keyset.ordering())
        super().__init__(object_list, per_page)
        self.limit = limit or settings.CLIENTELA_COUNT_LIMIT

    @cached_property
    def _counts_every_row(self) -> bool:
        return getattr(self.object_list, "counts_every_row", False)

    @cached_property
    def _counted(self) -> int:
        if self._counts_every_row:
            return len(self.object_list)
        return count_up_to(self.object_list, self.limit)

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        """The matches, or ``limit`` when there are more."""
        return self._counted if self._counts_every_row else min(self._counted, self.limit)

    @property
    def count_is_exact(self) -> bool:
        """False when there are more matches than ``count``."""
        return self._counts_every_row or self._counted <= self.limit

    def page(self, number) -> CappedPage:  # type: ignore[override]
        """A numbered page; the last numbered page of a queryset whose count is capped is
        a full page, with the pages found by cursor after it."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if self.count_is_exact or self.keyset is None:  # only the counted rows are paged
            top = min(bottom + self.per_page, self.count)
            if top + self.orphans >= self.count:
                top = self.count
            rows = self.object_list[bottom:top]
            return CappedPage(
                rows, number, self, more_before=number > 1, more_after=number < self.num_pages
            )
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        more_after = number < self.num_pages or len(rows) > self.per_page
        return CappedPage(
            rows[: self.per_page], number, self, more_before=number > 1, more_after=more_after
        )

    def page_from(self, query: Mapping[str, str]) -> CappedPage:
        """The page an address asks for: ``?page=N`` (or ``last``), ``?after=`` or
        ``?before=`` a cursor; a cursor that is not one of this list's gives page 1."""
        if self.keyset is not None and not self.count_is_exact:
            try:
                if query.get("after"):
                    return self.page_after(query["after"])
                if query.get("before"):
                    condition = self.keyset.beyond(query["before"], reverse=True)
                    return self._keyset_page(condition, reverse=True)
            except ValueError:
                return self.get_page(1)
            if query.get("page") == "last":
                return self._keyset_page(Q(), reverse=True)
        if query.get("page") == "last":
            return self.get_page(self.num_pages)
        return self.get_page(query.get("page"))

    def page_after(self, cursor: str) -> CappedPage:
        """The page that follows the row of ``cursor``; ValueError if it is not a cursor
        of this list (or the list is not a queryset)."""
        if self.keyset is None:
            raise ValueError("this list is not read by cursor")
        return self._keyset_page(self.keyset.beyond(cursor), reverse=False)

    def _keyset_page(self, condition: Q, *, reverse: bool) -> CappedPage:
        assert self.keyset is not None
        rows = list(
            self.object_list.filter(condition).order_by(*self.keyset.ordering(reverse=reverse))[
                : self.per_page + 1
            ]
        )
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if reverse:
            rows.reverse()
            return CappedPage(rows, None, self, more_before=more, more_after=bool(condition))
        return CappedPage(rows, None, self, more_before=True, more_after=more)


class CappedPageNumberPagination(PageNumberPagination):
    """API pages (``?page=&page_size=``) whose ``count`` stops at the count limit.

    ``count_is_exact`` is false when there are more; every page can still be read, by
    number or, at the same cost at any depth, by ``?after=`` the ``next`` cursor of the
    page before.
    """

    class Input(PageNumberPagination.Input):
        page: int = Field(1, ge=1, le=LAST_PAGE_NUMBER)
        page_size: int | None = Field(None, ge=1, le=LAST_PAGE_NUMBER)
        after: str | None = Field(
            None, description="The `next` cursor of the page before; `page` is then ignored."
        )

    class Output(Schema):
        items: list[Any]
        count: int
        count_is_exact: bool
        next: str | None = Field(None, description="Pass as `after` for the next page.")

    def paginate_queryset(
        self, queryset: QuerySet, pagination: Input, **params: Any
    ) -> dict[str, Any]:
        """One page of items with the capped count and the cursor of the next page."""
        paginator = CappedPaginator(queryset, self._get_page_size(pagination.page_size))
        if pagination.after:
            try:
                page = paginator.page_after(pagination.after)
            except ValueError as error:
                message = _("This is not a cursor of this list: start from the first page.")
                raise QueryInvalid(
                    [{"loc": ["query", "after"], "msg": message, "type": "invalid"}]
                ) from error
            items, more = list(page.object_list), page.has_next()
        else:
            offset = (pagination.page - 1) * paginator.per_page
            items = list(paginator.object_list[offset : offset + paginator.per_page + 1])
            more = len(items) > paginator.per_page
            items = items[: paginator.per_page]
        keyset = paginator.keyset
        return {
            "items": items,
            "count": paginator.count,
            "count_is_exact": paginator.count_is_exact,
            "next": keyset.cursor(items[-1]) if keyset is not None and more and items else None,
        }
