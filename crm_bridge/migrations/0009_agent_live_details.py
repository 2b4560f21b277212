"""Agent: the state pending until the call ends, the phone (AGENT_PHONE_CONNECTED), and the
bookkeeping of the poll's reconciliation (who last moved the status, polls contradicting it).
Nullable or constant-default columns: no table rewrite on PostgreSQL 11+."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm_bridge", "0008_event_pipeline"),
    ]

    operations = [
        migrations.AddField(
            model_name="agent",
            name="pending_pause_id",
            field=models.IntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="agent",
            name="pending_status",
            field=models.CharField(
                blank=True,
                choices=[
                    ("OFF", "Logged off"),
                    ("FREE", "Free"),
                    ("PAUSED", "Paused"),
                    ("RINGING", "Ringing"),
                    ("INBOUND_CALL", "Inbound call"),
                    ("OUTBOUND_CALL", "Outbound call"),
                    ("OUTBOUND_PREVIEW", "Outbound preview"),
                    ("CALL", "Call"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="agent",
            name="phone_connected",
            field=models.BooleanField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="agent",
            name="phone_number",
            field=models.CharField(blank=True, max_length=50),
        ),
        migrations.AddField(
            model_name="agent",
            name="poll_disagreements",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="agent",
            name="webhook_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
