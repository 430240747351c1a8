"""Model permissions read in one query per request (Django's backend reads them in two)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class ModelPermissionBackend(ModelBackend):
    """``ModelBackend`` whose ``get_all_permissions`` reads the user's own and their groups'
    permissions in one query: every portal page asks for them (the sidebar's links, the admin's
    permission checks), so Django's two queries were two of each page's few."""

    def get_all_permissions(
        self, user_obj: AbstractBaseUser | AnonymousUser, obj: Any = None
    ) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                user_model = type(user_obj)
                own = user_model.user_permissions.through.objects.filter(
                    user_id=user_obj.pk, permission_id=OuterRef("pk")
                )
                groups = user_model.groups.through.objects.filter(user_id=user_obj.pk)
                grouped = Permission.group_set.through.objects.filter(
                    group_id__in=groups.values("group_id"), permission_id=OuterRef("pk")
                )
                permissions = permissions.filter(Q(Exists(own)) | Q(Exists(grouped)))
            names = permissions.order_by().values_list("content_type__app_label", "codename")
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in names}  # type: ignore[union-attr]
        return user_obj._perm_cache  # type: ignore[union-attr]
