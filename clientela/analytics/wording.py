"""The words of the analysis: one name and one explanation per figure, why a model was
not fitted or is not used, the warnings of a run, and why a customer's figures may seem to
disagree.

Three different things are easy to confuse, so each has its own words everywhere:

- **by their rhythm** (the rule, ``*_by_rule``): *overdue* after no purchase for
  ``CLIENTELA_ANALYTICS_AT_RISK_INTERVALS`` times their usual interval, *lapsed* after
  ``..._LOST_INTERVALS`` times;
- **by the model** (``*_by_model``, from the probability that they still buy):
  *may be leaving* below ``CLIENTELA_ANALYTICS_AT_RISK_ALIVE``, *likely gone* below
  ``..._LOST_ALIVE``;
- **RFM segments** (Champions … Lost): ranks of recency, frequency and money against the
  other customers, not a judgement on whether someone still buys.

*Drifting away* is overdue or may be leaving, and neither lapsed nor likely gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from clientela.analytics.models import AnalysisRun, CustomerScore
from clientela.core.locale import money_text, percent_text

if TYPE_CHECKING:
    from clientela.analytics.stats.scoring import FitOutcome

MODEL_NAMES = {"bgnbd": "BG/NBD", "paretonbd": "Pareto/NBD", "gammagamma": "Gamma-Gamma"}

# The churn lists of ``selectors.CHURN``, named for people.
CHURN_LABELS = {
    "active": pgettext_lazy("customers", "Active"),
    "at_risk": pgettext_lazy("customers", "Drifting away"),
    "overdue": pgettext_lazy("customers", "Overdue"),
    "lapsed": pgettext_lazy("customers", "Lapsed"),
    "leaving": pgettext_lazy("customers", "May be leaving"),
    "likely_gone": pgettext_lazy("customers", "Likely gone"),
    "lost": pgettext_lazy("customers", "Lapsed or likely gone"),
    "flagged": gettext_lazy("Any warning"),
}

RFM_EXPLANATIONS = {
    "champions": gettext_lazy("Bought very recently, often and much."),
    "loyal": gettext_lazy("Buy often and much, not quite as recently."),
    "potential_loyalist": gettext_lazy("Recent buyers of middling frequency and spend."),
    "new": gettext_lazy("Bought very recently, but little so far."),
    "promising": gettext_lazy("Recent buyers who have not bought much yet."),
    "need_attention": gettext_lazy("Middling on recency, frequency and spend."),
    "about_to_sleep": gettext_lazy("Bought a while ago, rarely and little."),
    "at_risk": gettext_lazy("Bought often and much, but long ago."),
    "cant_lose": gettext_lazy("Among the best buyers, but not for a long time."),
    "hibernating": gettext_lazy("Bought long ago, rarely and little."),
    "lost": gettext_lazy(
        "The lowest ranks: bought longest ago, rarely and little (a rank against the"
        " other customers, not the rule's “lapsed” nor the model's “likely gone”)."
    ),
    "other": gettext_lazy("No segment of the grid."),
}


def _options(run: AnalysisRun | None) -> dict:
    return (run.options or {}) if run is not None else {}


def _number(value: float) -> str:
    return f"{value:g}"


def _money(amount) -> str:
    """An amount in the user's locale, nothing for none."""
    return "" if amount is None else money_text(amount)


def _percent(share) -> str:
    """A 0–1 share as a whole percentage in the user's locale, nothing for none."""
    return "" if share is None else percent_text(float(share))


def _share(value: float) -> str:
    """A probability as a percentage; "< 1 %" rather than "0 %" for a tiny one."""
    if 0 < value < 0.005:
        return "< " + _percent(0.01)
    return _percent(value)


def churn_explanations(run: AnalysisRun | None) -> dict[str, str]:
    """What each churn list means, with the run's thresholds."""
    options = _options(run)
    at_risk_intervals = _number(options.get("at_risk_intervals", 2))
    lost_intervals = _number(options.get("lost_intervals", 3))
    at_risk_alive = _percent(options.get("at_risk_alive", 0.5))
    lost_alive = _percent(options.get("lost_alive", 0.2))
    return {
        "active": _("Bought, and no warning from their rhythm nor from the model."),
        "at_risk": _(
            "Overdue or may be leaving, but not yet lapsed nor likely gone: the ones to call now."
        ),
        "overdue": _(
            "By their rhythm: no purchase for more than %(times)s times their usual"
            " interval between purchases."
        )
        % {"times": at_risk_intervals},
        "lapsed": _(
            "By their rhythm: no purchase for more than %(times)s times their usual"
            " interval between purchases."
        )
        % {"times": lost_intervals},
        "leaving": _("By the model: below %(share)s probability that they still buy.")
        % {"share": at_risk_alive},
        "likely_gone": _("By the model: below %(share)s probability that they still buy.")
        % {"share": lost_alive},
        "lost": _("Lapsed by their rhythm, or likely gone by the model."),
        "flagged": _("Any of: overdue, lapsed, may be leaving, likely gone."),
    }


def figure_explanations(run: AnalysisRun | None) -> dict[str, str]:
    """One line under each figure of the dashboard and the score lists."""
    options = _options(run)
    months = options.get("clv_months", 12)
    return {
        "probability_alive": _(
            "The model's probability that the customer still buys from us, from how often"
            " and how recently they bought compared with everyone."
        ),
        "clv": _(
            "Expected spend over the next %(months)s months, discounted, times the"
            " probability that they still buy."
        )
        % {"months": months},
        "mean_clv": _("The average lifetime value of the customers the model scored."),
        "value_at_stake": _(
            "What they would spend over the next %(months)s months if they keep buying:"
            " what losing them costs."
        )
        % {"months": months},
        "new": _("First purchase within these days."),
        "period_revenue": _("Bought orders in the period the Pareto classes are made on."),
        "pareto_class": _(
            "By revenue of the Pareto period: A are the fewest customers making %(a)s of it,"
            " B the next %(b)s, C the rest. It looks back; lifetime value looks ahead."
        )
        % {"a": _percent(0.8), "b": _percent(0.15)},
    }


def boundary_explanation(model: str, record: dict) -> str:
    """Why a fit at the edge of its parameters is used, in words."""
    if record.get("boundary") == "same_dropout":
        return _(
            "The best fit lies at the edge of the model (a and b without bound): every"
            " customer has the same %(share)s chance of leaving after each purchase. The"
            " scores use this limiting model."
        ) % {"share": _percent((record.get("parameters") or {}).get("p"))}
    if record.get("boundary") == "no_dropout":
        return _(
            "The best fit lies at the edge of the model: no customer is seen leaving, so"
            " everyone counts as still buying (the NBD model). The scores use this limiting"
            " model."
        )
    return ""


def fit_reason(outcome: FitOutcome) -> str:
    """Why a model was not fitted or is not used (``FitOutcome.reason``), in words;
    nothing for a usable fit."""
    reason, count, minimum = outcome.reason, outcome.count, outcome.minimum
    if reason == "not_wanted":
        return _("Not among the models to fit.")
    if reason == "no_amounts":
        return _("No amount column was given.")
    if reason == "too_few_customers":
        return ngettext(
            "Needs at least %(minimum)d customers; there is %(count)d.",
            "Needs at least %(minimum)d customers; there are %(count)d.",
            count,
        ) % {"minimum": minimum, "count": count}
    if reason == "too_few_repeat_buyers":
        if not count:
            return _("No customer bought more than once, so repeat buying cannot be modelled.")
        return _(
            "Only %(count)d customers bought more than once; the model needs at least %(minimum)d."
        ) % {"count": count, "minimum": minimum}
    if reason == "too_few_spenders":
        return ngettext(
            "Only %(count)d customer bought more than once for a positive amount; the model "
            "needs at least %(minimum)d.",
            "Only %(count)d customers bought more than once for a positive amount; the model "
            "needs at least %(minimum)d.",
            count,
        ) % {"count": count, "minimum": minimum}
    if reason == "error":
        return _("The fit failed: %(error)s.") % {"error": outcome.error}
    if reason == "not_finite":
        return _("The fit gave a log-likelihood or parameters that are not finite numbers.")
    if reason == "not_converged":
        return _("The fit did not converge; its parameters are shown but not used for scores.")
    if reason == "infinite_spend":
        return _("q ≤ 1 makes the expected spend infinite; the model is not used for scores.")
    return ""


def fit_warning(outcome: FitOutcome) -> str:
    """What to mind in a usable fit whose parameters ran off to a limit, in words;
    nothing for another."""
    if not outcome.extreme:
        return ""
    return _(
        "%(parameters)s went to an extreme: the data cannot pin them down (customers "
        "too alike, or no sign of dropout), so read them, their standard errors and "
        "the log-likelihood with care."
    ) % {"parameters": ", ".join(outcome.extreme)}


_CHANGES = {
    "purchase": gettext_lazy(
        "probability alive, expected purchases, lifetime value, value at stake and the"
        " model's warnings (may be leaving, likely gone)"
    ),
    "spend": gettext_lazy("lifetime value and value at stake"),
}


def run_warnings(run: AnalysisRun | None, *, business: bool = True) -> list[str]:
    """The run's warnings (``services.report._warnings``) in words, each saying what it
    changes; without ``business`` (a salesperson limited to their own customers), without
    the business's mean lifetime value before and after."""
    if run is None:
        return []
    figures = run.figures or {}
    messages = []
    for warning in figures.get("warnings") or []:
        code = warning.get("code")
        if code == "model_failed":
            name = MODEL_NAMES.get(warning["model"], warning["model"])
            record = (run.fitted_models or {}).get(warning["model"]) or {}
            if warning["model"] == "gammagamma":
                consequence = _(
                    "Lifetime value is empty and the value at stake is each customer's"
                    " revenue per year."
                )
            elif warning["model"] != (run.options or {}).get("purchase_model"):
                consequence = _("It is only a comparison: the scores do not change.")
            else:
                consequence = ""  # the switch (or no model at all) says what changes
            messages.append(
                " ".join(
                    part
                    for part in (
                        _("%(model)s could not be used: %(reason)s")
                        % {"model": name, "reason": record.get("reason") or warning["status"]},
                        consequence,
                    )
                    if part
                )
            )
        elif code == "model_switched":
            messages.append(
                _(
                    "The customers are scored with %(to)s instead of %(from)s, so these"
                    " figures are %(to)s's: %(changes)s."
                )
                % {
                    "to": MODEL_NAMES.get(warning["to"], warning["to"]),
                    "from": MODEL_NAMES.get(warning["from"], warning["from"]),
                    "changes": _CHANGES["purchase"],
                }
            )
        elif code == "no_purchase_model":
            messages.append(
                _(
                    "No purchase model could be used: %(changes)s are empty, and only the"
                    " customers' rhythm warns of churn."
                )
                % {"changes": _CHANGES["purchase"]}
            )
        elif code == "scoring_model_changed":
            previous = figures.get("previous") or {}
            text = _(
                "The scoring model changed from %(from)s (analysis of %(date)s) to %(to)s:"
                " %(changes)s are not comparable with that analysis."
            ) % {
                "from": MODEL_NAMES.get(warning["from"], warning["from"]),
                "to": MODEL_NAMES.get(warning["to"], warning["to"]),
                "date": warning["previous_as_of"],
                "changes": _CHANGES["purchase"],
            }
            if (
                business
                and previous.get("mean_clv") is not None
                and figures.get("mean_clv") is not None
            ):
                text += " " + _("Mean lifetime value went from %(before)s to %(after)s.") % {
                    "before": _money(previous["mean_clv"]),
                    "after": _money(figures["mean_clv"]),
                }
            messages.append(text)
    return messages


def churn_labels(score: CustomerScore) -> list[tuple[str, str]]:
    """The customer's warnings as (key, label): the rule's first, then the model's."""
    labels = []
    if score.lost_by_rule:
        labels.append(("lapsed", CHURN_LABELS["lapsed"]))
    elif score.at_risk_by_rule:
        labels.append(("overdue", CHURN_LABELS["overdue"]))
    if score.lost_by_model:
        labels.append(("likely_gone", CHURN_LABELS["likely_gone"]))
    elif score.at_risk_by_model:
        labels.append(("leaving", CHURN_LABELS["leaving"]))
    return labels


def score_notes(score: CustomerScore, run: AnalysisRun | None) -> list[str]:
    """Why a customer's figures may seem to disagree, in words: the rule and the model
    at odds, a high class with a low lifetime value, a single purchase."""
    options = _options(run)
    purchase_model = (run.figures or {}).get("purchase_model") if run is not None else None
    notes = []
    alive = score.probability_alive
    silent = score.days_since_last
    flagged_by_rule = score.lost_by_rule or score.at_risk_by_rule
    if flagged_by_rule and alive is not None and alive >= options.get("at_risk_alive", 0.5):
        if score.purchases == 1 and purchase_model == "bgnbd":
            notes.append(
                _(
                    "Bought only once, %(days)s days ago. BG/NBD lets a customer leave only"
                    " right after a repeat purchase, so it counts everyone who bought once"
                    " as still buying (%(alive)s). The rule, which goes by their silence,"
                    " says “%(flag)s”."
                )
                % {
                    "days": silent,
                    "alive": _share(alive),
                    "flag": churn_labels(score)[0][1],
                }
            )
        else:
            notes.append(
                _(
                    "Silent for %(days)s days, more than their usual interval allows, yet the"
                    " model gives %(alive)s that they still buy: compared with all customers,"
                    " a gap this long is not rare for someone who buys this seldom, and few"
                    " customers are seen leaving."
                )
                % {"days": silent, "alive": _share(alive)}
            )
    if (
        alive is not None
        and score.clv is not None
        and alive < options.get("lost_alive", 0.2)
        and score.purchases > 1
    ):
        interval = score.usual_interval_days
        notes.append(
            _(
                "They bought every %(interval)s days or so but not for %(days)s days, so the"
                " model gives only %(alive)s that they still buy: their lifetime value is"
                " %(value)s if they keep buying × %(alive)s = %(clv)s."
            )
            % {
                "interval": round(interval) if interval is not None else "—",
                "days": silent,
                "alive": _share(alive),
                "value": _money(score.value_at_stake),
                "clv": _money(score.clv),
            }
        )
        if score.pareto_class in ("A", "B"):
            notes.append(
                _(
                    "Class %(class)s looks back (their revenue of the Pareto period);"
                    " lifetime value looks ahead."
                )
                % {"class": score.pareto_class}
            )
    if score.purchases == 1 and score.expected_spend is not None:
        notes.append(
            _(
                "One purchase says little about what they will spend, so their expected"
                " spend per purchase is the average customer's, %(spend)s."
            )
            % {"spend": _money(score.expected_spend)}
        )
    return notes
