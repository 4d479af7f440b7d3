"""Deployment files stay in step with the code: every variable the settings read is documented in
.env.example, and the compose file runs what the issue asks for."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def documented_variables() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_every_setting_read_from_the_environment_is_in_env_example():
    settings_source = "".join(
        (ROOT / "kosha_portal" / name).read_text(encoding="utf-8")
        for name in ("settings.py", "database.py")
    )
    read = set(re.findall(r"env\.\w+\(\s*\"([A-Z][A-Z0-9_]+)\"", settings_source))
    gunicorn_source = (ROOT / "gunicorn.conf.py").read_text(encoding="utf-8")
    read |= set(re.findall(r"os\.environ\.get\(\"([A-Z][A-Z0-9_]+)\"", gunicorn_source))
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "GUNICORN_WORKERS"} <= read  # the regexes work
    missing = read - documented_variables()
    assert not missing, f"add these to .env.example: {sorted(missing)}"


def test_env_example_has_no_real_secret():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    secrets = dict(re.findall(r"^([A-Z_]*(?:SECRET|PASSWORD)[A-Z_]*)=(.*)$", text, re.MULTILINE))
    assert secrets
    assert all(value.startswith("change-me") for value in secrets.values()), secrets
    assert "DJANGO_DEBUG=false" in text


def test_compose_describes_the_production_topology():
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for service in ("postgres", "redis", "migrate", "web", "worker", "beat"):
        assert re.search(rf"^  {service}:$", compose, re.MULTILINE), service
    assert "image: postgres:15" in compose and "image: redis:7" in compose
    assert "pg_isready" in compose and "redis-cli" in compose
    assert '"gunicorn", "-c", "gunicorn.conf.py"' in compose
    assert "/healthz" in compose
    assert '"celery", "-A", "kosha_portal", "worker"' in compose
    assert '"celery", "-A", "kosha_portal", "beat"' in compose
    assert "condition: service_healthy" in compose
    assert "private-files:/data/private" in compose
    assert "env_file: .env" in compose


def test_gunicorn_workers_and_recycling():
    namespace = {}
    exec((ROOT / "gunicorn.conf.py").read_text(encoding="utf-8"), namespace)  # noqa: S102
    import multiprocessing

    assert namespace["workers"] == 2 * multiprocessing.cpu_count() + 1
    assert namespace["max_requests"] > 0 and namespace["max_requests_jitter"] > 0
