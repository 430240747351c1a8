"""Strings the portal's libraries show but no catalog of theirs translates into Indonesian.

django-unfold ships no Indonesian catalog, nor do django-guardian's and the API-key admin's
pages; Django's own admin catalog covers the strings unfold shares with it. The rest are listed
here, never imported, so that ``makemessages`` keeps them in ``locale/id`` where they are
translated with ours (our LOCALE_PATHS come before the libraries' catalogs).

Regenerate after upgrading a library (then ``makemessages`` and translate what is new)::

    .venv/bin/python -m cc112.library_strings
"""

# fmt: off
from django.utils.translation import gettext_noop as _
from django.utils.translation import ngettext_lazy

STRINGS = [
    # @generated below by __main__
    _('Select record'),
    _('Select action'),
    _('Collapse'),
    _('Name'),
    _('Value'),
    _('Default'),
    _('Code'),
    _('Current file'),
    _('Reset to default'),
    _('From'),
    _('To'),
    _('Date from'),
    _('Date to'),
    _('Not enough data.'),
    _('Add new item'),
    _('Paragraph'),
    _('Underlined'),
    _('Bold'),
    _('Italic'),
    _('Strike'),
    _('Link'),
    _('Heading'),
    _('Quote'),
    _('Unordered list'),
    _('Ordered list'),
    _('Indent increase'),
    _('Indent decrease'),
    _('Undo'),
    _('Redo'),
    _('Enter an URL'),
    _('Unlink'),
    _('Object permissions'),
    _('Group'),
    _('Group permissions'),
    _('Edit'),
    _('Manage group'),
    _('User permissions'),
    _('Manage user'),
    _('Select format'),
    _('Export'),
    _('Import'),
    ngettext_lazy('\n                    Export %(len)s selected item.\n                ', '\n                    Export %(len)s selected items.\n                ', 0),
    _('This exporter will export the following fields'),
    _('Submit'),
    _("Below is a preview of data to be imported. If you are satisfied with the results, click 'Confirm import'"),
    _('Confirm import'),
    _('Line number'),
    _('View traceback'),
    _('New'),
    _('Skipped'),
    _('Update'),
    _('Some rows failed to validate'),
    _('Please correct these errors in your data where possible, then reupload it using the form above.'),
    _('Row'),
    _('Non field specific'),
    _('This exporter will export the following fields: '),
    _('This importer will import the following fields: '),
    _('%(class_name)s %(instance)s'),
    _('Choose a date from the list below to revert to a previous version of this object'),
    _('Changes'),
    _('None'),
    _('Select action to run'),
    _('Raw passwords are not stored, so there is no way to see this user’s password, but you can change the password using <a href="{}" class="text-primary-600 dark:text-primary-500">this form</a>.'),
    _('Select value'),
    _('Dataset not found. No action performed.'),
    _('You can not create nested object without parent'),
    _('Run'),
    _("After you've created a user, you’ll be able to edit more user options."),
    _('Filters'),
    _('Expand row'),
    _('Welcome back to'),
    _('Forgotten your password or username?'),
    _('Type to search'),
    _('You have been successfully logged out from the administration'),
    _('No data'),
    _('More actions'),
    _('All applications'),
    _('True'),
    _('False'),
    _('Apply Filters'),
    _('Select all rows'),
    _('Recent searches'),
    _('No recent searches'),
    _('No results matching your query'),
    _('Loading more results...'),
    ngettext_lazy('\n                Found %(counter)s result in %(time)s seconds\n            ', '\n                Found %(counter)s results in %(time)s seconds\n            ', 0),
    _('Cancel'),
    _('Record picture'),
    _('This item will be deleted.'),
    _('Click to cancel'),
    _('No results found'),
    _('This page yielded into no results. Create a new item or reset your filters.'),
    _('Reset filters'),
    _('Image preview'),
    _('Click to download'),
    _('Go back'),
    _('Previous'),
    _('Next'),
    _('Search apps and models...'),
    _('General'),
    _('Light'),
    _('Dark'),
    _('System'),
    _('Return to site'),
    _('%(full_result_count)s total'),
    _('Choose file to upload'),
    _('Toggle password visibility'),
    _('Add row'),
    _('Date'),
    _('Select currency'),
    _('Permissions saved.'),
    _('User identification'),
    _('This user does not exist'),
    _('Enter a value compatible with User.USERNAME_FIELD'),
    _('This group does not exist'),
    _('object ID'),
    _('Users'),
    _('Groups'),
    _('Please correct the errors below.'),
    _('The API key for {} is: {}. '),
    _('A free-form name for the API key. Need not be unique. 50 characters max.'),
    _('If the API key is revoked, clients cannot use it anymore. (This cannot be undone.)'),
    _('Expires'),
    _('Once API key expires, clients cannot use it anymore.'),
    _('The API key has been revoked, which cannot be undone.'),
    _('date'),
    _('year'),
    _('month'),
    _('day'),
    _('week day'),
    _('hour'),
    _('minute'),
    _('second'),
    _('contains'),
    _('is in'),
    _('is greater than'),
    _('is greater than or equal to'),
    _('is less than'),
    _('is less than or equal to'),
    _('starts with'),
    _('ends with'),
    _('is in range'),
    _('is null'),
    _('matches regex'),
    _('search'),
    _('is contained by'),
    _('overlaps'),
    _('has key'),
    _('has keys'),
    _('has any keys'),
    _('Select a lookup.'),
    _('Range query expects two values.'),
    _('Yesterday'),
    _('Multiple values may be separated by commas.'),
    _('%s (descending)'),
    _('Ordering'),
    _('Field filters'),
    _('exclude'),
]
# fmt: on

LIBRARIES = ("unfold", "guardian", "rest_framework_api_key", "django_filters")

if __name__ == "__main__":
    import gettext
    import os
    import re
    import shutil
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    import django

    here = Path(__file__)
    packages = Path(django.__file__).parent.parent
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cc112.settings")
    django.setup()
    from django.apps import apps

    # What the installed apps' catalogs already translate (Django's own included). Only the
    # installed: admindocs' catalog turns "Filters" into "Filter", but admindocs is not
    # installed, so counting it left unfold's Filters button in English.
    known = gettext.NullTranslations()
    catalogs = [Path(django.__file__).parent / "conf"] + [
        Path(config.path) for config in apps.get_app_configs()
    ]
    for root in catalogs:
        mo = root / "locale/id/LC_MESSAGES/django.mo"
        if mo.exists() and packages in mo.parents:
            with mo.open("rb") as handle:
                known.add_fallback(gettext.GNUTranslations(handle))
    import polib  # a tool of this script only: pip install polib

    lines = []
    for library in LIBRARIES:
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch) / library
            shutil.copytree(packages / library, copy)
            (copy / "locale").mkdir(exist_ok=True)
            subprocess.run(
                [sys.executable, "-m", "django", "makemessages", "-l", "id", "--no-wrap"],
                cwd=copy,
                check=True,
                capture_output=True,
                env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            )
            catalog = polib.pofile(str(copy / "locale/id/LC_MESSAGES/django.po"))
        for entry in catalog:
            if entry.msgctxt:
                continue  # unfold uses none; contexts would need pgettext_noop
            if entry.msgid_plural:
                if known.ngettext(entry.msgid, entry.msgid_plural, 2) == entry.msgid_plural:
                    lines.append(f"    ngettext_lazy({entry.msgid!r}, {entry.msgid_plural!r}, 0),")
            elif known.gettext(entry.msgid) == entry.msgid:
                lines.append(f"    _({entry.msgid!r}),")
    lines = list(dict.fromkeys(lines))
    text = here.read_text()
    text = re.sub(
        r"(    # @generated below by __main__\n).*?(\]\n# fmt: on)",
        lambda m: m.group(1) + "\n".join(lines) + "\n" + m.group(2),
        text,
        flags=re.S,
    )
    here.write_text(text)
    print(f"{len(lines)} strings")
