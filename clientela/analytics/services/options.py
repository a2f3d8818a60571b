"""The settings an analysis run uses (``CLIENTELA_ANALYTICS_*``), read and checked once
at its start, stored on the run, and handed to the scoring pipeline as its options and
churn rules."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.conf import settings

from clientela.analytics.stats import PURCHASE_MODELS, ladder, scoring


@dataclass(frozen=True)
class AnalysisOptions:
    """The settings a run uses (``CLIENTELA_ANALYTICS_*``, see ``clientela/settings.py``)."""

    models: tuple[str, ...]
    purchase_model: str
    min_repeat_buyers: int
    horizon_days: int
    clv_months: int
    monthly_discount_rate: float
    pareto_months: int
    at_risk_alive: float
    lost_alive: float
    at_risk_intervals: float
    lost_intervals: float
    prospect_sources: tuple[str, ...]
    ladder: ladder.LadderRules

    @classmethod
    def from_settings(cls) -> AnalysisOptions:
        """The options the settings give, checked (``ValueError`` says which is wrong)."""
        options = cls(
            models=tuple(settings.CLIENTELA_ANALYTICS_MODELS),
            purchase_model=settings.CLIENTELA_ANALYTICS_PURCHASE_MODEL,
            min_repeat_buyers=settings.CLIENTELA_ANALYTICS_MIN_REPEAT_BUYERS,
            horizon_days=settings.CLIENTELA_ANALYTICS_HORIZON_DAYS,
            clv_months=settings.CLIENTELA_ANALYTICS_CLV_MONTHS,
            monthly_discount_rate=settings.CLIENTELA_ANALYTICS_MONTHLY_DISCOUNT_RATE,
            pareto_months=settings.CLIENTELA_ANALYTICS_PARETO_MONTHS,
            at_risk_alive=settings.CLIENTELA_ANALYTICS_AT_RISK_ALIVE,
            lost_alive=settings.CLIENTELA_ANALYTICS_LOST_ALIVE,
            at_risk_intervals=settings.CLIENTELA_ANALYTICS_AT_RISK_INTERVALS,
            lost_intervals=settings.CLIENTELA_ANALYTICS_LOST_INTERVALS,
            prospect_sources=tuple(settings.CLIENTELA_ANALYTICS_PROSPECT_SOURCES),
            ladder=ladder.LadderRules(
                window_days=settings.CLIENTELA_ANALYTICS_LADDER_WINDOW_DAYS,
                regular_min_purchases=settings.CLIENTELA_ANALYTICS_REGULAR_MIN_PURCHASES,
                regular_max_variation=settings.CLIENTELA_ANALYTICS_REGULAR_MAX_VARIATION,
                regular_max_silence=settings.CLIENTELA_ANALYTICS_REGULAR_MAX_SILENCE or None,
                exclusive_min_share=settings.CLIENTELA_ANALYTICS_EXCLUSIVE_MIN_SHARE / 100,
                advocate_min_referrals=settings.CLIENTELA_ANALYTICS_ADVOCATE_MIN_REFERRALS,
            ),
        )
        unknown = set(options.models) - set(scoring.MODELS)
        if unknown:
            raise ValueError(f"unknown analytics models: {', '.join(sorted(unknown))}")
        if options.purchase_model not in PURCHASE_MODELS:
            raise ValueError(f"the purchase model must be one of {', '.join(PURCHASE_MODELS)}")
        if options.horizon_days < 1 or options.clv_months < 0 or options.pareto_months < 1:
            raise ValueError("the analytics horizons must be positive")
        if not 0 <= options.lost_alive <= options.at_risk_alive <= 1:
            raise ValueError("need 0 <= CLIENTELA_ANALYTICS_LOST_ALIVE <= ..._AT_RISK_ALIVE <= 1")
        if not 0 < options.at_risk_intervals <= options.lost_intervals:
            raise ValueError("need 0 < ..._AT_RISK_INTERVALS <= ..._LOST_INTERVALS")
        return options

    def as_json(self) -> dict:
        """The options as the run stores them (``AnalysisRun.options``)."""
        return dataclasses.asdict(self)

    def scoring_options(self) -> scoring.ScoringOptions:
        """The options of the scoring pipeline (times in days)."""
        return scoring.ScoringOptions(
            models=self.models,
            purchase_model=self.purchase_model,
            time_unit="day",
            horizon=self.horizon_days,
            clv_months=self.clv_months,
            monthly_discount_rate=self.monthly_discount_rate,
            min_repeat_buyers=self.min_repeat_buyers,
            min_spenders=self.min_repeat_buyers,
        )

    def churn_rules(self) -> scoring.ChurnRules:
        """When a customer is at risk or lost, by the model and by their rhythm."""
        return scoring.ChurnRules(
            at_risk_alive=self.at_risk_alive,
            lost_alive=self.lost_alive,
            at_risk_intervals=self.at_risk_intervals,
            lost_intervals=self.lost_intervals,
        )
