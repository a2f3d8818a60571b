"""Relationship work in spreadsheets: the import kinds ``opportunities``, ``activities``
and ``interactions`` with their export rows (each in its module; ``_common`` holds how
their rows find customers, people and the contacts counted against the limits)."""
