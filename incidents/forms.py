"""The portal's forms for calls, cases and dispatches. Each one hands its data to a service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from unfold.widgets import (
    UnfoldAdminCheckboxSelectMultipleWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminSplitDateTimeWidget,
    UnfoldAdminTextareaWidget,
    UnfoldAdminTextInputWidget,
)

from agencies.models import Agency
from cc112.admin_errors import ServiceModelForm
from incidents.models import Call, CallerIdentity, CallOutcome, Category, Incident, Priority
from incidents.services import call_record, incident_create, incident_update
from incidents.services.intake import CORRECTABLE_FIELDS

NOW_HELP = _("Leave empty for now. Fill in only when recording something that happened earlier.")


def _when_field(label: str, help_text: str = NOW_HELP) -> forms.SplitDateTimeField:
    return forms.SplitDateTimeField(
        label=label,
        required=False,
        widget=UnfoldAdminSplitDateTimeWidget,
        help_text=help_text,
    )


def _text_field(label: str, *, required: bool, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
    )


def _identity_field(name: str) -> forms.CharField:
    """The caller's name or number: kept in ``CallerIdentity``, not on the audited case."""
    field = CallerIdentity._meta.get_field(name)
    return forms.CharField(
        label=capfirst(field.verbose_name),
        max_length=field.max_length,
        required=False,
        widget=UnfoldAdminTextInputWidget,
    )


# --- Cases ---------------------------------------------------------------------------------------

INCIDENT_CREATE_FIELDS = (
    "channel",
    "caller_name",
    "caller_phone",
    "location_text",
    "kecamatan",
    "kelurahan",
    "area",
    "latitude",
    "longitude",
    "category",
    "priority",
    "description",
    "received_at",
)


class IncidentCreateForm(ServiceModelForm):
    """A new case from a call, saved by ``incident_create``."""

    caller_name = _identity_field("name")
    caller_phone = _identity_field("phone")

    priority = forms.TypedChoiceField(
        label=capfirst(Incident._meta.get_field("priority").verbose_name),
        choices=[("", _("The category's default")), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
        widget=UnfoldAdminSelectWidget,
    )
    received_at = _when_field(
        capfirst(Incident._meta.get_field("received_at").verbose_name),
        _("When the call was answered. Leave empty for now."),
    )

    class Meta:
        model = Incident
        fields = INCIDENT_CREATE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "category" in self.fields:
            self.fields["category"].queryset = Category.objects.filter(is_active=True)

    def call_service(self) -> Incident:
        fields = [name for name in INCIDENT_CREATE_FIELDS if name in self.fields]
        data = {name: self.cleaned_data[name] for name in fields}
        return incident_create(actor=self.actor, **data)


class IncidentUpdateForm(ServiceModelForm):
    """Corrections to a case, saved by ``incident_update`` with only the fields that changed."""

    caller_name = _identity_field("name")
    caller_phone = _identity_field("phone")

    class Meta:
        model = Incident
        fields = sorted(CORRECTABLE_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("caller_name", "caller_phone"):
            if name in self.fields:
                self.initial.setdefault(name, getattr(self.instance, name))
        if "category" in self.fields:
            # A case keeps a category that has since been retired until someone corrects it.
            self.fields["category"].queryset = Category.objects.filter(
                Q(is_active=True) | Q(pk=self.instance.category_id)
            )

    def call_service(self) -> Incident:
        changes = {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in CORRECTABLE_FIELDS and name in self.cleaned_data
        }
        if not changes:
            return self.instance
        return incident_update(incident=self.instance, actor=self.actor, changes=changes)


# --- Calls ---------------------------------------------------------------------------------------

# Calls that open a case or join one are recorded with it, not on their own.
NON_INCIDENT_OUTCOMES = [
    (value, label)
    for value, label in CallOutcome.choices
    if value not in (CallOutcome.INCIDENT, CallOutcome.ATTACHED)
]


class CallRecordForm(ServiceModelForm):
    """A call that did not become a case (prank, ghost, dropped...), saved by ``call_record``.

    Emergency calls are recorded with their case, through the case form.
    """

    answered_at = _when_field(capfirst(Call._meta.get_field("answered_at").verbose_name))
    ended_at = forms.SplitDateTimeField(
        label=capfirst(Call._meta.get_field("ended_at").verbose_name),
        required=False,
        widget=UnfoldAdminSplitDateTimeWidget,
    )
    callback_number = forms.CharField(
        label=_("callback number"),
        max_length=24,
        required=False,
        widget=UnfoldAdminTextInputWidget,
    )

    class Meta:
        model = Call
        fields = ("outcome", "answered_at", "ended_at", "callback_number", "notes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "outcome" in self.fields:
            self.fields["outcome"].choices = NON_INCIDENT_OUTCOMES

    def call_service(self) -> Call:
        data = self.cleaned_data
        return call_record(
            operator=self.actor,
            outcome=data["outcome"],
            answered_at=data.get("answered_at"),
            ended_at=data.get("ended_at"),
            callback_number=data.get("callback_number", ""),
            notes=data.get("notes", ""),
        )


# --- Actions on a case ---------------------------------------------------------------------------


class DispatchForm(forms.Form):
    agencies = forms.ModelMultipleChoiceField(
        label=_("Agencies"),
        queryset=Agency.objects.none(),
        widget=UnfoldAdminCheckboxSelectMultipleWidget,
        help_text=_("The category's suggested agencies are ticked. Each gets its own dispatch."),
    )
    instructions = _text_field(_("Instructions to the agencies"), required=False)

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        already_open = incident.dispatches.open().values("agency")
        choices = Agency.objects.partners().exclude(pk__in=already_open)
        self.fields["agencies"].queryset = choices
        if not self.is_bound:
            self.initial["agencies"] = list(
                choices.filter(suggested_for=incident.category).values_list("pk", flat=True)
            )


class CloseCaseForm(forms.Form):
    note = _text_field(
        _("Closing note"),
        required=False,
        help_text=_("Required when no agency resolved the case: say how it was handled."),
    )


class ReasonForm(forms.Form):
    reason = _text_field(_("Reason"), required=True)


class NoteForm(forms.Form):
    body = _text_field(_("Note"), required=True)


# --- Steps on a dispatch -------------------------------------------------------------------------


class DispatchStepForm(forms.Form):
    at = _when_field(_("When"))


class DispatchResolveForm(DispatchStepForm):
    field_order = ("resolution", "at")

    resolution = _text_field(
        _("Field report"), required=True, help_text=_("What was found and what was done.")
    )


class DispatchReasonForm(DispatchStepForm):
    field_order = ("reason", "at")

    reason = _text_field(_("Reason"), required=True)


# --- Sharing a case ------------------------------------------------------------------------------


class ShareForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=_("Share with agency"),
        queryset=Agency.objects.partners(),
        required=False,
        widget=UnfoldAdminSelectWidget,
    )
    user = forms.ModelChoiceField(
        label=_("or with one person"),
        # People who can log in to the portal through a partner agency; the centre sees all.
        queryset=get_user_model()
        .objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__agency__is_centre=False,
        )
        .order_by("username"),
        required=False,
        widget=UnfoldAdminSelectWidget,
        help_text=_("For example an analyst or an official who is not in a dispatched agency."),
    )
    reason = _text_field(_("Reason"), required=True)
    expires_at = forms.SplitDateTimeField(
        label=_("Until"),
        required=False,
        widget=UnfoldAdminSplitDateTimeWidget,
        help_text=_("Leave empty to share until revoked."),
    )
