# The caller's identity columns dropped from the cases and calls, and from their histories: the
# one-time scrub of every copy the history tables held (by DDL: the history tables refuse
# UPDATE and DELETE on PostgreSQL). A migration of its own: on PostgreSQL, a table whose rows
# were just updated in the same transaction (0011) cannot be altered.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0011_caller_identity"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='call',
            name='call_caller_answered',
        ),
        migrations.RemoveField(
            model_name='call',
            name='callback_number',
        ),
        migrations.RemoveField(
            model_name='call',
            name='caller_key',
        ),
        migrations.RemoveField(
            model_name='historicalcall',
            name='callback_number',
        ),
        migrations.RemoveField(
            model_name='historicalcall',
            name='caller_key',
        ),
        migrations.RemoveField(
            model_name='historicalincident',
            name='caller_name',
        ),
        migrations.RemoveField(
            model_name='historicalincident',
            name='caller_phone',
        ),
        migrations.RemoveField(
            model_name='incident',
            name='caller_name',
        ),
        migrations.RemoveField(
            model_name='incident',
            name='caller_phone',
        ),
    ]
