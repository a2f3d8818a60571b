"""Every kind of background work has a queue, and every queue a worker `serve` starts."""

from django.conf import settings

from clientela.analytics.tasks import analysis_task
from clientela.core.background import WORKER_QUEUES
from clientela.imports.tasks import import_task, plan_task
from clientela.orders.tasks import product_tolerance_task
from clientela.webhooks.tasks import subscriber_deliver, webhook_deliver


def test_every_queue_has_one_worker_and_every_task_a_queue():
    taken = [queue for group in WORKER_QUEUES for queue in group.split(",")]

    assert sorted(taken) == sorted(settings.TASKS["default"]["QUEUES"])
    tasks = (
        webhook_deliver,
        subscriber_deliver,
        plan_task,
        import_task,
        analysis_task,
        product_tolerance_task,
    )
    assert {task.queue_name for task in tasks} <= set(taken)
    assert len({webhook_deliver.queue_name, import_task.queue_name, analysis_task.queue_name}) == 3
