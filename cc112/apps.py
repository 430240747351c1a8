from django.contrib.admin.apps import AdminConfig


class Cc112AdminConfig(AdminConfig):
    default_site = "cc112.admin_site.Cc112AdminSite"

    def ready(self) -> None:
        super().ready()
        from django.core import checks
        from django.db.models.signals import post_migrate

        import cc112.aggregates  # noqa: F401  (registers SQLite's percentile aggregate)
        from cc112.auth import auth_signals_connect, second_factor_enforced_check
        from cc112.history import history_seal

        auth_signals_connect()
        checks.register(second_factor_enforced_check, checks.Tags.security, deploy=True)
        _hide_device_admins()

        # After every migrate, once all apps' tables exist: history tables refuse edits.
        post_migrate.connect(history_seal, sender=self)


def _hide_device_admins() -> None:
    """django-otp's device admins would show each person's TOTP secret to whoever may open
    them; people set up their own devices (cc112.mfa) and an administrator resets a lost one
    with `manage.py mfa_reset` (README "Security")."""
    from django.contrib import admin
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
