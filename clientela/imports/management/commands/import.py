"""``clientela import KIND FILE``: the same import the wizard runs, from a terminal."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from clientela.core.access import AccessDenied
from clientela.core.models import User
from clientela.imports.services import import_kind_check
from clientela.sheets.exporting import export_write, refused_rows
from clientela.sheets.importing import ImportRefused, sheet_import, sheet_plan
from clientela.sheets.mapping import (
    MappingError,
    mapping_check,
    mapping_from_json,
    match_columns,
)
from clientela.sheets.plan import Plan
from clientela.sheets.reading import open_sheet
from clientela.sheets.registry import sheet_kind, sheet_kind_keys
from clientela.sheets.table import SpreadsheetError


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        """The description `--help` shows, in the current language."""
        return _(
            "Import a spreadsheet (.xlsx, .xls, .ods or .csv): print what each row does and why a row "
            "is refused. Exits with 1 when a row is refused (nothing is written then, unless "
            "--skip-invalid)."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sheet_kind_keys(), help=_("What the file holds."))
        parser.add_argument(
            "file", metavar=_("FILE"), help=_("The .xlsx, .xls, .ods or .csv file.")
        )
        parser.add_argument("--sheet", help=_("The sheet of a workbook (default: the first)."))
        parser.add_argument(
            "--mapping",
            metavar=_("MAPPING.json"),
            help=_("Which column holds which field: a JSON object of header → field key."),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Say what would change; write nothing.")
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help=_("Import the valid rows and leave out the refused ones."),
        )
        parser.add_argument(
            "--user",
            help=_(
                "The user who imports: the history records them, and the rows do only what "
                "they may (default: the system)."
            ),
        )
        parser.add_argument(
            "--refused",
            metavar=_("FILE"),
            help=_(
                "Write the refused rows, as they were, with the reason in a last column, to "
                "this .xlsx or .csv file: corrected, it imports again."
            ),
        )

    def handle(self, *args, **options) -> None:
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(
                    _("There is no active user “%(name)s”.") % {"name": options["user"]}
                )
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("There is no file %(path)s.") % {"path": path})
        saved = None
        if options["mapping"]:
            try:
                saved = json.loads(Path(options["mapping"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise CommandError(
                    _("The mapping file cannot be read: %(error)s") % {"error": error}
                ) from error
        kind = sheet_kind(options["kind"])
        try:
            import_kind_check(actor, kind)
        except AccessDenied as error:
            raise CommandError(
                _("%(user)s may not import %(kind)s.")
                % {"user": options["user"], "kind": str(kind.label).lower()}
            ) from error
        try:
            sheet = open_sheet(path, sheet=options["sheet"])
            if saved is not None:
                columns = mapping_from_json(saved, sheet.headers)
            else:
                columns = match_columns(sheet.headers, kind.fields)
            mapping_check(columns, sheet.headers, kind.fields)
            if options["dry_run"]:
                plan = sheet_plan(kind, sheet, columns, user=actor)
            else:
                plan = sheet_import(
                    kind=kind,
                    actor=actor,
                    sheet=sheet,
                    columns=columns,
                    source=path.name,
                    skip_invalid=options["skip_invalid"],
                    waiting=lambda: self.stderr.write(
                        _("Another import is running: this one starts when it ends.")
                    ),
                )
        except ImportRefused as refusal:
            plan = refusal.plan
        except (SpreadsheetError, MappingError) as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        refused = plan.refused
        if refused and options["refused"]:
            written = export_write(
                refused_rows(open_sheet(path, sheet=options["sheet"]), plan), options["refused"]
            )
            self.stdout.write(
                _("The refused rows are in %(file)s (%(count)d).")
                % {"file": options["refused"], "count": written}
            )
        applied = not options["dry_run"] and (not refused or options["skip_invalid"])
        self._report(sheet.headers, columns, plan, applied=applied)
        if not applied and not options["dry_run"]:
            self.stdout.write(_("Nothing was imported."))
        if refused:
            raise SystemExit(1)

    def _report(self, headers, columns, plan: Plan, *, applied: bool) -> None:
        mapped = ", ".join(f"{headers[index]} → {key}" for index, key in columns.items())
        self.stdout.write(_("Columns: %(mapped)s") % {"mapped": mapped or "—"})
        if applied:
            summary = _(
                "%(create)d created, %(update)d updated, %(unchanged)d unchanged, "
                "%(refused)d refused."
            )
        else:
            summary = _(
                "%(create)d to create, %(update)d to update, %(unchanged)d unchanged, "
                "%(refused)d refused."
            )
        self.stdout.write(summary % plan.counts)
        for similar in plan.similar:
            self.stdout.write(
                "  "
                + _("row %(row)s looks like #%(id)s, %(name)s: see the duplicates.")
                % {"row": similar.row, "id": similar.target, "name": similar.name}
            )
        for problem in plan.problems:
            where = _("row %(row)s") % {"row": problem.row}
            if problem.column:
                where += f", {problem.column}"
            if problem.value:
                where += f" “{problem.value}”"
            self.stdout.write(f"  {where}: {problem.message}")
