"""`clientela serve`: run Clientela with gunicorn, a production web server."""

import argparse
import gc
import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils.translation import gettext as _
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from clientela.core.background import WORKER_QUEUES, Supervisor
from clientela.core.log import access_atoms_masked
from clientela.core.management.database import require_migrated_database
from clientela.core.management.ports import default_port, port_in_use, port_number

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class MaskedAccessLogger(Logger):
    """Gunicorn's logger, its access log written with the secrets in addresses (a
    calendar feed's) masked, as Django's own log writes them."""

    def atoms(self, resp, req, environ, request_time):
        """The access log's fields, masked."""
        return access_atoms_masked(super().atoms(resp, req, environ, request_time))


class ClientelaServer(BaseApplication):
    """Gunicorn serving the project's WSGI application (the one ``clientela.wsgi`` gives
    other servers); WhiteNoise serves the static files."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """The application, loaded once before the workers are forked (``preload_app``):
        every module, URL and template a request may need is read now, and set apart
        from the garbage collector (``gc.freeze``), so that the workers share it and a
        full collection in a worker scans only what its requests made, not the whole
        program (a tenth of a second, every few hundred requests)."""
        from django.core.wsgi import get_wsgi_application

        application = get_wsgi_application()
        _warm_up()
        connections.close_all()  # a connection must not be shared by the forked workers
        gc.collect()
        gc.freeze()
        return application


def _warm_up() -> None:
    """Import every view (by the URL patterns), compile every template and read every
    language's catalog, without touching the database."""
    from django.template import engines
    from django.template.loaders.app_directories import get_app_template_dirs
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 (imports every URLconf and its views)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            translation.gettext("Customers")
    engine = engines["django"]
    for directory in [*engine.engine.dirs, *get_app_template_dirs("templates")]:
        for path in Path(directory).rglob("*.html"):
            engine.get_template(str(path.relative_to(directory)))


def bind_address(host: str, port: int) -> str:
    """``host:port`` as gunicorn wants it, IPv6 addresses in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _check_port_free(host: str, port: int) -> None:
    if port_in_use(host, port):
        raise CommandError(
            _("Port %(port)s on %(host)s is already in use; pick another with --port.")
            % {"port": port, "host": host}
        )


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(_("give a whole number of at least 1"))
    return int(value)


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        """The description `--help` shows, in the current language."""
        return _(
            "Run Clientela with its production web server. Static files are served too; "
            "put a TLS-terminating proxy in front of it to reach it from other machines."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            default=os.environ.get("CLIENTELA_HOST", "127.0.0.1"),
            help=_("Address to listen on (default 127.0.0.1: this machine only)."),
        )
        parser.add_argument(
            "--port",
            type=port_number,
            default=default_port(),
            help=_("Port to listen on (default 8000)."),
        )
        parser.add_argument(
            "--workers",
            type=_positive,
            default=os.environ.get("CLIENTELA_WORKERS", "2"),
            help=_("Worker processes answering requests (default 2)."),
        )
        parser.add_argument(
            "--threads",
            type=_positive,
            default=os.environ.get("CLIENTELA_THREADS", "1"),
            help=_(
                "Requests each worker process answers at once, one thread each (default 1): "
                "more help only when the database is far away, for Python runs one thread "
                "of a process at a time."
            ),
        )
        parser.add_argument(
            "--no-tasks",
            action="store_true",
            help=_(
                "Do not start the background workers (webhooks, imports, analyses) nor "
                "the schedule (the daily analysis and backup); run `clientela worker` and `clientela schedule` separately "
                "instead."
            ),
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        workers: int,
        threads: int,
        no_tasks: bool,
        **options,
    ) -> None:
        require_migrated_database()
        # Workers open their own connections; none is carried over the fork.
        connections.close_all()
        _check_port_free(host, port)
        if host not in LOOPBACK_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            self.stderr.write(
                _(
                    "Only requests for %(hosts)s are answered; list the names this server "
                    "is reached by in CLIENTELA_ALLOWED_HOSTS."
                )
                % {"hosts": ", ".join(settings.ALLOWED_HOSTS)}
            )
        shown_host = f"[{host}]" if ":" in host else host
        if "CLIENTELA_BASE_URL" not in os.environ:
            # Links in e-mail (unsubscribe) point where this server answers, unless the
            # address customers reach it at is given; the workers inherit it.
            settings.CLIENTELA_BASE_URL = f"http://{shown_host}:{port}"
            os.environ["CLIENTELA_BASE_URL"] = settings.CLIENTELA_BASE_URL
        self.stdout.write(
            _("Clientela is running at http://%(host)s:%(port)s/ — press Ctrl+C to stop.")
            % {"host": shown_host, "port": port}
        )
        self.stdout.flush()
        # The background work (webhook deliveries, imports, analyses) runs in worker
        # processes beside gunicorn, one per queue, and so does the clock (the daily
        # analysis, the sweeps); they are started again should they end, and end with it.
        supervisor = Supervisor(
            [
                *(
                    [sys.executable, "-m", "clientela", "worker", "--queues", queues]
                    for queues in WORKER_QUEUES
                ),
                [sys.executable, "-m", "clientela", "schedule"],
            ],
            said=self.stderr.write,
        )
        if not no_tasks:
            supervisor.start()
        try:
            self._serve(host, port, workers, threads)
        finally:
            if not no_tasks:
                supervisor.stop()

    def _serve(self, host: str, port: int, workers: int, threads: int) -> None:
        ClientelaServer(
            {
                "bind": bind_address(host, port),
                "workers": workers,
                # Threads answer requests side by side within a worker; a thread keeps
                # its database connection between requests (CONN_MAX_AGE).
                "worker_class": "gthread" if threads > 1 else "sync",
                "threads": threads,
                "accesslog": "-",
                "logger_class": MaskedAccessLogger,
                "errorlog": "-",
                "loglevel": "warning",
                "timeout": 60,
                "graceful_timeout": 10,
                "proc_name": "clientela",
                "preload_app": True,
            }
        ).run()
