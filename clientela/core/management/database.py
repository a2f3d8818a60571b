"""Checks commands make before they touch the database."""

from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import ngettext


def pending_migrations(database: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The migrations not yet applied to the database, as "app.name"."""
    connection = connections[database]
    connection.prepare_database()
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def require_migrated_database(database: str = DEFAULT_DB_ALIAS) -> None:
    """Raise CommandError, telling the user to run `clientela migrate`, if any are pending."""
    pending = pending_migrations(database)
    if pending:
        raise CommandError(
            ngettext(
                "The database is not up to date: %(count)d migration to apply (%(first)s). "
                "Run `clientela migrate` first, then try again.",
                "The database is not up to date: %(count)d migrations to apply (%(first)s…). "
                "Run `clientela migrate` first, then try again.",
                len(pending),
            )
            % {"count": len(pending), "first": pending[0]}
        )
