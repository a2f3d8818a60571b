"""Number and date formats in Spanish in the business's country (es-MX, es-ES…)."""

from functools import partial

from clientela.core.locale import django_format

__getattr__ = partial(django_format, "es")
