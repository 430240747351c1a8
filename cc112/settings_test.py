"""Test settings: the production settings with a fixed key, fast hashing and eager Celery.

DATABASE_URL still comes from the environment, so CI runs the same suite on PostgreSQL.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnop")

from cc112.settings import *  # noqa: F403
from cc112.settings import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_COOKIES = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False  # the test client and live server speak plain HTTP
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
# The suite logs people in with force_login(), which gives no second factor: the security tests
# (tests/cc112/test_security_auth.py) turn enforcement back on; production keeps it on.
CC112_MFA_ENFORCED = False
