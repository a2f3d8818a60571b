"""Customer analytics: dated scores, segments, the customer ladder and lifetime value.

``stats/`` is the pure numpy/scipy core and imports no Django; ``selectors`` reads the
order book into it (the purchase summary is computed in SQL) and the stored scores;
``services.analysis_run`` scores every customer as of a date and stores the results.
"""
