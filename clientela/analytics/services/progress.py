"""A run's progress: its percent and step committed as it goes, so another request can
show them, the seconds spent on each step, and the caller told."""

import time
from collections.abc import Callable

from clientela.analytics.models import AnalysisRun, RunStep

ProgressCallback = Callable[[int, str], None]


class _Progress:
    """Stores a run's progress (committed as it goes) and tells the caller."""

    def __init__(self, run: AnalysisRun, callback: ProgressCallback | None):
        self.run = run
        self.callback = callback
        self.started = time.monotonic()
        self.seconds: dict[str, float] = {}

    def __call__(self, percent: int, step: str) -> None:
        now = time.monotonic()
        previous = RunStep(self.run.step).value
        self.seconds[previous] = round(self.seconds.get(previous, 0.0) + now - self.started, 3)
        self.started = now
        self.run.progress, self.run.step = percent, RunStep(step).value
        AnalysisRun.objects.filter(pk=self.run.pk).update(progress=percent, step=step)
        if self.callback is not None:
            self.callback(percent, str(RunStep(step).label))
