"""The Celery app takes its configuration from the Django settings (CELERY_* names)."""

from django.conf import settings

from alliances import celery_app
from alliances.celery import app


def test_project_package_exposes_the_app():
    assert celery_app is app
    assert app.main == "alliances"


def test_json_only():
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"
    assert list(app.conf.accept_content) == ["json"]


def test_reliability_options():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_beat_reads_schedules_from_the_database():
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


def test_time_limits_come_from_settings():
    assert app.conf.task_soft_time_limit == settings.CELERY_TASK_SOFT_TIME_LIMIT
    assert app.conf.task_time_limit == settings.CELERY_TASK_TIME_LIMIT
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_broker_and_timezone_come_from_settings():
    assert app.conf.broker_url == (settings.REDIS_URL or "memory://")
    assert app.conf.timezone == "Europe/Paris"


def test_eager_mode_propagates_errors_in_tests():
    # conftest forces eager mode whatever the environment, so tests never need a worker.
    assert app.conf.task_always_eager is True
    assert app.conf.task_eager_propagates is True


def test_a_task_runs_eagerly():
    @app.task(name="tests.add")
    def add(x, y):
        return x + y

    assert add.delay(2, 3).get() == 5
