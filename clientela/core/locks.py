"""Locks held across processes: work that must not run twice at once (an import into
the same book from the command line and from the worker, say).

On PostgreSQL the lock is an advisory lock of the database session, so it holds across
machines; on SQLite, whose database is one file on one machine, it is a lock on a file
beside the data (``DATA_DIR/<name>.lock``). Either is let go when its holder ends, even
killed: a lock is never left behind.
"""

import fcntl
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection


def _advisory_key(name: str) -> int:
    """A signed 64-bit number for ``name``, as PostgreSQL's advisory locks take."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def _advisory_lock(name: str, on_wait: Callable[[], None] | None) -> Iterator[None]:
    key = _advisory_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        if not cursor.fetchone()[0]:
            if on_wait is not None:
                on_wait()
            cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextmanager
def _file_lock(name: str, on_wait: Callable[[], None] | None) -> Iterator[None]:
    path = settings.DATA_DIR / f"{name}.lock"
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def exclusive(name: str, *, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the lock ``name`` for the block, waiting for whoever holds it; ``on_wait`` is
    called first when that is somebody else (to say so)."""
    lock = _advisory_lock if connection.vendor == "postgresql" else _file_lock
    with lock(name, on_wait):
        yield
