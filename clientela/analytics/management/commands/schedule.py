"""`clientela schedule`: the clock of background work. It enqueues the customer analysis
at CLIENTELA_ANALYTICS_DAILY_AT, backs the database up once a day into
CLIENTELA_BACKUP_DIR (keeping CLIENTELA_BACKUP_KEEP backups), and every minute gives up
the runs whose worker vanished and runs the apps' clock jobs (``core.background``: the
due activities, the morning digests).

django-tasks runs what is enqueued but has no clock; this small loop is the clock.
`clientela serve` starts it beside the task workers (`clientela worker`), which run the
analysis; the backup runs here, in the loop's own process (SQLite's copy and pg_dump go
on while the server writes).
"""

import logging
import signal
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.analytics.tasks import analysis_schedule_tick, daily_at_parse
from clientela.core.background import clock_run, supervisor_watch, sweeps_run
from clientela.core.backup import BackupError, backup_schedule_tick

logger = logging.getLogger(__name__)

# A daily backup that failed (no pg_dump, a full disk…) is tried again this much later.
BACKUP_RETRY = timedelta(hours=1)


def _stop(signum, frame) -> None:
    """Stop as on Ctrl+C, so that a backup under way removes its unfinished files."""
    raise SystemExit(0)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        """The description `--help` shows, in the current language."""
        return _(
            "Enqueue the customer analysis once a day at CLIENTELA_ANALYTICS_DAILY_AT (local "
            "time) unless a run already finished that day; the background worker "
            "(`clientela worker`) runs it. Back the database up into CLIENTELA_BACKUP_DIR "
            "unless a backup was made there today, keeping the CLIENTELA_BACKUP_KEEP newest. "
            "Every check also gives up the runs whose worker vanished. Runs until stopped; "
            "`clientela serve` starts it."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help=_("Check once whether the analysis or the backup is due, do it if so, and stop."),
        )
        parser.add_argument(
            "--interval",
            type=_positive,
            default=60,
            help=_("Seconds between checks (default 60)."),
        )

    def handle(self, *args, once: bool, interval: int, **options) -> None:
        try:
            daily_at = daily_at_parse(settings.CLIENTELA_ANALYTICS_DAILY_AT)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        backups = settings.CLIENTELA_BACKUP_KEEP > 0
        if daily_at is None:
            self.stdout.write(
                _("CLIENTELA_ANALYTICS_DAILY_AT is empty: no daily analysis is scheduled.")
            )
        if not backups:
            self.stdout.write(_("CLIENTELA_BACKUP_KEEP is 0: no daily backup is made."))
        backup_after = None  # a failed backup is tried again after this time
        if not once:
            signal.signal(signal.SIGTERM, _stop)  # how `clientela serve` stops it
        supervisor_watch()
        while True:
            sweeps_run()
            clock_run()
            if daily_at is not None:
                self._analysis_tick()
            if backups and (backup_after is None or timezone.now() >= backup_after):
                backup_after = self._backup_tick()
            if once:
                return
            close_old_connections()  # a loop that runs for days keeps no stale connection
            time.sleep(interval)

    def _analysis_tick(self) -> None:
        try:
            if analysis_schedule_tick():
                self.stdout.write(_("Queued the daily customer analysis."))
                self.stdout.flush()
        except DatabaseError:
            # The database may be busy or restarting: try again at the next check.
            logger.exception("the daily analysis schedule could not check the database")

    def _backup_tick(self) -> datetime | None:
        """Make the day's backup if it is due; when it fails, the time to try again."""
        try:
            path = backup_schedule_tick()
        except BackupError as error:
            logger.error("the daily backup failed; trying again in an hour: %s", error)
            return timezone.now() + BACKUP_RETRY
        except Exception:
            logger.exception("the daily backup failed; trying again in an hour")
            return timezone.now() + BACKUP_RETRY
        if path is not None:
            self.stdout.write(_("Backed up the database to %(file)s.") % {"file": path})
            self.stdout.flush()
        return None
