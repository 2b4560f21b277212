from datetime import UTC, datetime

import django.db.models.deletion
from django.db import migrations, models


def count_the_calls_so_far(apps, schema_editor):
    from crm_bridge.queue_events import recount

    models = (
        apps.get_model("dashboard", "QueueCall"),
        apps.get_model("crm_bridge", "QueueInterval"),
    )
    recount(datetime(2000, 1, 1, tzinfo=UTC), models=models)


class Migration(migrations.Migration):
    dependencies = [
        ("crm_bridge", "0009_agent_live_details"),
        ("dashboard", "0001_queues_wallboards"),
    ]

    operations = [
        migrations.CreateModel(
            name="QueueInterval",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("start", models.DateTimeField()),
                ("offered", models.PositiveIntegerField(default=0)),
                ("answered", models.PositiveIntegerField(default=0)),
                ("answered_in_sl", models.PositiveIntegerField(default=0)),
                ("abandoned", models.PositiveIntegerField(default=0)),
                ("short_abandons", models.PositiveIntegerField(default=0)),
                ("wait_sum", models.BigIntegerField(default=0)),
                ("max_wait", models.IntegerField(null=True)),
                ("handled", models.PositiveIntegerField(default=0)),
                ("handle_sum", models.BigIntegerField(default=0)),
                (
                    "queue",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="dashboard.queue",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("queue", "start"), name="queueinterval_queue_start"
                    )
                ],
            },
        ),
        migrations.RunPython(count_the_calls_so_far, migrations.RunPython.noop),
    ]
