from django.db import migrations

# The wallboard form used to store every metric's thresholds; those equal to the defaults of
# the time are the shared ones now (dashboard 0007): dropped, the wallboard follows them.
OLD_DEFAULTS = {
    "waiting": (3, 6),
    "longest_wait": (30, 60),
    "service_level": (80, 60),
    "abandon_rate": (5, 10),
    "asa": (20, 40),
}


def follow_shared(apps, schema_editor):
    Wallboard = apps.get_model("dashboard", "Wallboard")
    for board in Wallboard.objects.exclude(thresholds={}):
        own = {
            metric: levels
            for metric, levels in (board.thresholds or {}).items()
            if (levels.get("amber"), levels.get("red")) != OLD_DEFAULTS.get(metric)
        }
        if own != board.thresholds:
            board.thresholds = own
            board.save(update_fields=["thresholds"])


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0007_alerts")]

    operations = [migrations.RunPython(follow_shared, migrations.RunPython.noop)]
