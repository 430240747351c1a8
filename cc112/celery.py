"""The Celery app: workers and beat load their configuration from Django's settings."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cc112.settings")

app = Celery("cc112")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
