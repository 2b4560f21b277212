"""manage.py process_events: the event pipeline's apply and push stages, until stopped
(SIGTERM or Ctrl-C ends it after the batch in hand). See crm_bridge/pipeline.py."""

import gc
import signal
import threading

from django.core.management.base import BaseCommand

from crm_bridge import pipeline


class Command(BaseCommand):
    help = "Apply stored Thulium webhook events in order and push what they change."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="apply what is pending, then exit")

    def handle(self, *args, once=False, **options):
        if once:
            total = 0
            while done := pipeline.process_pending():
                total += done
            self.stdout.write(f"Applied {total} events.")
            return
        gc.freeze()  # what is loaded now lives as long as the process (config/asgi.py)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda *_: stop.set())
        pipeline.run(stop)
