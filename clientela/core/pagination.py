"""Pages of long lists that stay fast however large the table grows.

Counting every match of a search in a million rows costs more than finding the page
itself, so lists count at most ``CLIENTELA_COUNT_LIMIT`` matches: beyond it they say
"more than N" and page through the first N; a narrower search finds the rest.
"""

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, overload

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.utils.functional import cached_property
from ninja import Schema
from ninja.pagination import PageNumberPagination

RowModel = TypeVar("RowModel", bound=Model)


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


class CappedPaginator(Paginator):
    """A Paginator that counts at most ``limit`` rows; ``count_is_exact`` says if it stopped."""

    def __init__(
        self, object_list: QuerySet | Sequence, per_page: int, *, limit: int | None = None
    ):
        super().__init__(object_list, per_page)
        self.limit = limit or settings.CLIENTELA_COUNT_LIMIT

    @cached_property
    def _counted(self) -> int:
        return count_up_to(self.object_list, self.limit)

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        """The matches, or ``limit`` when there are more."""
        return min(self._counted, self.limit)

    @property
    def count_is_exact(self) -> bool:
        """False when there are more matches than ``count``."""
        return self._counted <= self.limit


class CappedPageNumberPagination(PageNumberPagination):
    """API pages (``?page=&page_size=``) whose ``count`` stops at the count limit.

    ``count_is_exact`` is false when there are more; every page can still be read.
    """

    class Output(Schema):
        items: list[Any]
        count: int
        count_is_exact: bool

    def paginate_queryset(
        self, queryset: QuerySet, pagination: PageNumberPagination.Input, **params: Any
    ) -> dict[str, Any]:
        """One page of items with the capped count."""
        page_size = self._get_page_size(pagination.page_size)
        offset = (pagination.page - 1) * page_size
        limit = settings.CLIENTELA_COUNT_LIMIT
        counted = count_up_to(queryset, limit)
        return {
            "items": queryset[offset : offset + page_size],
            "count": min(counted, limit),
            "count_is_exact": counted <= limit,
        }
