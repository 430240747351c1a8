"""Remove a person's second factor (a lost phone and lost recovery codes): at the next login
they are asked to set up a new one, if their role needs it."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp import devices_for_user

log = logging.getLogger("cc112.auth")


class Command(BaseCommand):
    help = "Remove every second-factor device of one account (after checking who asks)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account {username!r}.")
        removed = 0
        for device in devices_for_user(user, confirmed=None):
            device.delete()
            removed += 1
        log.warning("mfa_reset user=%s user_id=%s devices=%s", username, user.pk, removed)
        self.stdout.write(f"{username}: {removed} device(s) removed.")
