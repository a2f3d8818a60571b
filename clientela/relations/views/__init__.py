"""The pages of relationship work: the pipeline (``pipeline``) and the agenda (``agenda``)."""
