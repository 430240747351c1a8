"""Secrets at rest: a text field stored encrypted (Fernet: AES-128-CBC with HMAC-SHA256), so a
database dump, a backup or a read-only SQL account does not hand out what it holds (the
webhook signing secrets, which would let anyone forge the centre's deliveries).

The keys come from settings (``CC112_FIELD_KEYS``, from the environment's ``CC112_FIELD_KEY``):
the first encrypts, every one decrypts, so a key is rotated by putting the new one first and
re-saving the rows (``manage.py shell``: ``for s in WebhookSubscription.objects.all(): ...``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

# Every Fernet token starts with its version byte 0x80, base64-encoded: "gAAAAA".
TOKEN_PREFIX = "gAAAAA"


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(f"CC112_FIELD_KEY holds an unusable key: {error}") from None


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.CC112_FIELD_KEYS))


def encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "An encrypted field cannot be read with CC112_FIELD_KEY: was the key changed "
            "without keeping the old one after it?"
        ) from None


class EncryptedCharField(models.CharField):
    """A CharField whose column holds the Fernet token; Python sees the plain text. It cannot
    be filtered on (each encryption differs), which no secret needs."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return decrypt(value) if value else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
