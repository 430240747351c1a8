"""A bad setting stops the process at start and names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL"}
    }
    base.update(
        {"DJANGO_SETTINGS_MODULE": "cc112.settings", "CC112_VAR_DIR": "/tmp/cc112-settings"}
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
    )


GOOD_KEY = "k" * 50


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "true", "DATABASE_URL": "mysql://root@localhost/cc112"}, "DATABASE_URL"),
        ({"DEBUG": "true", "DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"DEBUG": "true", "CELERY_BROKER_URL": "kafka://x"}, "CELERY_BROKER_URL"),
        ({"DEBUG": "true", "CC112_TIME_ZONE": "Mars/Olympus"}, "CC112_TIME_ZONE"),
        ({"DEBUG": "true", "DATABASE_CONN_MAX_AGE": "-1"}, "DATABASE_CONN_MAX_AGE"),
        ({"DEBUG": "true", "CC112_CITY_CODE": "AM-B"}, "CC112_CITY_CODE"),
    ],
)
def test_bad_environment_fails_at_start_naming_the_variable(env, named):
    result = _check(env)
    assert result.returncode != 0
    assert named in result.stderr


def test_production_settings_start_with_a_secret_key():
    result = _check({"DEBUG": "false", "SECRET_KEY": GOOD_KEY, "ALLOWED_HOSTS": "112.ambon.go.id"})
    assert result.returncode == 0, result.stderr


def test_the_centre_speaks_indonesian_in_wit_by_default():
    from django.conf import settings

    assert settings.LANGUAGE_CODE == "id"
    assert settings.TIME_ZONE == "Asia/Jayapura"
    assert settings.USE_TZ
    assert [code for code, _ in settings.LANGUAGES] == ["id", "en"]
