"""Pure statistics for customer analytics: numpy and scipy only, no Django.

Modules:

- ``summary``: per-customer (frequency, recency, T, monetary value) from transactions,
  with an optional calibration/holdout split.
- ``rfm``: recency, frequency and monetary scores and the named RFM segments.
- ``pareto``: A/B/C classes over revenue and the Pareto curve.
- ``ladder``: the customer ladder (possible → … → advocate) by configurable rules.
- ``btyd``: "buy till you die" models fitted by maximum likelihood (BG/NBD, Pareto/NBD,
  Gamma-Gamma) and customer lifetime value.
- ``simulate``: draw customers from those models with known parameters.

Inputs are numpy arrays; results are frozen dataclasses whose arrays are read-only.
"""

# The purchase models, by the name of their module in ``btyd`` (named here too, for
# callers that check a name before loading scipy with the models).
PURCHASE_MODELS = ("bgnbd", "paretonbd")
