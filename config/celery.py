import os

from celery import Celery
from celery.signals import beat_init, worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("thulium_live")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _start_heartbeat(**kwargs):
    """The worker says it is alive every few seconds (crm_bridge/heartbeats.py)."""
    from crm_bridge import heartbeats

    heartbeats.start_worker_heartbeat()


@worker_shutdown.connect
def _stop_heartbeat(**kwargs):
    from crm_bridge import heartbeats

    heartbeats.stop_worker_heartbeat()


@beat_init.connect
def _one_beat(**kwargs):
    """A second beat waits, sending nothing, until the running one stops (config/beat_lock.py)."""
    from config import beat_lock

    beat_lock.hold()
