from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from sla.defaults import sla_install_defaults

        # A new installation (and a flushed test database) starts with DOMAIN.md's targets and
        # ladder as editable rows; existing rows, edited or not, are left alone.
        post_migrate.connect(sla_install_defaults, sender=self)
