"""The agent work report: the simulator's agents_work_report as the document says, the
document's own example read by the parser, and the page with its CSV and XLSX exports."""

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from django.urls import reverse
from openpyxl import load_workbook

from crm_bridge import client
from crm_bridge.client import ThuliumAPIError
from crm_bridge.models import Agent, AgentGroup, PauseReason
from crm_bridge.parse import read_json
from crm_bridge.work_report import WorkRow, fetch, to_seconds

DOC = Path(__file__).parent / "fixtures" / "thulium_doc" / "get_agents_work_report.txt"
TODAY = date.today()
WEEK = (TODAY - timedelta(days=7)).isoformat(), (TODAY - timedelta(days=1)).isoformat()


def _report(simulator, **params):
    base = {"date_from": WEEK[0], "date_to": WEEK[1], "agent_group_ids[]": "1"}
    return simulator.api("GET", "agents_work_report", params={**base, **params})


def _seconds(text: str) -> int:
    return to_seconds(text)


# --- The simulator, as the document says ------------------------------------------------------


def test_a_week_by_day_gives_a_row_per_agent_and_day_shaped_as_the_documents_example(simulator):
    response = _report(simulator, aggregate_by="day")
    assert response.status_code == 200
    rows = response.json()
    assert rows and len(rows) <= 100
    example, _ = read_json(DOC.read_text(encoding="utf-8"))
    assert set(rows[0]) == set(example[0])
    assert {p["id"] for p in rows[0]["pauses"]} >= {"all", "free"}
    assert all(WEEK[0] <= row["period"] <= WEEK[1] for row in rows)
    logins = {a["login"] for a in simulator.state()["agents"] if a["group_id"] == 1}
    assert {row["agent"]["login"] for row in rows} <= logins


def test_the_aggregations_add_up_to_the_same_week(simulator):
    def totals(aggregate_by):
        rows, offset = [], 0
        while True:
            page = _report(simulator, aggregate_by=aggregate_by, offset=offset).json()
            rows += page
            offset += 100
            if len(page) < 100:
                break
        answered = sum(r["inbound"]["answered_count"] for r in rows)
        paused = sum(_seconds(p["sum"]) for r in rows for p in r["pauses"] if p["id"] == "all")
        return answered, paused

    by_day = totals("day")
    assert by_day[0] > 0
    for aggregate_by in ("week", "month", "year", "hour_of_day"):
        answered, paused = totals(aggregate_by)
        assert answered == by_day[0]
        assert abs(paused - by_day[1]) <= 60  # each row's sum is rounded to the second


def test_array_parameters_choose_the_agents(simulator):
    logins = [a["login"] for a in simulator.state()["agents"]][:2]
    rows = _report(
        simulator, **{"agent_group_ids[]": [], "agent_logins[]": logins}, aggregate_by="week"
    ).json()
    assert {r["agent"]["login"] for r in rows} == set(logins)


def test_limit_and_offset_page_through_the_rows(simulator):
    everything = _report(simulator, aggregate_by="day").json()
    first = _report(simulator, aggregate_by="day", limit="3").json()
    second = _report(simulator, aggregate_by="day", limit="3", offset="3").json()
    assert first + second == everything[:6]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"agent_group_ids[]": []}, "agent_logins or agent_group_ids"),
        ({"date_from": ""}, "date_from"),
        ({"date_to": "next tuesday"}, "date_to"),
        ({"date_to": "2020-01-01"}, "date_to"),  # before date_from
        ({"aggregate_by": "fortnight"}, "aggregate_by"),
        ({"limit": "101"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"agent_group_ids[]": "999"}, "agent_group_ids"),
        ({"agent_logins[]": "nobody"}, "agent_logins"),
        ({"queues_ids[]": "x"}, "queues_ids"),
        ({"outbound_threshold": "-5"}, "outbound_threshold"),
    ],
)
def test_bad_parameters_are_refused_with_thuliums_error_body(simulator, params, field):
    response = _report(simulator, **params)
    assert response.status_code == 400
    body = response.json()
    assert len(body["request_id"]) == 13
    assert any(field in e["message"] for e in body["errors"]) and body["errors"][0]["code"]


def test_wrong_credentials_are_refused(simulator):
    response = requests.get(simulator.api_url + "agents_work_report", auth=("api", "no"), timeout=5)
    assert response.status_code == 401 and response.json()["request_id"]


def test_a_pause_taken_now_shows_in_todays_report(simulator):
    login = next(a["login"] for a in simulator.state()["agents"] if a["status"] == "FREE")
    simulator.api("POST", f"agents/{login}/pause", json={"pause_id": 4})
    simulator.api("POST", f"agents/{login}/free")
    today = TODAY.isoformat()
    (row,) = _report(
        simulator,
        **{"agent_group_ids[]": [], "agent_logins[]": login},
        date_from=today,
        date_to=today,
        aggregate_by="day",
    ).json()
    pause = next(p for p in row["pauses"] if p["id"] == 4)
    assert pause["count"] >= 1


# --- The parser, on the document's own example --------------------------------------------------


def test_the_documents_example_is_read_as_it_is():
    rows, repairs = read_json(DOC.read_text(encoding="utf-8"))
    assert repairs == ["unquoted text 'jkowalski' at line 4"]
    row = WorkRow.from_api(rows[0])
    assert (row.login, row.name, row.period) == ("jkowalski", "Janko Walski", "2019-12")
    assert (row.answered, row.missed, row.talk, row.logged_in) == (0, 0, 0, 0)
    assert sorted(row.pauses) == [0, 1, 2, 3, 4]  # "all" and "free" are not reasons
    assert row.login_date.strftime("%Y-%m-%d %H:%M:%S") == "2019-12-01 09:00:18"


def test_loose_variants_are_read():
    row = WorkRow.from_api(
        {
            "agent": {"login": "anowak", "name": "Anna", "surname": ""},
            "period": 2019,
            "inbound": {"answered_count": "7", "not_answered_count": 1, "sum": 125},
            "outbound_above_threshold": {"count": "2", "sum": "1:00:00"},
            "pauses": {"all": {"sum": "00:10:00"}, "free": {"sum": "02:00:00"}, "3": {"sum": 600}},
        }
    )
    assert (row.name, row.period, row.answered, row.missed) == ("Anna", "2019", 7, 1)
    assert (row.talk, row.outbound_calls, row.pauses, row.logged_in) == (3725, 2, {3: 600}, 7800)
    assert WorkRow.from_api({"agent": {"login": ""}}) is None
    assert [to_seconds(v) for v in ("123:00:00", "1 day, 02:00:00", "1:15", None, "x")] == [
        442800, 93600, 75, 0, 0,
    ]  # fmt: skip


def test_the_documents_example_as_thuliums_answer_through_the_client(simulator):
    simulator.control(
        "fault",
        {"method": "GET", "path": "agents_work_report", "status": 200, "body": DOC.read_text()},
    )
    try:
        (row,) = fetch(date(2019, 12, 1), date(2019, 12, 31), logins=["jkowalski"])
    finally:
        simulator.control("fault", {})
    assert (row.login, row.period) == ("jkowalski", "2019-12")


def test_thuliums_refusal_keeps_its_message_and_request_id(simulator):
    with pytest.raises(ThuliumAPIError) as raised:
        client.get_agents_work_report("2020-01-02", "2020-01-01", agent_logins=["x"])
    assert raised.value.status == 400 and len(raised.value.request_id) == 13
    assert "date_to" in raised.value.message or "agent_logins" in raised.value.message


# --- The page and its exports ------------------------------------------------------------------


@pytest.fixture
def supervisor(client, django_user_model, simulator, db):
    for agent in simulator.state()["agents"]:
        Agent.objects.create(login=agent["login"], name=agent["login"], group_id=agent["group_id"])
    for group_id in {a["group_id"] for a in simulator.state()["agents"]}:
        AgentGroup.objects.create(group_id=group_id, name=f"Group {group_id}")
    PauseReason.objects.update_or_create(pause_id=3, defaults={"name": "przerwa"})
    client.force_login(django_user_model.objects.create_user("sup", password="pw-123456"))
    return client


def _week_url(**extra):
    params = {"date_from": WEEK[0], "date_to": WEEK[1], "groups": "1", "aggregate_by": "day"}
    return (
        reverse("work-report") + "?" + "&".join(f"{k}={v}" for k, v in {**params, **extra}.items())
    )


def test_it_requires_login(client, db):
    response = client.get(reverse("work-report"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_page_shows_a_row_per_agent_and_day_and_a_totals_row(supervisor):
    response = supervisor.get(_week_url())
    assert response.status_code == 200
    report = response.context["report"]
    assert report.rows and "przerwa" in report.headers()
    html = response.content.decode()
    assert "data-totals" in html and report.total_cells()[0] in html


def test_the_csv_totals_are_the_pages_totals(supervisor):
    page = supervisor.get(_week_url()).context["report"]
    response = supervisor.get(_week_url(export="csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # for Excel
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == page.headers()
    assert lines[-1][3:] == page.total_cells() and lines[-1][0] == "Total"
    assert len(lines) == len(page.rows) + 2
    answered = page.headers().index("Calls answered")
    assert int(lines[-1][answered]) == sum(int(line[answered]) for line in lines[1:-1])


def test_the_xlsx_read_back_has_the_same_totals(supervisor):
    page = supervisor.get(_week_url()).context["report"]
    response = supervisor.get(_week_url(export="xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == page.headers()
    total = rows[-1]
    assert total[0] == "Total"
    as_seconds = [v.total_seconds() if isinstance(v, timedelta) else v for v in total[3:]]
    assert as_seconds == page.totals()
    assert sheet.cell(row=sheet.max_row, column=4).number_format == "[h]:mm:ss"


def test_thuliums_refusal_is_shown_with_its_request_id(supervisor, simulator):
    simulator.control(
        "fault",
        {"method": "GET", "path": "agents_work_report", "status": 403, "message": "No access."},
    )
    try:
        response = supervisor.get(_week_url())
    finally:
        simulator.control("fault", {})
    assert response.status_code == 502
    html = response.content.decode()
    assert "No access." in html and "request_id" in html


def test_an_end_before_the_start_is_refused_without_asking_thulium(supervisor):
    response = supervisor.get(_week_url(date_from=WEEK[1], date_to=WEEK[0]))
    assert "The end date is before the start date." in response.content.decode()
