"""Signs of life of long runs (an import, an analysis): a file the running process
touches every ``BEAT_EVERY``; a run whose file has not moved for ``LOST_AFTER`` lost
its process (killed, crashed, the machine restarted) and is given up by the sweeps
(``core.background``).

A file rather than a row: an import on SQLite holds the database's write lock, and a
process killed with -9 can stop touching a file, not undo a write. The data folder is
shared by the web server and the workers already (uploads live there).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

BEAT_EVERY = timedelta(seconds=5)
LOST_AFTER = timedelta(seconds=60)


def beat_path(name: str) -> Path:
    """The file that says the run ``name`` (``import-<token>``, ``analysis-<id>``) lives."""
    return Path(settings.DATA_DIR) / "beats" / f"{name}.beat"


@contextmanager
def beating(name: str) -> Iterator[None]:
    """Touch ``name``'s file now and every ``BEAT_EVERY`` while the block runs (from a
    thread, so a long step in between does not stop it); the file goes at the end."""
    path = beat_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(BEAT_EVERY.total_seconds()):
            path.touch()

    thread = threading.Thread(target=beat, name=f"beat {name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        path.unlink(missing_ok=True)


def beat_lost(name: str, *, since: datetime, now: datetime | None = None) -> bool:
    """Whether the run ``name``, started at ``since``, has shown no sign of life for
    ``LOST_AFTER``: its file's last touch (or its start, before any) is older."""
    try:
        last = datetime.fromtimestamp(beat_path(name).stat().st_mtime, tz=UTC)
    except FileNotFoundError:
        last = since
    return max(last, since) < (now or timezone.now()) - LOST_AFTER
