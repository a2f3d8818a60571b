"""Background work: the task queues, the processes `clientela serve` keeps running, and
the sweeps that give up runs whose process vanished.

Each kind of work has its own queue and its own worker process, so that none waits
behind another: thousands of webhook retries do not delay an analysis, and a long
import does not delay either. Apps register their sweeps at start-up
(``AppConfig.ready``); workers run them as they start and the scheduler every minute,
with the clock jobs apps register for work due at a time.
"""

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable

from django.db import DatabaseError
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# The queues each worker process of `clientela serve` takes (settings.TASKS lists them):
# the outbox's deliveries (webhooks and in-process subscribers) and outgoing e-mail;
# imports and their checks, with the small jobs ("default"); analyses.
WORKER_QUEUES = ("webhooks,mail", "imports,default", "analyses")

_sweeps: list[Callable[[], int]] = []


def sweep_register(sweep: Callable[[], int]) -> None:
    """Have ``sweep`` (returning how many runs it gave up) run with the others."""
    if sweep not in _sweeps:
        _sweeps.append(sweep)


def sweeps_run() -> int:
    """Run every registered sweep; how many runs they gave up in all. A sweep that meets
    a busy or restarting database is logged and tried again at the next call."""
    given_up = 0
    for sweep in _sweeps:
        try:
            given_up += sweep()
        except DatabaseError:
            logger.exception("the sweep %s could not reach the database", sweep.__qualname__)
    return given_up


_clock_jobs: list[Callable[[], int]] = []


def clock_register(job: Callable[[], int]) -> None:
    """Have the scheduler (`clientela schedule`) run ``job`` every minute: work that is
    due at a time rather than enqueued by a request (activities falling due, the morning
    digest). ``job`` returns how much it did, and must do nothing twice."""
    if job not in _clock_jobs:
        _clock_jobs.append(job)


def clock_run() -> int:
    """Run every registered clock job; how much they did in all. A job that meets a busy
    or restarting database is logged and tried again at the next call."""
    done = 0
    for job in _clock_jobs:
        try:
            done += job()
        except DatabaseError:
            logger.exception("the job %s could not reach the database", job.__qualname__)
    return done


# Set by `clientela serve` for the processes it starts: its own process id.
SUPERVISOR_ENV = "CLIENTELA_SUPERVISOR_PID"


def supervisor_watch() -> None:
    """In a process `clientela serve` started: end it (as Ctrl+C would, letting a task
    under way finish) when `serve` is gone, even killed with -9, so that no worker or
    scheduler is left behind. Elsewhere, nothing."""
    supervisor = os.environ.get(SUPERVISOR_ENV)
    if not supervisor or not supervisor.isdigit():
        return

    def watch() -> None:
        while os.getppid() == int(supervisor):
            time.sleep(1)
        logger.warning("clientela serve is gone: stopping")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="supervisor watch", daemon=True).start()


class Supervisor:
    """Keep processes running beside the web server: each started, started again when it
    ends (soon, or after up to a minute when it keeps ending at once), and all stopped
    with ``stop``."""

    QUICK_END = 30  # seconds: a process ending sooner is waited for before it restarts

    def __init__(self, commands: list[list[str]], *, said: Callable[[str], None]):
        self._commands = commands
        self._said = said
        self._processes: list[subprocess.Popen | None] = [None] * len(commands)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._keep, name="supervisor", daemon=True)

    def start(self) -> None:
        """Start the processes, and the thread that watches them."""
        self._thread.start()

    def _spawn(self, index: int) -> subprocess.Popen:
        environment = {**os.environ, SUPERVISOR_ENV: str(os.getpid())}
        process = subprocess.Popen(self._commands[index], env=environment)
        self._processes[index] = process
        return process

    def _keep(self) -> None:
        started = [time.monotonic()] * len(self._commands)
        delays = [1.0] * len(self._commands)
        due: list[float | None] = [None] * len(self._commands)
        for index in range(len(self._commands)):
            self._spawn(index)
        while not self._stopping.wait(0.5):
            for index, process in enumerate(self._processes):
                now = time.monotonic()
                if due[index] is not None:
                    if now >= due[index]:
                        due[index] = None
                        started[index] = now
                        self._spawn(index)
                    continue
                if process is None or process.poll() is None:
                    continue
                quick = now - started[index] < self.QUICK_END
                delays[index] = min(delays[index] * 2, 60.0) if quick else 1.0
                due[index] = now + delays[index]
                self._said(
                    _("“%(command)s” ended; starting it again in %(seconds)d s.")
                    % {"command": " ".join(self._commands[index][3:]), "seconds": delays[index]}
                )

    def stop(self) -> None:
        """Stop watching, then end every process (killed if it has not ended in 10 s)."""
        self._stopping.set()
        self._thread.join()
        running = [p for p in self._processes if p is not None and p.poll() is None]
        for process in running:
            process.terminate()
        for process in running:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
