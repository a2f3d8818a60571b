"""Offline analysis: the statistics engine on a CSV export of transactions, no database.

``analyze_file`` reads a file (``read_transactions``), summarises, fits and scores every
customer (``analyze_transactions``) and writes ``model.json`` and ``customers.csv``
(``write_results``). ``clientela analyze --transactions`` is its command line.

Rules:

- the file is UTF-8, with or without a BOM, delimited by commas, semicolons or tabs (the
  one that splits the header line into the most columns); the first line is the header,
  blank rows are skipped, and rows are numbered as in a spreadsheet (the header is row 1);
- columns are found by their header name: exactly, else ignoring case;
- dates are read as YYYY-MM-DD (also YYYY/MM/DD, YYYYMMDD) or day first as DD/MM/YYYY
  (also DD.MM.YYYY, DD-MM-YYYY); a time after the date is ignored;
- amounts have a decimal point or a decimal comma and may group thousands with the other
  mark or spaces (1,234.56 · 1.234,56 · 1 234,56); a single mark is the decimal one
  (1,234 is 1.234). Negative amounts (refunds) net against the same day's purchases;
- the time unit is a day, or a week of 7 days counted to the day (as Fader, Hardie & Lee
  express the CDNOW data); either way the purchases of one day are one purchase;
- the models are fitted on the transactions up to the observation end and score the
  customers. With a calibration end they are fitted again on the calibration data, and
  their predictions for the holdout period are compared with what the customers did;
- a model is skipped, with the reason, when the data cannot support it; one that does
  not converge is reported and not used for the scores;
- results are computed in full before anything is written, then written to temporary
  files in the output folder and renamed, so an error leaves the folder as it was.
"""

from __future__ import annotations

import csv
import json
import math
import os
import uuid
from array import array
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.analytics.stats.btyd import (
    UNITS_PER_MONTH,
    FitResult,
    bgnbd,
    conditional_expected_purchases,
    customer_lifetime_value,
    gammagamma,
    paretonbd,
    probability_alive,
)
from clientela.analytics.stats.pareto import pareto_classes
from clientela.analytics.stats.rfm import rfm
from clientela.analytics.stats.summary import (
    TransactionSummary,
    calibration_holdout_summary,
    transaction_summary,
)
from clientela.core.parsing import parse_amount, parse_date

TimeUnit = Literal["day", "week"]

# Days in each time unit (a week is counted to the day: days / 7).
UNIT_DAYS: dict[str, int] = {"day": 1, "week": 7}

# The models need this many customers (Gamma-Gamma: repeat buyers) before they are fitted.
MINIMUM_CUSTOMERS = 10

# A fitted parameter outside this range has run off to a limit of the model.
EXTREME_PARAMETERS = (1e-6, 1e6)

MODEL_NAMES: dict[str, str] = {
    "bgnbd": "BG/NBD",
    "paretonbd": "Pareto/NBD",
    "gammagamma": "Gamma-Gamma",
}

CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "first_purchase",
    "last_purchase",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "probability_alive",
    "expected_purchases",
    "expected_average_spend",
    "clv",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "rfm_segment",
    "pareto_class",
    "revenue",
)

FORMAT_VERSION = 1

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DATE_CACHE_LIMIT = 100_000
_SHOWN_VALUE_LENGTH = 60


class OfflineAnalysisError(Exception):
    """Bad input or options for the offline analysis; the message names the file, column,
    row and value at fault, for the user."""


@dataclass(frozen=True, eq=False)
class Transactions:
    """The rows of a transactions file as arrays, one entry per row.

    ``customer_codes`` index ``customer_ids`` (in order of first appearance); ``days`` count
    days since 1970-01-01; ``amounts`` is ``None`` without an amount column.
    """

    customer_ids: list[str]
    customer_codes: np.ndarray
    days: np.ndarray
    amounts: np.ndarray | None
    source: str
    delimiter: str
    columns: dict[str, str | None]


@dataclass(frozen=True, eq=False)
class OfflineAnalysis:
    """What ``analyze_transactions`` found: ``report`` is the content of model.json,
    ``customers`` the columns of customers.csv (``CUSTOMER_COLUMNS``; ``None`` or NaN for
    an empty cell)."""

    report: dict[str, Any]
    customers: dict[str, Any]


@dataclass(frozen=True, eq=False)
class _Outcome:
    """A model's fit, or why there is none. ``status``: fitted, not_converged, unusable,
    skipped or failed; only a fitted model scores customers."""

    status: str
    fit: FitResult | None = None
    reason: str | None = None
    warning: str | None = None

    @property
    def usable(self) -> bool:
        return self.status == "fitted"


# --- reading ----------------------------------------------------------------------------


def _day_number(value: date | str) -> int:
    if isinstance(value, str):
        value = parse_date(value)
    return value.toordinal() - _EPOCH_ORDINAL


def _iso(day: int) -> str:
    return date.fromordinal(day + _EPOCH_ORDINAL).isoformat()


def _shown(value: str) -> str:
    value = value.strip()
    if len(value) > _SHOWN_VALUE_LENGTH:
        return value[: _SHOWN_VALUE_LENGTH - 1] + "…"
    return value


def _first_line_not_utf8(source: Path) -> int:
    """The number of the first line of ``source`` that is not UTF-8 (0 if none is).
    Text is decoded in blocks, which hides the line of an error: this finds it again."""
    with open(source, "rb") as binary:
        for number, line in enumerate(binary, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def _delimiter(header_line: str) -> str:
    """The delimiter that splits the header line into the most columns (comma on a tie)."""
    best, best_count = ",", 1
    for delimiter in _DELIMITERS:
        count = len(next(csv.reader([header_line], delimiter=delimiter)))
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _column_index(header: list[str], name: str, source: Path) -> int:
    wanted = name.strip()
    if wanted in header:
        return header.index(wanted)
    folded = [column.casefold() for column in header]
    if wanted.casefold() in folded:
        return folded.index(wanted.casefold())
    raise OfflineAnalysisError(
        _("There is no column “%(column)s” in %(file)s; its columns are: %(columns)s.")
        % {
            "column": name,
            "file": source,
            "columns": ", ".join(f"“{column}”" for column in header),
        }
    )


def _empty_value(source: Path, row: int, column: str) -> OfflineAnalysisError:
    return OfflineAnalysisError(
        _("Row %(row)d of %(file)s: column “%(column)s” is empty.")
        % {"row": row, "file": source, "column": column}
    )


def _bad_date(source: Path, row: int, value: str, column: str) -> OfflineAnalysisError:
    return OfflineAnalysisError(
        _(
            "Row %(row)d of %(file)s: the date “%(value)s” in column “%(column)s” could not "
            "be read; write dates as YYYY-MM-DD or DD/MM/YYYY."
        )
        % {"row": row, "file": source, "value": _shown(value), "column": column}
    )


def _bad_amount(source: Path, row: int, value: str, column: str) -> OfflineAnalysisError:
    return OfflineAnalysisError(
        _(
            "Row %(row)d of %(file)s: the amount “%(value)s” in column “%(column)s” could not "
            "be read; write amounts like 1234.56 or 1234,56."
        )
        % {"row": row, "file": source, "value": _shown(value), "column": column}
    )


def read_transactions(
    path: str | os.PathLike,
    *,
    customer_column: str,
    date_column: str,
    amount_column: str | None = None,
) -> Transactions:
    """Read (customer, date[, amount]) from a CSV file into arrays, row by row.

    Raises ``OfflineAnalysisError`` for a file that cannot be read or is not UTF-8, an
    empty file, a file without rows below the header, a missing column (listing the
    columns found), or an empty or unreadable value (naming its row, column and value).
    """
    source = Path(path)
    try:
        stream = open(source, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except OSError as error:
        raise OfflineAnalysisError(
            _("Cannot read %(file)s: %(reason)s.")
            % {"file": source, "reason": error.strerror or error}
        ) from error
    row = 0
    with stream:
        try:
            # The header is the first line that is not blank.
            for header_line in stream:
                row += 1
                if header_line.strip():
                    break
            else:
                raise OfflineAnalysisError(_("%(file)s is empty.") % {"file": source})
            delimiter = _delimiter(header_line)
            header = [cell.strip() for cell in next(csv.reader([header_line], delimiter=delimiter))]
            customer_index = _column_index(header, customer_column, source)
            date_index = _column_index(header, date_column, source)
            amount_index = (
                None if amount_column is None else _column_index(header, amount_column, source)
            )
            columns = {
                "customer": header[customer_index],
                "date": header[date_index],
                "amount": None if amount_index is None else header[amount_index],
            }
            needed = max(customer_index, date_index, amount_index or 0) + 1

            codes, days, amounts = array("i"), array("i"), array("d")
            customer_codes: dict[str, int] = {}
            day_cache: dict[str, int] = {}

            for fields in csv.reader(stream, delimiter=delimiter):
                row += 1
                if len(fields) < needed:
                    fields = fields + [""] * (needed - len(fields))
                customer = fields[customer_index].strip()
                if not customer:
                    if not any(field.strip() for field in fields):
                        continue  # a blank row
                    raise _empty_value(source, row, columns["customer"])
                code = customer_codes.get(customer)
                if code is None:
                    code = customer_codes[customer] = len(customer_codes)
                text = fields[date_index]
                day = day_cache.get(text)
                if day is None:
                    if not text.strip():
                        raise _empty_value(source, row, columns["date"])
                    try:
                        day = _day_number(parse_date(text))
                    except ValueError:
                        raise _bad_date(source, row, text, columns["date"]) from None
                    if len(day_cache) >= _DATE_CACHE_LIMIT:
                        day_cache.clear()
                    day_cache[text] = day
                codes.append(code)
                days.append(day)
                if amount_index is not None:
                    text = fields[amount_index]
                    try:
                        amounts.append(parse_amount(text))
                    except ValueError:
                        if not text.strip():
                            raise _empty_value(source, row, columns["amount"]) from None
                        raise _bad_amount(source, row, text, columns["amount"]) from None
        except UnicodeDecodeError as error:
            raise OfflineAnalysisError(
                _("Row %(row)d of %(file)s is not UTF-8 text; save the file as CSV UTF-8.")
                % {"row": _first_line_not_utf8(source), "file": source}
            ) from error
        except csv.Error as error:
            raise OfflineAnalysisError(
                _("Row %(row)d of %(file)s cannot be read as CSV: %(reason)s.")
                % {"row": row + 1, "file": source, "reason": error}
            ) from error
    if not codes:
        raise OfflineAnalysisError(
            _("%(file)s has a header but no transactions below it.") % {"file": source}
        )
    return Transactions(
        customer_ids=list(customer_codes),
        customer_codes=np.frombuffer(codes, dtype=np.int32),
        days=np.frombuffer(days, dtype=np.int32),
        amounts=None if amount_index is None else np.frombuffer(amounts, dtype=np.float64),
        source=str(source),
        delimiter=delimiter,
        columns=columns,
    )


# --- fitting ----------------------------------------------------------------------------


def _attempt(fitter: Callable[[], FitResult]) -> _Outcome:
    try:
        with np.errstate(all="ignore"):
            fit = fitter()
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as error:
        return _Outcome("failed", reason=_("The fit failed: %(error)s.") % {"error": error})
    if not (np.isfinite(fit.parameters.as_array()).all() and math.isfinite(fit.log_likelihood)):
        return _Outcome("failed", fit, _("The fit gave parameters that are not finite numbers."))
    if not fit.converged:
        return _Outcome(
            "not_converged",
            fit,
            _("The fit did not converge; its parameters are shown but not used for scores."),
        )
    low, high = EXTREME_PARAMETERS
    extreme = [name for name, value in asdict(fit.parameters).items() if not low <= value <= high]
    if extreme:
        return _Outcome(
            "fitted",
            fit,
            warning=_(
                "%(parameters)s went to an extreme: the data cannot pin them down (customers "
                "too alike, or no sign of dropout), so read them, their standard errors and "
                "the log-likelihood with care."
            )
            % {"parameters": ", ".join(extreme)},
        )
    return _Outcome("fitted", fit)


def _too_few(count: int) -> str:
    return ngettext(
        "Needs at least %(minimum)d customers; there is %(count)d.",
        "Needs at least %(minimum)d customers; there are %(count)d.",
        count,
    ) % {"minimum": MINIMUM_CUSTOMERS, "count": count}


def _purchase_model(module, summary: TransactionSummary) -> _Outcome:
    count = summary.frequency.size
    if count < MINIMUM_CUSTOMERS:
        return _Outcome("skipped", reason=_too_few(count))
    if not (summary.frequency > 0).any():
        return _Outcome(
            "skipped",
            reason=_("No customer bought more than once, so repeat buying cannot be modelled."),
        )
    return _attempt(lambda: module.fit(summary.frequency, summary.recency, summary.T))


def _spenders(summary: TransactionSummary) -> np.ndarray:
    """Customers whose repeat purchases have a positive mean value (Gamma-Gamma's data)."""
    assert summary.monetary_value is not None
    return (summary.frequency > 0) & (summary.monetary_value > 0)


def _spend_model(summary: TransactionSummary) -> _Outcome:
    if summary.monetary_value is None:
        return _Outcome("skipped", reason=_("No amount column was given."))
    spenders = _spenders(summary)
    count = int(spenders.sum())
    if count < MINIMUM_CUSTOMERS:
        return _Outcome(
            "skipped",
            reason=ngettext(
                "Needs at least %(minimum)d customers with repeat purchases of positive "
                "value; there is %(count)d.",
                "Needs at least %(minimum)d customers with repeat purchases of positive "
                "value; there are %(count)d.",
                count,
            )
            % {"minimum": MINIMUM_CUSTOMERS, "count": count},
        )
    outcome = _attempt(
        lambda: gammagamma.fit(
            np.where(spenders, summary.frequency, 0),
            np.where(spenders, summary.monetary_value, 0.0),
        )
    )
    if outcome.usable and outcome.fit.parameters.q <= 1:
        return _Outcome(
            "unusable",
            outcome.fit,
            _("q ≤ 1 makes the expected spend infinite; the model is not used for scores."),
        )
    return outcome


def _fit_models(summary: TransactionSummary) -> dict[str, _Outcome]:
    return {
        "bgnbd": _purchase_model(bgnbd, summary),
        "paretonbd": _purchase_model(paretonbd, summary),
        "gammagamma": _spend_model(summary),
    }


def _number(value: float) -> float | None:
    """A float for JSON: ``None`` for NaN and infinities (not valid JSON)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _model_report(outcome: _Outcome) -> dict[str, Any]:
    entry: dict[str, Any] = {"status": outcome.status}
    if outcome.reason:
        entry["reason"] = outcome.reason
    if outcome.warning:
        entry["warning"] = outcome.warning
    fit = outcome.fit
    if fit is not None:
        entry.update(
            parameters={k: _number(v) for k, v in asdict(fit.parameters).items()},
            standard_errors={k: _number(v) for k, v in asdict(fit.standard_errors).items()},
            log_likelihood=_number(fit.log_likelihood),
            n_customers=fit.n_customers,
            converged=fit.converged,
            iterations=fit.iterations,
        )
    return entry


def _purchase_choice(outcomes: dict[str, _Outcome]) -> str | None:
    """The purchase model that scores customers: BG/NBD, else Pareto/NBD, if usable."""
    return next((name for name in ("bgnbd", "paretonbd") if outcomes[name].usable), None)


# --- scoring ----------------------------------------------------------------------------


def _customer_scores(
    transactions: Transactions,
    summary: TransactionSummary,
    outcomes: dict[str, _Outcome],
    *,
    time_unit: TimeUnit,
    months: int,
    monthly_discount_rate: float,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """customers.csv's columns and the report's description of the scores."""
    count = summary.frequency.size
    x, t_x, age = summary.frequency, summary.recency, summary.T
    unit_days = UNIT_DAYS[time_unit]
    end_day = int(summary.observation_end.astype(np.int64))
    first_day = end_day - np.rint(age * unit_days).astype(np.int64)
    last_day = first_day + np.rint(t_x * unit_days).astype(np.int64)
    missing = np.full(count, np.nan)
    alive = expected = spend = value = missing
    horizon = months * UNITS_PER_MONTH[time_unit]

    purchase_name = _purchase_choice(outcomes)
    spend_name = "gammagamma" if outcomes["gammagamma"].usable else None
    with np.errstate(all="ignore"):
        if purchase_name is not None:
            purchase = outcomes[purchase_name].fit.parameters
            alive = probability_alive(purchase, x, t_x, age)
            expected = conditional_expected_purchases(purchase, horizon, x, t_x, age)
        if spend_name is not None:
            spend_parameters = outcomes["gammagamma"].fit.parameters
            spenders = _spenders(summary)
            # Repeat buyers whose refunds cancel their spend have no expected spend.
            known = (x == 0) | spenders
            spend = gammagamma.expected_average_spend(
                spend_parameters,
                np.where(spenders, x, 0),
                np.where(spenders, summary.monetary_value, 0.0),
            )
            spend[~known] = np.nan
            if purchase_name is not None:
                value = customer_lifetime_value(
                    purchase,
                    spend_parameters,
                    x,
                    t_x,
                    age,
                    np.where(known, summary.monetary_value, 1.0),
                    months=months,
                    monthly_discount_rate=monthly_discount_rate,
                    time_unit=time_unit,
                )
                value[~known] = np.nan

    revenue = summary.total_amount
    scores = rfm(age - t_x, x, x if revenue is None else revenue)
    pareto = None if revenue is None else pareto_classes(revenue, tie_breaker=summary.customer_ids)
    segments, segment_counts = np.unique(scores.segment, return_counts=True)
    columns: dict[str, Any] = {
        "customer_id": np.asarray(transactions.customer_ids, dtype=object)[summary.customer_ids],
        "first_purchase": np.datetime_as_string(first_day.astype("datetime64[D]")),
        "last_purchase": np.datetime_as_string(last_day.astype("datetime64[D]")),
        "frequency": x,
        "recency": t_x,
        "T": age,
        "monetary_value": summary.monetary_value,
        "probability_alive": alive,
        "expected_purchases": expected,
        "expected_average_spend": spend,
        "clv": value,
        "recency_score": scores.recency_score,
        "frequency_score": scores.frequency_score,
        "monetary_score": None if revenue is None else scores.monetary_score,
        "rfm_segment": scores.segment,
        "pareto_class": None if pareto is None else pareto.classes,
        "revenue": revenue,
    }
    description: dict[str, Any] = {
        "purchase_model": purchase_name,
        "spend_model": spend_name,
        "horizon_months": months,
        "horizon": horizon,
        "monthly_discount_rate": monthly_discount_rate,
        "rfm_monetary": "revenue" if revenue is not None else "frequency",
        "rfm_segments": dict(zip(segments.tolist(), segment_counts.tolist(), strict=True)),
        "pareto": None
        if pareto is None
        else {
            "period_start": _iso(int(first_day.min())) if count else None,
            "period_end": _iso(end_day),
            "class_counts": pareto.class_counts,
            "class_revenue": {k: _number(v) for k, v in pareto.class_revenue.items()},
            "top_20_percent_share": _number(pareto.top_share),
        },
    }
    return columns, description


# --- holdout ----------------------------------------------------------------------------


def _correlation(predicted: np.ndarray, actual: np.ndarray) -> float | None:
    if predicted.size < 2 or predicted.std() == 0 or actual.std() == 0:
        return None
    return _number(np.corrcoef(predicted, actual)[0, 1])


def _purchase_comparison(predicted: np.ndarray, actual: np.ndarray, x: np.ndarray) -> dict:
    error = predicted - actual
    groups = []
    for low, high, label in [(k, k, str(k)) for k in range(7)] + [(7, np.inf, "7+")]:
        members = (x >= low) & (x <= high)
        if members.any():
            groups.append(
                {
                    "calibration_frequency": label,
                    "customers": int(members.sum()),
                    "predicted_mean": _number(predicted[members].mean()),
                    "actual_mean": _number(actual[members].mean()),
                }
            )
    return {
        "predicted_total": _number(predicted.sum()),
        "actual_total": _number(actual.sum()),
        "mean_absolute_error": _number(np.abs(error).mean()),
        "root_mean_squared_error": _number(np.sqrt((error**2).mean())),
        "correlation": _correlation(predicted, actual),
        "by_calibration_frequency": groups,
    }


def _holdout_report(
    transactions: Transactions,
    full: TransactionSummary,
    *,
    calibration_day: int,
    end_day: int,
    time_unit: TimeUnit,
) -> dict[str, Any]:
    unit_days = UNIT_DAYS[time_unit]
    split = calibration_holdout_summary(
        transactions.customer_codes,
        transactions.days,
        transactions.amounts,
        calibration_end=np.datetime64(calibration_day, "D"),
        observation_end=np.datetime64(end_day, "D"),
        time_unit="day",
        unit_multiplier=unit_days,
    )
    calibration = split.calibration
    first_days = end_day - np.rint(full.T * unit_days)
    outcomes = _fit_models(calibration)
    models = {name: _model_report(outcome) for name, outcome in outcomes.items()}
    x, t_x, age = calibration.frequency, calibration.recency, calibration.T
    actual = split.frequency_holdout.astype(float)
    with np.errstate(all="ignore"):
        for name in ("bgnbd", "paretonbd"):
            if outcomes[name].usable:
                predicted = conditional_expected_purchases(
                    outcomes[name].fit.parameters, split.duration_holdout, x, t_x, age
                )
                models[name]["holdout"] = _purchase_comparison(predicted, actual, x)
        if outcomes["gammagamma"].usable and split.monetary_value_holdout is not None:
            spenders = _spenders(calibration)
            compared = ((x == 0) | spenders) & (split.frequency_holdout > 0)
            predicted = gammagamma.expected_average_spend(
                outcomes["gammagamma"].fit.parameters,
                np.where(spenders, x, 0)[compared],
                np.where(spenders, calibration.monetary_value, 0.0)[compared],
            )
            observed = split.monetary_value_holdout[compared]
            models["gammagamma"]["holdout"] = {
                "customers": int(compared.sum()),
                "predicted_mean_spend": _number(predicted.mean()) if predicted.size else None,
                "actual_mean_spend": _number(observed.mean()) if observed.size else None,
                "mean_absolute_error": _number(np.abs(predicted - observed).mean())
                if predicted.size
                else None,
            }
    return {
        "calibration_end": _iso(calibration_day),
        "holdout_start": _iso(calibration_day + 1),
        "holdout_end": _iso(end_day),
        "holdout_length": split.duration_holdout,
        "customers": int(x.size),
        "customers_first_buying_in_holdout": int((first_days > calibration_day).sum()),
        "models": models,
    }


# --- the analysis -----------------------------------------------------------------------


def analyze_transactions(
    transactions: Transactions,
    *,
    time_unit: TimeUnit = "day",
    calibration_end: date | str | None = None,
    observation_end: date | str | None = None,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
) -> OfflineAnalysis:
    """Summarise, fit and score the customers of ``transactions``.

    ``observation_end`` defaults to the last date; later transactions are ignored.
    ``calibration_end`` adds the holdout comparison. Expected purchases and CLV look
    ``months`` ahead (CLV discounted by ``monthly_discount_rate``). Raises
    ``OfflineAnalysisError`` for dates outside the data or in the wrong order.
    """
    if time_unit not in UNIT_DAYS:
        raise OfflineAnalysisError(
            _("The time unit must be day or week, not “%(unit)s”.") % {"unit": time_unit}
        )
    days = transactions.days
    first_day, last_day = int(days.min()), int(days.max())
    end_day = last_day if observation_end is None else _day_number(observation_end)
    if end_day < first_day:
        raise OfflineAnalysisError(
            _("The observation end %(end)s is before the first transaction, on %(first)s.")
            % {"end": _iso(end_day), "first": _iso(first_day)}
        )
    calibration_day = None
    if calibration_end is not None:
        calibration_day = _day_number(calibration_end)
        if calibration_day < first_day:
            raise OfflineAnalysisError(
                _("The calibration end %(end)s is before the first transaction, on %(first)s.")
                % {"end": _iso(calibration_day), "first": _iso(first_day)}
            )
        if calibration_day >= end_day:
            raise OfflineAnalysisError(
                _(
                    "The calibration end %(calibration)s must be before the observation end "
                    "%(end)s, to leave a holdout period to compare with."
                )
                % {"calibration": _iso(calibration_day), "end": _iso(end_day)}
            )

    summary = transaction_summary(
        transactions.customer_codes,
        days,
        transactions.amounts,
        observation_end=np.datetime64(end_day, "D"),
        time_unit="day",
        unit_multiplier=UNIT_DAYS[time_unit],
    )
    outcomes = _fit_models(summary)
    customers, scores = _customer_scores(
        transactions,
        summary,
        outcomes,
        time_unit=time_unit,
        months=months,
        monthly_discount_rate=monthly_discount_rate,
    )
    report: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "input": _input_report(transactions, end_day),
        "options": {
            "time_unit": time_unit,
            "unit_days": UNIT_DAYS[time_unit],
            "observation_end": _iso(end_day),
            "calibration_end": None if calibration_day is None else _iso(calibration_day),
            "months": months,
            "monthly_discount_rate": monthly_discount_rate,
        },
        "customers": int(summary.frequency.size),
        "models": {name: _model_report(outcome) for name, outcome in outcomes.items()},
        "scores": scores,
        "holdout": None
        if calibration_day is None
        else _holdout_report(
            transactions,
            summary,
            calibration_day=calibration_day,
            end_day=end_day,
            time_unit=time_unit,
        ),
    }
    return OfflineAnalysis(report=report, customers=customers)


def _input_report(transactions: Transactions, end_day: int) -> dict[str, Any]:
    codes, days, amounts = transactions.customer_codes, transactions.days, transactions.amounts
    keys = (codes, days) if amounts is None else (codes, days, amounts)
    order = np.lexsort(keys[::-1])
    same = np.ones(max(codes.size - 1, 0), dtype=bool)
    for key in keys:
        ordered = key[order]
        same &= ordered[1:] == ordered[:-1]
    return {
        "file": transactions.source,
        "delimiter": _DELIMITERS[transactions.delimiter],
        "columns": transactions.columns,
        "rows": int(codes.size),
        "customers": len(transactions.customer_ids),
        "first_date": _iso(int(days.min())),
        "last_date": _iso(int(days.max())),
        "rows_after_observation_end": int((days > end_day).sum()),
        "duplicate_rows": int(same.sum()),
        "negative_amount_rows": None if amounts is None else int((amounts < 0).sum()),
    }


# --- writing ----------------------------------------------------------------------------


def _cells(values: Any, count: int) -> Iterable[Any]:
    """A column's cells: floats rounded to 6 decimals, ``None`` (an empty cell) for NaN."""
    if values is None:
        return [None] * count
    array_values = np.asarray(values)
    if array_values.dtype.kind != "f":
        return array_values.tolist()
    cells = np.round(array_values, 6).astype(object)
    cells[~np.isfinite(array_values)] = None
    return cells.tolist()


def write_results(analysis: OfflineAnalysis, out_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``model.json`` and ``customers.csv`` into ``out_dir`` (created if needed)
    through temporary files renamed at the end; returns their paths. Raises
    ``OfflineAnalysisError`` if they cannot be written, leaving the folder as it was."""
    folder = Path(out_dir)
    created = not folder.exists()
    targets = (folder / "model.json", folder / "customers.csv")
    temporaries = [folder / f".{target.name}.{uuid.uuid4().hex}.tmp" for target in targets]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(temporaries[0], "x", encoding="utf-8") as model_file:
            json.dump(analysis.report, model_file, ensure_ascii=False, indent=2, allow_nan=False)
            model_file.write("\n")
        count = len(analysis.customers["customer_id"])
        columns = [_cells(analysis.customers[name], count) for name in CUSTOMER_COLUMNS]
        with open(temporaries[1], "x", encoding="utf-8", newline="") as customers_file:
            writer = csv.writer(customers_file)
            writer.writerow(CUSTOMER_COLUMNS)
            writer.writerows(zip(*columns, strict=True))
        for temporary, target in zip(temporaries, targets, strict=True):
            os.replace(temporary, target)
    except OSError as error:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        raise OfflineAnalysisError(
            _("Cannot write the results to %(folder)s: %(reason)s.")
            % {"folder": folder, "reason": error.strerror or error}
        ) from error
    return targets


def analyze_file(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    customer_column: str,
    date_column: str,
    amount_column: str | None = None,
    time_unit: TimeUnit = "day",
    calibration_end: date | str | None = None,
    observation_end: date | str | None = None,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
) -> OfflineAnalysis:
    """Read a transactions CSV, analyse it and write ``out_dir/model.json`` and
    ``out_dir/customers.csv``; nothing is written if any step raises
    ``OfflineAnalysisError``."""
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise OfflineAnalysisError(
            _("%(folder)s is a file; give a folder for the results.") % {"folder": folder}
        )
    transactions = read_transactions(
        path,
        customer_column=customer_column,
        date_column=date_column,
        amount_column=amount_column,
    )
    analysis = analyze_transactions(
        transactions,
        time_unit=time_unit,
        calibration_end=calibration_end,
        observation_end=observation_end,
        months=months,
        monthly_discount_rate=monthly_discount_rate,
    )
    write_results(analysis, folder)
    return analysis
