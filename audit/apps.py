from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from cc112.db_roles import grant_after_migrate

        # After every migrate, as the owner: the application's role gets its rows, no more.
        post_migrate.connect(grant_after_migrate, sender=self)
