"""Errors services raise beyond Django's ValidationError."""

from django.utils.translation import gettext_lazy as _


class ConflictError(Exception):
    """The record changed since the caller read it: a stale write is refused, never applied."""

    def __init__(self, current_version: int | None = None):
        self.current_version = current_version
        super().__init__(
            _(
                "Someone else changed this record since you opened it. Reload it and apply your change again."
            )
        )
