"""The event pipeline's bookkeeping on WebhookEvent. Events stored before it were applied by
the old receiver on arrival: they start `applied` (refused ones `refused`); new ones `pending`.
Adding columns with a constant default rewrites no table on PostgreSQL 11+."""

from django.db import migrations, models


def _refused(apps, schema_editor):
    WebhookEvent = apps.get_model("crm_bridge", "WebhookEvent")
    WebhookEvent.objects.exclude(error="").update(state="refused")


class Migration(migrations.Migration):
    dependencies = [
        ("crm_bridge", "0007_webhook_event_error"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookevent",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("applied", "Applied"),
                    ("failed", "Failed"),
                    ("refused", "Refused"),
                ],
                default="applied",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="webhookevent",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Pending"),
                    ("applied", "Applied"),
                    ("failed", "Failed"),
                    ("refused", "Refused"),
                ],
                default="pending",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="applied_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="webhookevent",
            name="note",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddIndex(
            model_name="webhookevent",
            index=models.Index(fields=["state", "id"], name="webhookevent_state_id"),
        ),
        migrations.RunPython(_refused, migrations.RunPython.noop),
    ]
