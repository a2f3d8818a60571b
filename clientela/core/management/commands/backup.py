"""`clientela backup FILE`: one file holding a consistent copy of the database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from clientela.core.backup import BackupError, backup_create


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        """The description `--help` shows, in the current language."""
        return _(
            "Back up the database into one file while Clientela keeps running: a copy "
            "(SQLite's backup API, or pg_dump for PostgreSQL) with every table's row count "
            "and checksum, which `clientela restore` checks."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help=_("The backup file to write."))
        parser.add_argument(
            "--force", action="store_true", help=_("Replace the file if it exists.")
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help=_("The database to back up (default: the one Clientela uses)."),
        )

    def handle(self, *args, file: Path, force: bool, database: str, **options) -> None:
        try:
            summary = backup_create(file, database=database, replace=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("%(figures)s verified; backup written to %(file)s.")
            % {"figures": summary.describe(), "file": file}
        )
