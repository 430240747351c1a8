"""Who may do what (model permissions in one query), and how people log in: the second factor,
the lockout's events in the log, and sessions that end with the account's access."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.contrib.auth.signals import user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.access import has_centre_role, may_manage_partner_systems
from agencies.models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class ModelPermissionBackend(ModelBackend):
    """``ModelBackend`` whose ``get_all_permissions`` reads the user's own and their groups'
    permissions in one statement: every portal page asks for them (the sidebar's links, the
    admin's permission checks), so Django's two queries were two of each page's few. Written
    out once (``_permissions_sql``): building it through the ORM on every page took four
    times as long as PostgreSQL took to answer it."""

    def get_all_permissions(
        self, user_obj: AbstractBaseUser | AnonymousUser, obj: Any = None
    ) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            sql = _permissions_sql(all_of_them=user_obj.is_superuser)
            with connection.cursor() as cursor:
                cursor.execute(sql, [] if user_obj.is_superuser else [user_obj.pk, user_obj.pk])
                names = cursor.fetchall()
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in names}  # type: ignore[union-attr]
        return user_obj._perm_cache  # type: ignore[union-attr]


@lru_cache(maxsize=2)
def _permissions_sql(*, all_of_them: bool) -> str:
    """Every permission's app label and codename; unless ``all_of_them``, only those granted
    to the user (first parameter) or to a group they are in (second)."""
    from django.contrib.auth import get_user_model

    quote = connection.ops.quote_name
    user_model = get_user_model()
    own = user_model.user_permissions.through._meta
    member = user_model.groups.through._meta
    grouped = Permission.group_set.through._meta
    sql = (
        f"SELECT t.{quote('app_label')}, p.{quote('codename')}"
        f" FROM {quote(Permission._meta.db_table)} p"
        f" INNER JOIN {quote(ContentType._meta.db_table)} t"
        f" ON t.{quote('id')} = p.{quote('content_type_id')}"
    )
    if all_of_them:
        return sql
    return sql + (
        f" WHERE EXISTS (SELECT 1 FROM {quote(own.db_table)} o"
        f" WHERE o.{quote(own.get_field('user').column)} = %s"
        f" AND o.{quote(own.get_field('permission').column)} = p.{quote('id')})"
        f" OR EXISTS (SELECT 1 FROM {quote(member.db_table)} m"
        f" INNER JOIN {quote(grouped.db_table)} g"
        f" ON g.{quote(grouped.get_field('group').column)}"
        f" = m.{quote(member.get_field('group').column)}"
        f" WHERE m.{quote(member.get_field('user').column)} = %s"
        f" AND g.{quote(grouped.get_field('permission').column)} = p.{quote('id')})"
    )


# --- Login, second factor, sessions (README "Security") ---------------------------------------

auth_log = logging.getLogger("cc112.auth")


def client_address(request: HttpRequest) -> str | None:
    """The client's address behind the TLS proxy: the last X-Forwarded-For entry, the one the
    proxy itself appended (earlier ones are whatever the client chose to send)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-1] if hops else request.META.get("REMOTE_ADDR")


def second_factor_required(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Those who see and change the most: supervisors, the coordinator, administrators and
    whoever manages partner systems (API keys, webhooks) must log in with a second factor."""
    return bool(
        user.is_authenticated
        and (
            user.is_superuser
            or has_centre_role(user, Role.SUPERVISOR, Role.COORDINATOR)
            or may_manage_partner_systems(user)
        )
    )


def has_authenticator(user: AbstractBaseUser) -> bool:
    """An authenticator app confirmed with a code (recovery codes alone are no second factor)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


class LoginForm(AdminAuthenticationForm):
    """The portal's login: username and password, and the code of the second factor for those
    who have one (an authenticator app's six digits, or a recovery code).

    A wrong code counts as a failed login (django-axes locks the account as for a password), and
    django-otp slows each device down after every wrong code."""

    otp_token = forms.CharField(
        label=_("Verification code"),
        required=False,
        max_length=32,
        help_text=_(
            "From your authenticator app, or one of your recovery codes. Leave empty if you "
            "have not set up a second factor."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        user = self.get_user()
        if user is None or not user_has_device(user):
            return cleaned
        token = "".join(self.cleaned_data.get("otp_token", "").split())
        device = match_token(user, token) if token else None
        if device is None:
            user_login_failed.send(
                sender=__name__,
                credentials={"username": user.get_username()},
                request=self.request,
            )
            auth_log.warning(
                "mfa_failed user=%s user_id=%s empty=%s", user.get_username(), user.pk, not token
            )
            raise ValidationError(
                _("Enter the code from your authenticator app or a recovery code."),
                code="otp_invalid",
            )
        # django-otp marks the session verified when the login completes (user_logged_in).
        user.otp_device = device  # type: ignore[attr-defined]
        auth_log.info(
            "mfa_verified user=%s user_id=%s device=%s",
            user.get_username(),
            user.pk,
            type(device).__name__,
        )
        return cleaned


def user_sessions_end(user_id: int, *, all_of_them: bool = True) -> int:
    """End the sessions of one user: all of them, or (``all_of_them=False``, after a new
    password) those from before the change while the account is active. Returns how many.

    The session table has no user column, so the live sessions are read and decoded: this runs
    on a deactivation or a password change, not on a request's path."""
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    user = get_user_model().objects.filter(pk=user_id).first()
    keep = not all_of_them and user is not None and user.is_active
    current_hash = user.get_session_auth_hash() if keep else None
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = session.get_decoded()
        if data.get(SESSION_KEY) != str(user_id):
            continue
        if current_hash is None or data.get(HASH_SESSION_KEY) != current_hash:
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    if ended:
        auth_log.info("sessions_ended user_id=%s count=%s", user_id, len(ended))
    return len(ended)


def _remember_credentials(sender: Any, instance: Any, update_fields: Any = None, **_: Any) -> None:
    if instance.pk is None or (
        update_fields is not None and not {"password", "is_active"} & set(update_fields)
    ):
        return
    before = type(instance).objects.filter(pk=instance.pk).values("password", "is_active").first()
    instance._cc112_sessions_stale = bool(
        before
        and (
            before["password"] != instance.password
            or (before["is_active"] and not instance.is_active)
        )
    )


def _end_stale_sessions(sender: Any, instance: Any, created: bool = False, **_: Any) -> None:
    if getattr(instance, "_cc112_sessions_stale", False):
        instance._cc112_sessions_stale = False
        user_id = instance.pk
        auth_log.info(
            "account_changed user=%s user_id=%s active=%s",
            instance.get_username(),
            user_id,
            instance.is_active,
        )
        # A new password keeps the session it was changed in (Django re-keys it with the new
        # hash); a deactivation ends them all, so a reactivation revives no old cookie.
        everything = not instance.is_active
        transaction.on_commit(lambda: user_sessions_end(user_id, all_of_them=everything))


def _client(request: HttpRequest | None) -> str:
    if request is None:
        return "-"
    return str(getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR", "-"))


def _logged_in(sender: Any, request: HttpRequest, user: Any, **_: Any) -> None:
    import time

    # The session's absolute lifetime counts from here (cc112.middleware.SessionLifetimeMiddleware).
    request.session[SESSION_STARTED] = request.session[SESSION_SEEN] = int(time.time())
    auth_log.info(
        "login user=%s user_id=%s address=%s", user.get_username(), user.pk, _client(request)
    )


def _logged_out(sender: Any, request: HttpRequest, user: Any, **_: Any) -> None:
    auth_log.info(
        "logout user=%s user_id=%s address=%s",
        getattr(user, "username", "-"),
        getattr(user, "pk", None),
        _client(request),
    )


def _login_failed(sender: Any, credentials: dict, request: HttpRequest | None = None, **_: Any):
    auth_log.warning(
        "login_failed user=%s address=%s", credentials.get("username", "-"), _client(request)
    )


def _locked_out(sender: Any, request: HttpRequest, username: str, ip_address: str, **_: Any):
    auth_log.warning("locked_out user=%s address=%s", username, ip_address)


SESSION_STARTED = "cc112_session_started"
SESSION_SEEN = "cc112_session_seen"


def auth_signals_connect() -> None:
    """Log every login, logout, failure and lockout; end sessions that outlived their account."""
    from axes.signals import user_locked_out
    from django.contrib.auth import get_user_model
    from django.contrib.auth.signals import user_logged_in, user_logged_out
    from django.db.models.signals import post_save, pre_save

    user_logged_in.connect(_logged_in, dispatch_uid="cc112.auth.logged_in")
    user_logged_out.connect(_logged_out, dispatch_uid="cc112.auth.logged_out")
    user_login_failed.connect(_login_failed, dispatch_uid="cc112.auth.login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="cc112.auth.locked_out")
    user_model = get_user_model()
    pre_save.connect(_remember_credentials, sender=user_model, dispatch_uid="cc112.auth.pre")
    post_save.connect(_end_stale_sessions, sender=user_model, dispatch_uid="cc112.auth.post")


def second_factor_enforced_check(app_configs: Any = None, **_: Any) -> list:
    """`check --deploy`: a production server with the second factor switched off is a finding."""
    from django.conf import settings
    from django.core.checks import Warning

    if settings.CC112_MFA_ENFORCED:
        return []
    return [
        Warning(
            "The second factor is not enforced (CC112_MFA_ENFORCED=false): supervisors, the "
            "coordinator and administrators log in with a password alone.",
            hint="Unset CC112_MFA_ENFORCED (it is on by default).",
            id="cc112.W016",
        )
    ]
