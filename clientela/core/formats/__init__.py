"""Django's format modules (``FORMAT_MODULE_PATH``): each language's formats in the
business's country, from ``clientela.core.locale.django_format``."""
