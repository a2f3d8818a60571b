"""Dated customer scores, the analysis runs that compute them, and the customer ladder.

An ``AnalysisRun`` reads the order book as of a date and writes one ``CustomerScore``
per live customer for that date (a rerun for the same date replaces them), so that
lists and the dashboard read stored figures and each customer's history of segments
and stages can be shown. The ladder keeps every change of stage as a
``LadderTransition``: inferred ones from one run to the next, manual ones when a
salesperson sets a stage by hand (a ``LadderOverride``, which runs respect).
"""

import copy

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, OrderBy, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clientela.core.models import BaseModel
from clientela.core.validators import text_length_check
from clientela.customers.models import Customer

MONEY = {"max_digits": 16, "decimal_places": 2}
SHARE = {"max_digits": 5, "decimal_places": 2}


class LadderStage(models.TextChoices):
    """The rungs of the customer ladder, lowest first (see ``stats/ladder.py``)."""

    POSSIBLE = "possible", _("Possible customer")
    POTENTIAL = "potential", _("Potential customer")
    BUYER = "buyer", _("Buyer")
    OCCASIONAL = "occasional", _("Occasional customer")
    REGULAR = "regular", _("Regular customer")
    EXCLUSIVE = "exclusive", _("Exclusive customer")
    ADVOCATE = "advocate", _("Advocate")


class RFMSegment(models.TextChoices):
    """The named RFM segments (keys of ``stats/rfm.py``)."""

    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", _("New")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")
    OTHER = "other", _("Other")


class ParetoClass(models.TextChoices):
    A = "A", _("Class A")
    B = "B", _("Class B")
    C = "C", _("Class C")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", pgettext_lazy("analysis run", "Failed")


class RunStep(models.TextChoices):
    STARTING = "starting", _("Starting")
    READING = "reading", _("Reading purchases")
    FITTING = "fitting", _("Fitting the models")
    SCORING = "scoring", _("Scoring customers")
    SAVING = "saving", _("Saving scores")
    FINISHED = "finished", _("Finished")


class AnalysisRun(models.Model):
    """One computation of every customer's scores as of a date.

    ``fitted_models`` holds, per model (``bgnbd``, ``paretonbd``, ``gammagamma``), its
    ``status`` (fitted, boundary, skipped, not_converged, failed, unusable), a ``reason``
    when it was not used, ``boundary`` (same_dropout, no_dropout or empty: a fit at the
    edge of the model, used as its limit, whose ``parameters`` are then the limit's),
    and when fitted its ``parameters``, ``standard_errors``, ``log_likelihood``,
    ``customers`` (the customers it was fitted on), ``converged`` and ``iterations``;
    parameters are in days. ``options`` records the settings the run used and
    ``figures`` the totals of the run (counts per stage, segment and class, the Pareto
    curve…, ``warnings`` about the models and ``previous``: the scoring model and mean
    lifetime value of the run before).
    """

    as_of = models.DateField(_("as of"))
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    progress = models.PositiveSmallIntegerField(
        _("progress"), default=0, validators=[MaxValueValidator(100)]
    )
    step = models.CharField(
        _("step"), max_length=16, choices=RunStep.choices, default=RunStep.STARTING
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    customers_scored = models.PositiveIntegerField(_("customers scored"), default=0)
    fitted_models = models.JSONField(_("fitted models"), default=dict, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("analysis run")
        verbose_name_plural = _("analysis runs")
        ordering = ["-started_at", "-id"]
        indexes = [
            # The latest finished date, and the runs of a date.
            models.Index(fields=["status", "as_of"], name="analysisrun_status_as_of"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="analysisrun_progress_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return _("Analysis as of %(date)s") % {"date": self.as_of}

    @property
    def beat_name(self) -> str:
        """The name of its sign of life while it runs (``core.heartbeat``)."""
        return f"analysis-{self.pk}"


class NullsLastIndex(models.Index):
    """An index whose ``desc(nulls_last=True)`` parts lose NULLS LAST on SQLite, which
    refuses the clause in an index but keeps NULLs last in a descending one anyway: a
    query ordering ``desc(nulls_last=True)`` uses it on SQLite and PostgreSQL alike."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "sqlite" and self.expressions:
            plain = copy.copy(self)
            plain.expressions = tuple(
                OrderBy(part.expression, descending=part.descending)
                if isinstance(part, OrderBy) and part.nulls_last
                else part
                for part in self.expressions
            )
            return models.Index.create_sql(plain, model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)


# Scores flagged as at risk or lost, by the model or by the rule.
FLAGGED = (
    Q(at_risk_by_model=True)
    | Q(lost_by_model=True)
    | Q(at_risk_by_rule=True)
    | Q(lost_by_rule=True)
)


class CustomerScore(models.Model):
    """A customer's scores as of a date (one row per live customer and run date).

    Times are in days. ``purchases`` counts purchase days (several orders on one day are
    one purchase), ``frequency`` the repeat ones; ``recency_days`` runs from the first to
    the last purchase and ``age_days`` (T) from the first purchase to ``as_of``;
    ``monetary_value`` is the mean repeat spend (0 without repeat purchases). Model
    figures are empty when the models could not be used. ``value_at_stake`` is what
    the customer brings while they keep buying, over the lifetime-value horizon (a year
    by default): what losing them costs (``services`` explains both ways it is made).
    """

    # Without a database constraint: checking it costs a run a fifth of its writing time
    # and the rows are derived (Django still deletes them with their customer).
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="scores",
        verbose_name=_("customer"),
        db_index=False,  # the unique (customer, as_of) index serves
        db_constraint=False,
    )
    as_of = models.DateField(_("as of"))
    purchases = models.PositiveIntegerField(_("purchases"), default=0)
    frequency = models.PositiveIntegerField(_("repeat purchases"), default=0)
    recency_days = models.PositiveIntegerField(_("first to last purchase (days)"), default=0)
    age_days = models.PositiveIntegerField(_("customer for (days)"), default=0)
    first_purchase_on = models.DateField(_("first purchase"), null=True, blank=True)
    last_purchase_on = models.DateField(_("last purchase"), null=True, blank=True)
    days_since_last = models.PositiveIntegerField(
        _("days since the last purchase"), null=True, blank=True
    )
    total_revenue = models.DecimalField(_("revenue, all time"), **MONEY, default=0)
    period_revenue = models.DecimalField(_("revenue in the Pareto period"), **MONEY, default=0)
    monetary_value = models.DecimalField(_("mean repeat spend"), **MONEY, default=0)
    usual_interval_days = models.FloatField(_("usual interval (days)"), null=True, blank=True)
    interval_variation = models.FloatField(_("interval variation"), null=True, blank=True)
    pareto_class = models.CharField(
        _("Pareto class"), max_length=1, choices=ParetoClass.choices, blank=True
    )
    recency_score = models.PositiveSmallIntegerField(_("R score"), null=True, blank=True)
    frequency_score = models.PositiveSmallIntegerField(_("F score"), null=True, blank=True)
    monetary_score = models.PositiveSmallIntegerField(_("M score"), null=True, blank=True)
    rfm_segment = models.CharField(
        _("RFM segment"), max_length=24, choices=RFMSegment.choices, blank=True
    )
    probability_alive = models.FloatField(_("probability alive"), null=True, blank=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True, blank=True)
    expected_spend = models.DecimalField(
        _("expected spend per purchase"), **MONEY, null=True, blank=True
    )
    clv = models.DecimalField(_("lifetime value"), **MONEY, null=True, blank=True)
    value_at_stake = models.DecimalField(_("value at stake"), **MONEY, default=0)
    ladder_stage = models.CharField(_("ladder stage"), max_length=16, choices=LadderStage.choices)
    inferred_stage = models.CharField(
        _("stage by the rules"), max_length=16, choices=LadderStage.choices
    )
    share_of_wallet = models.DecimalField(_("share of wallet %"), **SHARE, null=True, blank=True)
    referred_buyers = models.PositiveIntegerField(_("referred buyers"), default=0)
    at_risk_by_model = models.BooleanField(_("at risk (model)"), default=False)
    lost_by_model = models.BooleanField(_("lost (model)"), default=False)
    at_risk_by_rule = models.BooleanField(_("at risk (rule)"), default=False)
    lost_by_rule = models.BooleanField(_("lost (rule)"), default=False)

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        ordering = ["-as_of", "customer_id"]
        constraints = [
            # Also the index of a customer's history.
            models.UniqueConstraint(fields=["customer", "as_of"], name="score_customer_as_of"),
        ]
        # The lists read one date's rows, highest value first, filtered by one score.
        # Every index costs each run time on its million-row insert, so only the
        # filters a page could not fill fast from the plain CLV order have their own:
        # RFM segments (some are small and sit low in CLV) and stages (exclusive and
        # advocates are rare). Pareto classes follow CLV closely enough.
        indexes = [
            NullsLastIndex(
                F("as_of"), F("clv").desc(nulls_last=True), F("id"), name="score_date_clv"
            ),
            NullsLastIndex(
                F("as_of"),
                F("rfm_segment"),
                F("clv").desc(nulls_last=True),
                F("id"),
                name="score_date_segment_clv",
            ),
            NullsLastIndex(
                F("as_of"),
                F("ladder_stage"),
                F("clv").desc(nulls_last=True),
                F("id"),
                name="score_date_stage_clv",
            ),
            # Customers at risk or lost, the most valuable first.
            models.Index(
                F("as_of"),
                F("value_at_stake").desc(),
                F("id"),
                name="score_date_flagged_stake",
                condition=FLAGGED,
            ),
        ]

    # A merge keeps the survivor's score of a date and drops the duplicate's.
    MERGE_UNIQUE_FIELDS = ("as_of",)

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.as_of}"

    @property
    def at_risk(self) -> bool:
        return self.at_risk_by_model or self.at_risk_by_rule

    @property
    def lost(self) -> bool:
        return self.lost_by_model or self.lost_by_rule


class LadderOverride(BaseModel):
    """A stage set by hand: runs keep the customer on it until it is cleared. A customer
    has one, or after a merge of two such customers several: the latest set counts."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="ladder_overrides",
        verbose_name=_("customer"),
        db_index=False,  # override_customer_set serves
    )
    stage = models.CharField(_("stage"), max_length=16, choices=LadderStage.choices)
    reason = models.TextField(_("reason"), validators=[text_length_check])
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("set by"),
    )
    set_at = models.DateTimeField(_("set"), default=timezone.now)

    class Meta:
        verbose_name = _("ladder stage set by hand")
        verbose_name_plural = _("ladder stages set by hand")
        indexes = [
            models.Index(fields=["customer", "set_at", "id"], name="override_customer_set"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.stage}"


class TransitionSource(models.TextChoices):
    INFERRED = "inferred", _("By the rules")
    MANUAL = "manual", _("By hand")


class LadderTransition(models.Model):
    """A change of a customer's stage on a date, by the rules or by hand.

    ``from_stage`` is empty when the stage before was unknown. A customer's first stage
    is read from their first score; transitions record the changes after it.
    """

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="ladder_transitions",
        verbose_name=_("customer"),
        db_index=False,  # transition_customer_on serves
    )
    from_stage = models.CharField(_("from"), max_length=16, choices=LadderStage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=16, choices=LadderStage.choices)
    on = models.DateField(_("date"))
    source = models.CharField(_("source"), max_length=16, choices=TransitionSource.choices)
    run = models.ForeignKey(
        AnalysisRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transitions",
        verbose_name=_("analysis run"),
    )
    reason = models.TextField(_("reason"), blank=True, validators=[text_length_check])
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("ladder transition")
        verbose_name_plural = _("ladder transitions")
        ordering = ["on", "id"]
        indexes = [
            models.Index(fields=["customer", "on", "id"], name="transition_customer_on"),
            # The flows between stages over time; a run reads the manual changes since
            # the last run and replaces its own.
            models.Index(fields=["on", "source"], name="transition_on_source"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_stage=F("to_stage")), name="transition_changes_stage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_stage or '?'} → {self.to_stage} ({self.on})"


class CustomerWallet(BaseModel):
    """A salesperson's estimate of how much of a customer's buying of our kind of
    products comes to us (their share of wallet), on a date."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="wallet_shares",
        verbose_name=_("customer"),
        db_index=False,  # wallet_customer_on serves
    )
    share_percent = models.DecimalField(
        _("share of wallet %"),
        **SHARE,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    recorded_on = models.DateField(_("recorded on"), default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    note = models.TextField(_("note"), blank=True, validators=[text_length_check])

    class Meta:
        verbose_name = _("share of wallet")
        verbose_name_plural = _("shares of wallet")
        ordering = ["-recorded_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "recorded_on", "id"], name="wallet_customer_on"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(share_percent__gte=0, share_percent__lte=100),
                name="wallet_share_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.share_percent}%"
