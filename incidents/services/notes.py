"""Timeline notes on a case."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.access import agency_of
from cc112.errors import ActionForbidden
from cc112.history import attribute
from incidents.models import Incident, Note
from incidents.services._common import event_time

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@transaction.atomic
def note_add(
    *, incident: Incident, author: AbstractBaseUser, body: str, at: datetime | None = None
) -> Note:
    """Add a note to a case the author can see, now or at the time it was radioed in."""
    if not body.strip():
        raise ValidationError({"body": _("The note is empty.")})
    if not Incident.objects.visible_to(author).filter(pk=incident.pk).exists():
        raise ActionForbidden(_("You cannot write on this case."))
    written_at = event_time(at, not_before=incident.received_at, field="at")
    note = Note(
        incident=incident,
        author=author,
        agency=agency_of(author),
        body=body.strip(),
        created_at=written_at,
    )
    note.full_clean()
    attribute(note, actor=author, reason="note added")
    note.save()
    return note
