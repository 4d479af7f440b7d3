"""/healthz: database, Redis and Celery-worker state; 503 when a configured part is down.

The Celery check needs either eager mode (reported as "eager") or a worker answering a ping; the
tests here use eager mode or a broker without a worker, and test_celery_worker.py checks "ok" with a
real worker running."""

import pytest

pytestmark = pytest.mark.django_db


def test_healthy_with_eager_celery(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "celery": "eager"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_public_without_login(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get("/healthz", follow=False)
    assert response.status_code == 200  # not a redirect to the login page


def test_503_when_redis_is_stopped(client, settings, private_redis):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.REDIS_URL = private_redis.url
    healthy = client.get("/healthz")
    assert healthy.status_code == 200
    assert healthy.json()["checks"]["redis"] == "ok"

    private_redis.stop()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "checks": {"database": "ok", "redis": "error", "celery": "eager"},
    }


def test_503_when_no_celery_worker_answers(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker is configured, but no worker runs
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "celery": "error"}
