"""The import wizard and its runs, the imports API and the ``import`` and ``export``
commands, over the kinds of sheet the apps register with ``clientela.sheets``."""
