"""Number and date formats in English in the business's country (en-US, en-GB…)."""

from functools import partial

from clientela.core.locale import django_format

__getattr__ = partial(django_format, "en")
