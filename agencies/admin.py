"""Agencies, memberships and user accounts in the portal; every write through a service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.decorators import action, display
from unfold.enums import ActionVariant
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from agencies.models import Agency, Membership
from agencies.services import agency_create, agency_update, membership_create, membership_end
from cc112.admin_errors import (
    ReadOnlyHistoryMixin,
    ServiceAdminMixin,
    ServiceModelForm,
    action_page,
)

User = get_user_model()


class AgencyCreateForm(ServiceModelForm):
    """A new agency, created with its auth group by ``agency_create``."""

    class Meta:
        model = Agency
        fields = (
            "code",
            "name",
            "short_name",
            "kind",
            "is_centre",
            "working_hours",
            "phone",
            "email",
        )

    def call_service(self) -> Agency:
        return agency_create(actor=self.actor, **self.cleaned_data)


class AgencyUpdateForm(ServiceModelForm):
    """An agency's details changed by ``agency_update`` (its code and role stay)."""

    class Meta:
        model = Agency
        fields = ("name", "short_name", "kind", "working_hours", "phone", "email", "is_active")

    def call_service(self) -> Agency:
        changes = {name: self.cleaned_data[name] for name in self.changed_data}
        return agency_update(agency=self.instance, actor=self.actor, changes=changes)


class MembershipCreateForm(ServiceModelForm):
    """A user placed in an agency with a role by ``membership_create``.

    Any membership the user had before ends: a user acts for one agency at a time.
    """

    class Meta:
        model = Membership
        fields = ("user", "agency", "role")

    def call_service(self) -> Membership:
        data = self.cleaned_data
        return membership_create(
            user=data["user"], agency=data["agency"], role=data["role"], actor=self.actor
        )


class EndMembershipForm(forms.Form):
    """Nothing to fill in: ending a membership is a confirmation."""


@admin.register(Agency)
class AgencyAdmin(ServiceAdminMixin, ReadOnlyHistoryMixin, SimpleHistoryAdmin, ModelAdmin):
    """Agencies are created and changed here (by administrators), each through its service."""

    form = AgencyCreateForm
    ordering = ("-is_centre", "short_name")  # the member count annotation drops Meta.ordering
    list_display = (
        "short_name",
        "name",
        "kind",
        "is_centre",
        "working_hours",
        "phone",
        "members",
        "is_active",
    )
    list_filter = ("kind", "is_active", "working_hours")
    search_fields = ("code", "name", "short_name")
    fields = (
        ("code", "short_name"),
        "name",
        ("kind", "working_hours"),
        "is_centre",
        ("phone", "email"),
        "is_active",
        "created_at",
    )
    add_fieldsets = (
        (
            None,
            {
                "fields": (
                    ("code", "short_name"),
                    "name",
                    ("kind", "working_hours"),
                    "is_centre",
                    ("phone", "email"),
                )
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(active_members=Count("memberships", filter=Q(memberships__is_active=True)))
        )

    def get_form(  # type: ignore[no-untyped-def]
        self, request: HttpRequest, obj: Agency | None = None, change: bool = False, **kwargs
    ):
        if obj is not None:
            kwargs["form"] = AgencyUpdateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Agency | None = None) -> list:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["code", "is_centre", "created_at"]
        return list(dict.fromkeys(readonly))

    def has_delete_permission(self, request: HttpRequest, obj: Agency | None = None) -> bool:
        return False

    @display(description=_("active members"), ordering="active_members")
    def members(self, obj: Agency) -> int:
        return obj.active_members  # type: ignore[attr-defined]


@admin.register(Membership)
class MembershipAdmin(ServiceAdminMixin, ReadOnlyHistoryMixin, SimpleHistoryAdmin, ModelAdmin):
    """Who works for which agency in which role. A role change is a new membership."""

    form = MembershipCreateForm
    list_display = ("user", "full_name", "agency", "role", "is_active", "created_at")
    list_select_related = ("user", "agency")
    list_filter = ("agency", "role", "is_active")
    search_fields = ("user__username", "user__first_name", "user__last_name", "agency__short_name")
    autocomplete_fields = ("user",)
    fields = ("user", "agency", "role", "is_active", "created_at")
    add_fieldsets = ((None, {"fields": ("user", "agency", "role")}),)
    actions_detail = ["end_membership"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: Membership | None = None
    ) -> tuple[str, ...]:
        return () if obj is None else self.fields

    def has_change_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Membership | None = None) -> bool:
        return False

    @display(description=_("name"))
    def full_name(self, obj: Membership) -> str:
        return obj.user.get_full_name()

    def has_end_membership_permission(
        self, request: HttpRequest, object_id: str | None = None
    ) -> bool:
        return request.user.has_perm("agencies.change_membership")

    def get_actions_detail(self, request: HttpRequest, object_id: Any) -> list:
        actions = super().get_actions_detail(request, object_id)
        membership = self.get_object(request, object_id)
        return actions if membership is not None and membership.is_active else []

    @action(
        description=_("End membership"),
        url_path="end",
        permissions=["end_membership"],
        icon="person_remove",
        variant=ActionVariant.DANGER,
    )
    def end_membership(self, request: HttpRequest, object_id: str) -> HttpResponse:
        membership = self.get_object(request, object_id)
        if membership is None:
            raise Http404
        back_url = reverse("admin:agencies_membership_change", args=(membership.pk,))
        return action_page(
            request,
            self,
            membership,
            form=EndMembershipForm(request.POST if request.method == "POST" else None),
            perform=lambda cleaned: membership_end(membership=membership, actor=request.user),
            title=_("End membership"),
            submit_label=_("End membership"),
            success_message=_("The membership was ended."),
            back_url=back_url,
            intro=_("The user loses the agency's cases and the portal login with it."),
        )


class MembershipInline(TabularInline):
    model = Membership
    fk_name = "user"
    fields = ("agency", "role", "is_active", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    """Portal accounts. Agency, role, staff status and groups come from memberships."""

    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ("username", "first_name", "last_name", "email", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "is_superuser")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Status"), {"fields": ("is_active", "is_superuser", "is_staff", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("is_staff", "groups", "last_login", "date_joined")
    inlines = (MembershipInline,)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    """Role and agency groups, kept in line by the membership services; shown, not edited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Group | None = None) -> bool:
        return False


from agencies import api_key_admin  # noqa: E402,F401  (registers the API key pages)
from agencies import webhook_admin as webhook_admin  # noqa: E402  (registers its pages)
