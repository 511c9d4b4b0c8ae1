"""Tasks for tests/newsroom/test_worker.py (a task must be importable by path)."""

from django.tasks import task

from newsletter.models import Delivery


@task
def answer(value: int) -> int:
    return value


@task
def count_deliveries() -> int:
    return Delivery.objects.count()
