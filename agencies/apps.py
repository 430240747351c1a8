from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = _("Agencies")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from agencies.roles import role_groups_sync

        # A role's permissions live in code; existing installations pick up a change on migrate,
        # after Django has created the permissions of new models.
        post_migrate.connect(role_groups_sync, sender=self)
