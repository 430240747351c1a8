from django.contrib.admin.apps import AdminConfig


class Cc112AdminConfig(AdminConfig):
    default_site = "cc112.admin_site.Cc112AdminSite"

    def ready(self) -> None:
        super().ready()
        from django.db.models.signals import post_migrate

        import cc112.aggregates  # noqa: F401  (registers SQLite's percentile aggregate)
        from cc112.history import history_seal

        # After every migrate, once all apps' tables exist: history tables refuse edits.
        post_migrate.connect(history_seal, sender=self)
