"""Writes for analytics: the analysis run that scores every customer, stages set by hand
on the customer ladder, and shares of wallet.

One module per subject: ``run`` (``analysis_run``: the run recorded, the book read,
scored and saved; runs whose process vanished given up), and the steps it takes in
turn: ``options`` (the settings it uses), ``reading`` (the order book as of a date),
``scoring`` (the pipeline and the ladder on the book), ``saving`` (a date's scores and
stage changes stored, old dates thinned by ``scores_thin``), ``progress`` (its percent
and step committed as it goes) and ``report`` (each model's outcome, the totals and
warnings). ``overrides`` (stages set by hand) and ``wallet`` (shares of wallet) are
written by people; ``_common`` holds what those two share. Callers import from here.
"""

from clientela.analytics.services.overrides import ladder_override, ladder_override_clear
from clientela.analytics.services.run import analysis_run, analysis_runs_vanished_sweep
from clientela.analytics.services.saving import scores_thin
from clientela.analytics.services.wallet import customer_wallet_record

__all__ = [
    "analysis_run",
    "analysis_runs_vanished_sweep",
    "customer_wallet_record",
    "ladder_override",
    "ladder_override_clear",
    "scores_thin",
]
