"""Grant each agency view of the cases already dispatched to it (databases older than 0003)."""

from django.db import migrations


def grant_dispatched_agencies(apps, schema_editor):
    Dispatch = apps.get_model("incidents", "Dispatch")
    pairs = (
        Dispatch.objects.exclude(status="cancelled")
        .values_list("incident_id", "agency__group_id")
        .distinct()
    )
    if not pairs.exists():
        return
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Grant = apps.get_model("incidents", "IncidentGroupObjectPermission")
    content_type, _ = ContentType.objects.get_or_create(app_label="incidents", model="incident")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="view_incident", defaults={"name": "Can view case"}
    )
    Grant.objects.bulk_create(
        [
            Grant(content_object_id=incident_id, group_id=group_id, permission=permission)
            for incident_id, group_id in pairs.iterator()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0003_case_access"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_dispatched_agencies, migrations.RunPython.noop)]
