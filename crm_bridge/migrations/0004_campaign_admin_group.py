"""The "campaign admin" role: a Django group holding crm_bridge.manage_campaigns.

Supervisors (no group) see campaigns read-only; superusers hold every permission anyway.
"""

from django.db import migrations

GROUP = "campaign admin"


def create_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _ = ContentType.objects.get_or_create(app_label="crm_bridge", model="campaign")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="manage_campaigns",
        defaults={"name": "Can change campaigns and their agent lists"},
    )
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(permission)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm_bridge", "0003_campaigns"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
