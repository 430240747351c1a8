"""How the portal answers the domain's errors, mapped here once for every admin page.

- ``ValidationError`` from a service: form errors, on the field the service names when the form
  has it, otherwise on the form as a whole. Nothing was written (services are atomic).
- ``ActionForbidden``: the user sees the object but may not do this, so 403.
- ``DomainError`` (a refused transition among them): an error message that names what was
  refused; the page the user came from is shown again unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme

from cc112.errors import ActionForbidden, DomainError
from cc112.history import attribute

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest

T = TypeVar("T")

_HISTORY_VERSION_ATTR = "_cc112_history_version"


def apply_validation_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on ``form``: on the fields it names, else on the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        target = name if name in form.fields and name != NON_FIELD_ERRORS else None
        form.add_error(target, errors)


def submit(
    request: HttpRequest, call: Callable[[], T], *, form: forms.BaseForm | None = None
) -> T | None:
    """Run a service call for a portal view; the service's result, or None when it refused.

    1. ValidationError: onto ``form`` if given, otherwise each message as an error message.
    2. ActionForbidden: PermissionDenied, which Django answers with 403.
    3. Any other DomainError: its message as an error message.
    """
    try:
        return call()
    except ValidationError as error:
        if form is not None:
            apply_validation_error(form, error)
        else:
            for message in error.messages:
                messages.error(request, message)
    except ActionForbidden as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        messages.error(request, error.message)
    return None


class ServiceModelForm(forms.ModelForm):
    """A model form whose save is a service call, made as the form's last validation step.

    Django admin saves only after ``is_valid()``, too late to show a service's ValidationError
    on the form; so the service runs at the end of validation instead of the model's own checks
    (the service runs ``full_clean`` itself), inside the transaction the admin view holds, and
    ``save()`` hands back what the service wrote. ``actor`` is set per request by the admin.
    """

    actor: AbstractBaseUser

    def call_service(self) -> models.Model:
        raise NotImplementedError

    def _post_clean(self) -> None:
        if self.errors:
            return
        try:
            self.instance = self.call_service()
        except ValidationError as error:
            apply_validation_error(self, error)
        except ActionForbidden as error:
            raise PermissionDenied(error.message) from error
        except DomainError as error:
            self.add_error(None, error.message)

    def save(self, commit: bool = True) -> Any:
        if self.errors:
            raise ValueError("A form with errors has nothing saved to return.")
        self.save_m2m = lambda: None  # the service saved the relations too
        return self.instance


def _require_id(field: models.Field, value: str) -> None:
    """404 for an id the column can never hold (``abc`` for a number); simple_history would
    pass it to the database and fail with a 500."""
    try:
        field.to_python(value)
    except ValidationError as error:
        raise Http404 from error


class ReadOnlyHistoryMixin:
    """For ``SimpleHistoryAdmin``s: a past version can be looked at, never reverted to.

    A revert saves the old version straight through the admin, around the services, their
    checks and their history reasons.
    """

    def revert_disabled(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return True

    def history_view(  # type: ignore[no-untyped-def]
        self, request: HttpRequest, object_id: str, extra_context=None
    ):
        _require_id(self.opts.pk, unquote(object_id))  # type: ignore[attr-defined]
        return super().history_view(request, object_id, extra_context)  # type: ignore[misc]

    def history_form_view(  # type: ignore[no-untyped-def]
        self, request: HttpRequest, object_id: str, version_id: str, extra_context=None
    ):
        if request.method != "GET":
            raise PermissionDenied
        opts = self.opts  # type: ignore[attr-defined]
        _require_id(opts.pk, unquote(object_id))
        history = getattr(self.model, opts.simple_history_manager_attribute)  # type: ignore[attr-defined]
        _require_id(history.model._meta.pk, version_id)
        setattr(request, _HISTORY_VERSION_ATTR, True)
        return super().history_form_view(  # type: ignore[misc]
            request, object_id, version_id, extra_context
        )

    def get_readonly_fields(  # type: ignore[no-untyped-def]
        self, request: HttpRequest, obj: models.Model | None = None
    ):
        readonly = super().get_readonly_fields(request, obj)  # type: ignore[misc]
        if getattr(request, _HISTORY_VERSION_ATTR, False):
            names = (f.name for f in self.opts.concrete_fields)  # type: ignore[attr-defined]
            return [*dict.fromkeys([*readonly, *names])]
        return readonly


class ServiceAdminMixin:
    """For admins whose forms are ``ServiceModelForm``s: the service, not the admin, saves."""

    def get_form(  # type: ignore[no-untyped-def]
        self, request: HttpRequest, obj: models.Model | None = None, change: bool = False, **kwargs
    ):
        form = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        # A subclass per request: the form class is shared between threads, the actor is not.
        return type(form)(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        """Saved already by the form's service call."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Saved already by the form's service call."""


class AttributedSaveMixin:
    """For setup rows that have no service of their own (categories, service-level policies):
    the admin's save and delete still leave the actor and a reason in their history."""

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        verb = "changed" if change else "added"
        attribute(obj, actor=request.user, reason=f"{obj._meta.model_name} {verb}")
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        attribute(obj, actor=request.user, reason=f"{obj._meta.model_name} deleted")
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        # One by one, so each row's history carries the actor (a queryset delete would not).
        for obj in queryset:
            self.delete_model(request, obj)


def safe_next(request: HttpRequest, default: str) -> str:
    """Where to go after an action: the page it was started from when that is on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


class ConfirmForm(forms.Form):
    """Nothing to fill in: the action page's button is the confirmation."""


def action_page(
    request: HttpRequest,
    model_admin: ModelAdmin,
    obj: models.Model,
    *,
    form: forms.Form,
    perform: Callable[[dict[str, Any]], object],
    title: str,
    submit_label: str,
    success_message: str,
    back_url: str,
    intro: str = "",
) -> HttpResponse:
    """A small form page in front of one service call (close a case, resolve a dispatch...).

    1. GET, or a POST with form errors: the page with the form (status 200).
    2. POST that the service accepts: a success message and back to ``back_url``.
    3. POST that the domain refuses: the refusal as an error message, back to ``back_url``;
       nothing was written.
    """
    if request.method == "POST" and form.is_valid():
        result = submit(request, lambda: perform(form.cleaned_data), form=form)
        if result is not None:
            messages.success(request, success_message)
            return HttpResponseRedirect(back_url)
        if not form.errors:
            return HttpResponseRedirect(back_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": obj,
        "title": title,
        "subtitle": str(obj),
        "intro": intro,
        "form": form,
        "media": model_admin.media + form.media,
        "submit_label": submit_label,
        "back_url": back_url,
    }
    return TemplateResponse(request, "admin/action_form.html", context)
