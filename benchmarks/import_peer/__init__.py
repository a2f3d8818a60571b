"""The benchmark's peer: a customer model imported with django-import-export.

Used only by ``benchmarks/imports.py``, which adds this app and ``import_export`` to the
installed apps of its own process and creates the tables itself (no migrations).
"""
