"""The import applied as background work, for every file alike: the wizard's Apply and
the API mark a planned run and enqueue ``import_task``, which the worker that
``clientela serve`` starts (``clientela db_worker``) runs."""

import logging

from django.db import transaction
from django_tasks import TaskResult, task

from clientela.core.models import User
from clientela.imports import services
from clientela.imports.models import ImportRun

logger = logging.getLogger(__name__)


@transaction.atomic
def import_run_start(*, actor: User | None, run: ImportRun, skip_invalid: bool) -> TaskResult:
    """Have the background worker apply the planned ``run`` (see
    ``services.import_run_queue`` for what is refused)."""
    services.import_run_queue(actor=actor, run=run, skip_invalid=skip_invalid)
    return import_task.enqueue(run_id=run.pk)


@task()
def import_task(run_id: int) -> None:
    """Apply the run ``run_id`` (``services.import_run_execute``)."""
    services.import_files_sweep()
    run = services.import_run_execute(run_id=run_id)
    if run is None:
        logger.warning("import %s not run: it is not waiting to be applied", run_id)
    else:
        logger.info("import %s of %s: %s", run.pk, run.file_name, run.state)
