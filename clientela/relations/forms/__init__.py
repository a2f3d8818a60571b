"""Forms of relationship work: the pipeline's (``pipeline``) and the agenda's (``agenda``)."""
