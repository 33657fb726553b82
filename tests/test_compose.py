"""docker-compose.yml, parsed (no Docker engine here): services, images, health, environment."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_and_images() -> None:
    services = load()["services"]
    assert {"postgis", "web", "scheduler"} <= set(services)
    assert services["postgis"]["image"].startswith("postgis/postgis:15")
    assert "gunicorn" in services["web"]["command"]
    assert "web.wsgi:app" in services["web"]["command"]
    assert services["scheduler"]["command"] == ["resilience", "scheduler"]
    assert services["migrate"]["command"] == ["resilience", "init"]


def test_health_checks_and_start_order() -> None:
    services = load()["services"]
    for name in ("postgis", "web", "scheduler"):
        assert services[name]["healthcheck"]["test"], name
    assert "/api/health" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("web", "scheduler"):
        deps = services[name]["depends_on"]
        assert deps["postgis"]["condition"] == "service_healthy"
        assert deps["migrate"]["condition"] == "service_completed_successfully"


def test_environment_points_at_postgis() -> None:
    services = load()["services"]
    for name in ("web", "scheduler", "migrate"):
        env = services[name]["environment"]
        assert env["RESILIENCE_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@postgis:5432/" in env["RESILIENCE_DATABASE_URL"]
        assert "RESILIENCE_SECRET_KEY" in env
    assert (ROOT / "Dockerfile").exists()
    assert (ROOT / "web" / "wsgi.py").exists()


def test_nightly_backup_into_its_own_volume() -> None:
    import subprocess

    compose = load()
    services = compose["services"]
    backup = services["backup"]
    assert backup["image"] == services["web"]["image"]  # the app image: it has pg_dump
    script = backup["command"][0]
    assert 'resilience backup "/backups/resilience-$$(date +%F).tar"' in script
    assert "-mtime" in script and "KEEP_DAYS" in script and "sleep" in script
    shell = script.replace("$$", "$")  # what compose hands to sh
    assert subprocess.run(["sh", "-n", "-c", shell]).returncode == 0
    assert backup["environment"]["RESILIENCE_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert int(backup["environment"]["KEEP_DAYS"].split(":-")[1].rstrip("}")) > 0
    assert {"instance:/app/instance", "backups:/backups"} <= set(backup["volumes"])
    assert "backups" in compose["volumes"]
    assert backup["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "postgresql-client" in dockerfile and "/backups" in dockerfile
