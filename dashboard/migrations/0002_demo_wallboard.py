"""A demo wallboard ("Sala główna": every queue and every agent), so `make run` has a link to
open at once. Its token is random like any other; `manage.py wallboard_links` prints it."""

import secrets

from django.db import migrations


def create(apps, schema_editor):
    Wallboard = apps.get_model("dashboard", "Wallboard")
    if not Wallboard.objects.exists():
        Wallboard.objects.create(
            name="Sala główna",
            kind="queues_agents",
            theme="dark",
            language="pl",
            token=secrets.token_urlsafe(24),
        )


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0001_queues_wallboards")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
