"""`clientela analyze`: recompute the analytics of the database, or analyse a CSV export of
transactions without a database (`--transactions FILE.csv ... --out DIR`)."""

import argparse
import time
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.analytics import wording
from clientela.analytics.offline import (
    MODEL_NAMES,
    OfflineAnalysis,
    OfflineAnalysisError,
    analyze_file,
    parse_date,
)
from clientela.core.management.database import require_migrated_database

# The options of the offline analysis (destination → flag), and those it cannot go without.
FILE_OPTIONS = {
    "customer_col": "--customer-col",
    "date_col": "--date-col",
    "amount_col": "--amount-col",
    "time_unit": "--time-unit",
    "calibration_end": "--calibration-end",
    "observation_end": "--observation-end",
    "models": "--models",
    "out": "--out",
}
REQUIRED_FILE_OPTIONS = ("customer_col", "date_col", "out")


def _date(value: str) -> date:
    try:
        return parse_date(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("“%(value)s” is not a date; write YYYY-MM-DD or DD/MM/YYYY.") % {"value": value}
        ) from None


def _plain(text: str) -> str:
    return text


def _models(value: str) -> list[str]:
    """The models of ``--models``: names separated by commas, each one known."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in MODEL_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            _("“%(value)s” names no model or an unknown one; the models are %(models)s.")
            % {"value": value, "models": ", ".join(MODEL_NAMES)}
        )
    return names


def _figure(value: float | None) -> str:
    """A number for the terminal: 4 significant digits, or one decimal from 1000 up."""
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:.1f}".removesuffix(".0")
    return f"{value:.4g}"


class Command(BaseCommand):
    # A file needs no database, URLs or admin: Django's system checks (over half a
    # second at every start) would only delay it.
    requires_system_checks: list[str] = []

    @property
    def help(self) -> str:  # type: ignore[override]
        """The description `--help` shows, in the current language."""
        return _(
            "Recompute every customer's scores (RFM, Pareto class, probability alive, "
            "lifetime value, ladder stage) in the database. With --transactions, analyse a "
            "CSV export of transactions instead, without a database, and write model.json "
            "and customers.csv to the --out folder."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        database = parser.add_argument_group(_("the database"))
        database.add_argument(
            "--as-of",
            type=_date,
            metavar=_("DATE"),
            help=_("Compute the scores as they were on this date (default: today)."),
        )
        offline = parser.add_argument_group(_("a file of transactions, without a database"))
        offline.add_argument(
            "--transactions",
            metavar=_("FILE.csv"),
            help=_(
                "A CSV file with a header row and one row per purchase, as the spreadsheet "
                "import reads it (UTF-8, Windows-1251 or -1252; commas, semicolons or tabs; "
                "a title above the header is skipped)."
            ),
        )
        offline.add_argument(
            "--customer-col",
            dest="customer_col",
            metavar=_("COLUMN"),
            help=_("The header of the column that identifies the customer."),
        )
        offline.add_argument(
            "--date-col",
            dest="date_col",
            metavar=_("COLUMN"),
            help=_("The header of the column with the date (YYYY-MM-DD or DD/MM/YYYY)."),
        )
        offline.add_argument(
            "--amount-col",
            dest="amount_col",
            metavar=_("COLUMN"),
            help=_(
                "The header of the column with the amount (decimal point or comma); without "
                "it there is no spend model, lifetime value or Pareto class."
            ),
        )
        offline.add_argument(
            "--time-unit",
            choices=("day", "week"),
            help=_(
                "The unit of recency, T and the model parameters (default day); a week is 7 "
                "days counted to the day."
            ),
        )
        offline.add_argument(
            "--calibration-end",
            type=_date,
            metavar=_("DATE"),
            help=_(
                "Also fit the models on the transactions up to this date and compare their "
                "predictions with the purchases after it."
            ),
        )
        offline.add_argument(
            "--observation-end",
            type=_date,
            metavar=_("DATE"),
            help=_("Ignore transactions after this date (default: the last date in the file)."),
        )
        offline.add_argument(
            "--models",
            type=_models,
            metavar=_("MODEL,..."),
            help=_(
                "The models to fit, separated by commas: bgnbd, paretonbd, gammagamma "
                "(default: CLIENTELA_ANALYTICS_MODELS, all three). Leave out paretonbd for "
                "a run several times faster."
            ),
        )
        offline.add_argument(
            "--out",
            metavar=_("FOLDER"),
            help=_("Where to write model.json and customers.csv (created if needed)."),
        )

    def handle(self, *args, **options) -> None:
        if options["transactions"] is None:
            given = [flag for key, flag in FILE_OPTIONS.items() if options[key] is not None]
            if given:
                raise CommandError(
                    ngettext(
                        "%(options)s applies only to a file given with --transactions.",
                        "%(options)s apply only to a file given with --transactions.",
                        len(given),
                    )
                    % {"options": ", ".join(given)}
                )
            self._recompute_database(options["as_of"], options["verbosity"])
            return
        if options["as_of"] is not None:
            raise CommandError(
                _(
                    "--as-of applies to the database; to analyse a file up to a date, use "
                    "--observation-end."
                )
            )
        missing = [FILE_OPTIONS[key] for key in REQUIRED_FILE_OPTIONS if not options[key]]
        if missing:
            raise CommandError(
                _("Analysing a file with --transactions also needs %(options)s.")
                % {"options": ", ".join(missing)}
            )
        self._analyze_file(options)

    def _recompute_database(self, as_of: date | None, verbosity: int) -> None:
        from clientela.analytics.models import RunStatus
        from clientela.analytics.services import analysis_run

        require_migrated_database()

        def progress(percent: int, step: str) -> None:
            self.stderr.write(f"{int(percent):3d}% {step}", style_func=_plain)
            self.stderr.flush()

        try:
            run = analysis_run(actor=None, as_of=as_of, progress=progress if verbosity else None)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from error
        if run.status == RunStatus.FAILED:
            raise CommandError(_("The analysis failed: %(error)s") % {"error": run.error})
        self.stdout.write(
            _("Scored %(count)d customers as of %(date)s.")
            % {"count": run.customers_scored, "date": run.as_of.isoformat()}
        )
        for line in self._model_lines(run.fitted_models or {}):
            self.stdout.write(line)
        for warning in wording.run_warnings(run):
            self.stderr.write(_("Warning: %(warning)s") % {"warning": warning})

    def _analyze_file(self, options: dict[str, Any]) -> None:
        started = time.perf_counter()

        def progress(stage: str) -> None:
            self.stderr.write(f"{time.perf_counter() - started:6.1f} s  {stage}", style_func=_plain)
            self.stderr.flush()

        try:
            analysis = analyze_file(
                options["transactions"],
                options["out"],
                customer_column=options["customer_col"],
                date_column=options["date_col"],
                amount_column=options["amount_col"],
                time_unit=options["time_unit"] or "day",
                calibration_end=options["calibration_end"],
                observation_end=options["observation_end"],
                models=options["models"] or settings.CLIENTELA_ANALYTICS_MODELS,
                purchase_model=settings.CLIENTELA_ANALYTICS_PURCHASE_MODEL,
                progress=progress if options["verbosity"] else None,
            )
        except OfflineAnalysisError as error:
            raise CommandError(str(error)) from error
        for line in self._summary(analysis, options["out"]):
            self.stdout.write(line)

    def _summary(self, analysis: OfflineAnalysis, folder: str) -> list[str]:
        """A few lines for the terminal: the data, each model's parameters, the holdout."""
        report = analysis.report
        source, settings = report["input"], report["options"]
        unit = _("days") if settings["time_unit"] == "day" else _("weeks")
        lines = [
            _(
                "%(customers)d customers, %(rows)d transactions from %(first)s to %(last)s "
                "(%(file)s); times in %(unit)s."
            )
            % {
                "customers": source["customers"],
                "rows": source["rows"],
                "first": source["first_date"],
                "last": source["last_date"],
                "file": source["file"],
                "unit": unit,
            }
        ]
        if source["rows_after_observation_end"]:
            lines.append(
                ngettext(
                    "%(count)d row after the observation end %(end)s is left out.",
                    "%(count)d rows after the observation end %(end)s are left out.",
                    source["rows_after_observation_end"],
                )
                % {
                    "count": source["rows_after_observation_end"],
                    "end": settings["observation_end"],
                }
            )
        if source["duplicate_rows"]:
            lines.append(
                ngettext(
                    "%(count)d row repeats an earlier one exactly (customer, date and amount); "
                    "it is kept, and its amount added to that day's purchase.",
                    "%(count)d rows repeat earlier ones exactly (customer, date and amount); "
                    "they are kept, and their amounts added to that day's purchase.",
                    source["duplicate_rows"],
                )
                % {"count": source["duplicate_rows"]}
            )
        if source["negative_amount_rows"]:
            lines.append(
                ngettext(
                    "%(count)d row has a negative amount (a refund); it nets against the "
                    "same day's purchases.",
                    "%(count)d rows have negative amounts (refunds); they net against the "
                    "same day's purchases.",
                    source["negative_amount_rows"],
                )
                % {"count": source["negative_amount_rows"]}
            )
        lines.append(
            _("Models fitted on the transactions up to %(end)s:")
            % {"end": settings["observation_end"]}
        )
        lines.extend(self._model_lines(report["models"]))
        holdout = report["holdout"]
        if holdout is not None:
            lines.append(
                _(
                    "Models fitted on the calibration data up to %(end)s, predicting the "
                    "%(length)s %(unit)s after it:"
                )
                % {
                    "end": holdout["calibration_end"],
                    "length": _figure(holdout["holdout_length"]),
                    "unit": unit,
                }
            )
            lines.extend(self._model_lines(holdout["models"]))
        lines.append(
            _("Wrote %(model)s and %(customers)s.")
            % {"model": f"{folder}/model.json", "customers": f"{folder}/customers.csv"}
        )
        return lines

    def _model_lines(self, models: dict[str, dict[str, Any]]) -> list[str]:
        lines = []
        for key, model in models.items():
            name = MODEL_NAMES.get(key, key)
            if not model.get("parameters"):
                lines.append(
                    _("  %(model)s: not fitted. %(reason)s")
                    % {"model": name, "reason": model.get("reason", "")}
                )
                continue
            parameters = ", ".join(
                f"{parameter}={_figure(value)}" for parameter, value in model["parameters"].items()
            )
            line = _(
                "  %(model)s: %(parameters)s; log-likelihood %(log_likelihood)s, %(customers)d "
                "customers."
            ) % {
                "model": name,
                "parameters": parameters,
                "log_likelihood": _figure(model.get("log_likelihood")),
                # model.json says n_customers; a database run's record says customers.
                "customers": model.get("n_customers", model.get("customers", 0)),
            }
            if model.get("status") != "fitted" and model.get("reason"):
                line = f"{line} {model['reason']}"
            lines.append(line)
            if model.get("boundary"):
                lines.append(f"    {wording.boundary_explanation(key, model)}")
            if "warning" in model:
                lines.append(f"    {model['warning']}")
            comparison = model.get("holdout")
            if comparison and "predicted_total" in comparison:
                lines.append(
                    _(
                        "    holdout purchases: %(predicted)s predicted, %(actual)s made; mean "
                        "absolute error %(error)s per customer, correlation %(correlation)s."
                    )
                    % {
                        "predicted": _figure(comparison["predicted_total"]),
                        "actual": _figure(comparison["actual_total"]),
                        "error": _figure(comparison["mean_absolute_error"]),
                        "correlation": _figure(comparison["correlation"]),
                    }
                )
            elif comparison and comparison["customers"]:
                lines.append(
                    _(
                        "    holdout spend: %(predicted)s predicted, %(actual)s spent on average "
                        "by %(customers)d customers."
                    )
                    % {
                        "predicted": _figure(comparison["predicted_mean_spend"]),
                        "actual": _figure(comparison["actual_mean_spend"]),
                        "customers": comparison["customers"],
                    }
                )
        return lines
