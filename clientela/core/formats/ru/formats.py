"""Number and date formats in Russian in the business's country (ru-RU, ru-KZ…)."""

from functools import partial

from clientela.core.locale import django_format

__getattr__ = partial(django_format, "ru")
