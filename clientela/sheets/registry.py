"""Which kinds of sheet there are, and which readers for files that are not tables.

Each app registers from its ``AppConfig.ready()`` the kinds of sheet it owns (its
import kind with its export rows: a ``plan.Kind``, by its dotted path) and, where it has
one, a reader that turns a file of another form into a ``reading.Sheet`` (a phone's
contacts, say). The imports app, the ``import`` and ``export`` commands and the
templates read them from here, so that this package names no domain. A kind is
imported when it is first asked for, so a command that reads no sheet does not load it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from clientela.sheets.plan import Kind
    from clientela.sheets.table import Sheet

# key → dotted path of the kind, in the order the apps registered them.
_kinds: dict[str, str] = {}
# a form of file (``reading.file_kind``) → dotted path of its reader.
_readers: dict[str, str] = {}


def sheet_kind_register(key: str, kind: str) -> None:
    """Add the kind of sheet ``key`` (a ``Kind`` named by its dotted path, whose ``key``
    is ``key``); apps call this from ``AppConfig.ready()``."""
    _kinds[key] = kind


def sheet_kind_keys() -> list[str]:
    """The keys of the registered kinds, in the order they were registered (none loaded)."""
    return list(_kinds)


def sheet_kinds() -> dict[str, Kind]:
    """Every registered kind by its key, in the order they were registered."""
    return {key: sheet_kind(key) for key in _kinds}


def sheet_kind(key: str) -> Kind:
    """The kind registered as ``key``; ``KeyError`` for another."""
    kind = import_string(_kinds[key])
    if kind.key != key:
        raise ImproperlyConfigured(f"{_kinds[key]} is the kind {kind.key!r}, not {key!r}.")
    return kind


def sheet_reader_register(form: str, reader: str) -> None:
    """Add the reader of files of ``form`` (a function ``(path, *, encoding) → Sheet`` by
    its dotted path); apps call this from ``AppConfig.ready()``."""
    _readers[form] = reader


def sheet_reader(form: str) -> Callable[..., Sheet] | None:
    """The reader registered for files of ``form``, if any."""
    path = _readers.get(form)
    return None if path is None else import_string(path)
