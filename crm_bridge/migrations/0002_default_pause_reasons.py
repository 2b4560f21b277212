from django.db import migrations

# Thulium's default pauses; tenants add their own in Django admin.
DEFAULTS = {
    1: "wrap-up",
    2: "administracyjna",
    3: "przerwa",
    4: "zad. służbowe",
    5: "callback progress",
}


def add_defaults(apps, schema_editor):
    PauseReason = apps.get_model("crm_bridge", "PauseReason")
    for pause_id, name in DEFAULTS.items():
        PauseReason.objects.get_or_create(pause_id=pause_id, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("crm_bridge", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
