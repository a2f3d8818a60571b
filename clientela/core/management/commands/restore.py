"""`clientela restore FILE`: a backup into an empty database, verified table by table."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from clientela.core.backup import BackupError, backup_restore
from clientela.core.management.database import pending_migrations


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        """The description `--help` shows, in the current language."""
        return _(
            "Restore a backup made by `clientela backup` into an empty database (stop "
            "Clientela first), then check every table's row count and checksum against it."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help=_("The backup file to restore."))
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help=_("The database to restore into (default: the one Clientela uses)."),
        )

    def handle(self, *args, file: Path, database: str, **options) -> None:
        try:
            summary = backup_restore(file, database=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("%(figures)s verified: the database is identical to the backup %(file)s.")
            % {"figures": summary.describe(), "file": file}
        )
        if pending_migrations(database):
            self.stdout.write(
                _("The backup was made by an older Clientela: run `clientela migrate` now.")
            )
