from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from crm_bridge import campaign_sync, sync
from crm_bridge.client import ThuliumError
from crm_bridge.models import Agent


class Command(BaseCommand):
    help = (
        "Run one full Thulium poll now (agents, groups, statuses, campaigns) and say what was "
        "found; with a new tenant's credentials, this is how to check them."
    )

    def handle(self, *args, **options):
        try:
            agents, groups = sync.poll_directory()
            changed = sync.poll_statuses()
            campaigns = campaign_sync.poll_list()
            campaign_sync.poll_stats()
        except ThuliumError as exc:
            detail = f" (HTTP {exc.status}, request_id {exc.request_id})" if exc.status else ""
            raise CommandError(f"Thulium said: {exc.message}{detail}") from exc
        counts = Counter(Agent.objects.filter(active=True).values_list("status", flat=True))
        summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
        self.stdout.write(
            f"Thulium answered: {agents} agents in {groups} groups, {campaigns} campaigns; "
            f"{len(changed)} agents changed this cycle. Now: {summary or 'no agents'}."
        )
