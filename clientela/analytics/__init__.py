"""Customer analytics: scores, segments and lifetime value (the Django side comes later).

``stats/`` is the pure numpy/scipy core and imports no Django.
"""
