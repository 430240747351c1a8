"""Django's ``migrate``, run as the tables' owner (DATABASE_OWNER_URL) when one is set; the
application's role is granted its rows afterwards (``cc112.db_roles``)."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate

from cc112.db_roles import owner_connection


class Command(DjangoMigrate):
    def handle(self, *args: Any, **options: Any) -> Any:
        with owner_connection(options["database"]):
            return super().handle(*args, **options)
