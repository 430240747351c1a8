"""Who did what and why: every write to an audited model carries its actor and a reason.

django-simple-history reads ``_history_user`` and ``_change_reason`` off the instance when it
writes the historical row; services set both through :func:`attribute` so that the portal, the
API, Celery tasks and management commands all leave the same kind of record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import models

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

SYSTEM_USERNAME = "system"


def attribute(instance: models.Model, *, actor: AbstractBaseUser | None, reason: str) -> None:
    """Mark the next history row of ``instance`` with its actor and reason."""
    instance._history_user = actor  # type: ignore[attr-defined]
    instance._change_reason = reason[:100]  # type: ignore[attr-defined]


def system_user() -> AbstractBaseUser:
    """The account that background tasks and commands act as (never able to log in)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Sistem", "last_name": "cc112", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


class AuditedUpdateRefused(RuntimeError):
    """A bulk update would change audited rows without leaving history."""


class AuditedQuerySet(models.QuerySet):
    """A queryset whose bulk writes cannot bypass history.

    ``update()`` and ``bulk_update()`` write rows without a historical record, which would let
    evaluation figures be changed quietly. Writes go through services that save instances.
    """

    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise AuditedUpdateRefused(
            f"{self.model.__name__}.objects.update() leaves no history; use a service."
        )

    def bulk_update(self, objs, fields, batch_size=None):  # type: ignore[no-untyped-def]
        raise AuditedUpdateRefused(
            f"{self.model.__name__}.objects.bulk_update() leaves no history; use a service."
        )


def apply_changes(instance: models.Model, changes: dict[str, object]) -> list[str]:
    """Set ``changes`` on ``instance`` (text stripped); the names of the fields that changed,
    for the history's reason."""
    changed = []
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed
