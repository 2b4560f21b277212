"""A wallboard can show one queue's intraday chart: chosen in the wallboard form, drawn from
today's interval counters in the wallboard's language, fetched again every minute through the
wallboard's own secret link, gone with the link."""

import pytest
from django.utils import timezone

from crm_bridge.parse import format_local
from dashboard.models import Queue, Wallboard

from .test_intraday import answered, deliver

pytestmark = pytest.mark.django_db
THRESHOLDS = {
    f"{metric}_{level}": value
    for metric, (amber, red) in {
        "waiting": (3, 6),
        "longest_wait": (30, 60),
        "service_level": (80, 60),
        "abandon_rate": (5, 10),
        "asa": (20, 40),
    }.items()
    for level, value in (("amber", amber), ("red", red))
}


@pytest.fixture
def queue() -> Queue:
    today, hms = format_local(timezone.now()).split(" ")
    deliver(answered("w1", today, hms, hms, 0, 30))
    return Queue.objects.get(number=155)


def test_an_admin_puts_a_queues_intraday_chart_on_a_wallboard(admin_client, client, queue):
    form = {"name": "Hala C", "kind": "queues", "theme": "dark", "language": "pl",
            "font_scale": "1", "intraday_queue": queue.pk, **THRESHOLDS}  # fmt: skip
    assert admin_client.post("/wallboards/new/", form).status_code == 302
    board = Wallboard.objects.get(name="Hala C")
    assert board.intraday_queue == queue

    page = client.get(board.get_absolute_url()).content.decode()  # no login: the link
    assert 'id="wb-intraday-chart"' in page and 'id="wb-intraday-data"' in page
    assert "vendor/uplot/uPlot.iife.min.js" in page
    chart = client.get(board.get_absolute_url()).context["intraday"]["chart"]
    assert sum(chart["offered"]) == 1 and sum(chart["answered"]) == 1

    again = client.get(f"/wallboard/{board.token}/intraday/")
    assert again.status_code == 200
    body = again.content.decode()
    assert body.lstrip().startswith('<section id="wb-intraday"') and "<html" not in body
    assert 'hx-trigger="every 60s"' in body

    board.revoke()
    assert client.get(f"/wallboard/{board.token}/intraday/").status_code == 404


def test_a_wallboard_without_the_chart_loads_no_chart(client, queue):
    board = Wallboard.objects.create(name="Hala D", kind="queues")
    page = client.get(board.get_absolute_url()).content.decode()
    assert "wb-intraday" not in page and "uPlot" not in page
    assert client.get(f"/wallboard/{board.token}/intraday/").status_code == 404
