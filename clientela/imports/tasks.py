"""The wizard's dry run and the import applied as background work, for every file alike,
run by the imports worker that ``clientela serve`` starts (``clientela worker``): the
wizard's mapping marks a run to be planned and enqueues ``plan_task``; the wizard's
Apply and the API mark a planned run and enqueue ``import_task``."""

import logging
from collections.abc import Callable, Mapping

from django.db import transaction
from django.utils import translation
from django_tasks import TaskResult, task

from clientela.core.models import User
from clientela.imports import services
from clientela.imports.models import ImportRun

logger = logging.getLogger(__name__)


def _carry_out(
    run_id: int, execute: Callable[..., ImportRun | None], what: str, waiting: str
) -> None:
    """Sweep old files, then ``execute`` the run ``run_id`` in its uploader's language
    (its messages are written in it) and log what came of it."""
    services.import_files_sweep()
    language = ImportRun.objects.filter(pk=run_id).values_list("language", flat=True).first()
    with translation.override(language):
        run = execute(run_id=run_id)
    if run is None:
        logger.warning("%s %s not made: it is not %s", what, run_id, waiting)
    else:
        logger.info("%s %s of %s: %s", what, run.pk, run.file_name, run.state)


@transaction.atomic
def import_run_check(
    *,
    actor: User | None,
    run: ImportRun,
    columns: Mapping[int, str],
    sheet: str = "",
    save_mapping: bool = False,
) -> TaskResult:
    """Keep ``run``'s mapping and have the background worker make its dry run (see
    ``services.import_run_map`` for what is refused: then nothing is enqueued)."""
    services.import_run_map(
        actor=actor, run=run, columns=columns, sheet=sheet, save_mapping=save_mapping
    )
    return plan_task.enqueue(run_id=run.pk)


@task(queue_name="imports")
def plan_task(run_id: int) -> None:
    """Make the dry run of the run ``run_id`` (``services.import_run_plan_execute``)."""
    _carry_out(run_id, services.import_run_plan_execute, "dry run", "waiting for one")


@transaction.atomic
def import_run_start(*, actor: User | None, run: ImportRun, skip_invalid: bool) -> TaskResult:
    """Have the background worker apply the planned ``run`` (see
    ``services.import_run_queue`` for what is refused)."""
    services.import_run_queue(actor=actor, run=run, skip_invalid=skip_invalid)
    return import_task.enqueue(run_id=run.pk)


@task(queue_name="imports")
def import_task(run_id: int) -> None:
    """Apply the run ``run_id`` (``services.import_run_execute``)."""
    _carry_out(run_id, services.import_run_execute, "import", "waiting to be applied")
