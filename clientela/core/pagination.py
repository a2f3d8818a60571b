"""Pages of long lists that stay fast however large the table grows.

Counting every match of a search in a million rows costs more than finding the page
itself, so lists count at most ``CLIENTELA_COUNT_LIMIT`` matches: beyond it they say
"more than N" and page through the first N; a narrower search finds the rest.
"""

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from ninja import Schema
from ninja.pagination import PageNumberPagination


def count_up_to(queryset: QuerySet, limit: int) -> int:
    """How many rows ``queryset`` has, reading at most ``limit + 1`` of them."""
    return queryset.order_by()[: limit + 1].count()


class CappedPaginator(Paginator):
    """A Paginator that counts at most ``limit`` rows; ``count_is_exact`` says if it stopped."""

    def __init__(self, object_list: QuerySet, per_page: int, *, limit: int | None = None):
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
