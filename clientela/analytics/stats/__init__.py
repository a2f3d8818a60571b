"""Pure statistics for customer analytics: numpy and scipy only, no Django.

Modules:

- ``summary``: per-customer (frequency, recency, T, monetary value) from transactions,
  with an optional calibration/holdout split.
- ``rfm``: recency, frequency and monetary scores and the named RFM segments.
- ``pareto``: A/B/C classes over revenue and the Pareto curve.
- ``ladder``: the customer ladder (possible → … → advocate) by configurable rules.
- ``btyd``: "buy till you die" models fitted by maximum likelihood (BG/NBD, Pareto/NBD,
  Gamma-Gamma) and customer lifetime value.
- ``scoring``: the pipeline from summaries to every customer's scores (the models'
  fits, probability alive, expected purchases and spend, lifetime value, RFM, Pareto
  classes), shared by the database run and the offline analysis.
- ``simulate``: draw customers from those models with known parameters.

Inputs are numpy arrays; results are frozen dataclasses whose arrays are read-only.
"""

# The purchase models, by the name of their module in ``btyd`` (named here too, for
# callers that check a name before loading scipy with the models).
PURCHASE_MODELS = ("bgnbd", "paretonbd")

# Days in each time unit of the scores (a week is counted to the day: days / 7).
UNIT_DAYS: dict[str, int] = {"day": 1, "week": 7}
