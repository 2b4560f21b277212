"""crm_bridge.outbounds against the simulator: every campaign endpoint, as the document says."""

import pytest

from crm_bridge import outbounds
from crm_bridge.client import ThuliumAPIError

pytestmark = pytest.mark.django_db


def _new(campaign_id: str, **extra) -> str:
    data = {"id": campaign_id, "name": f"Test {campaign_id}", "dialer": "preview", "crm": False}
    return outbounds.create_campaign({**data, **extra})


def test_it_lists_campaigns():
    campaigns = outbounds.get_campaigns()
    assert len(campaigns) >= 6
    first = campaigns[0]
    assert len(first.campaign_id) == 5 and first.name
    assert isinstance(first.crm, bool) and 1 <= first.order <= 99999 and 1 <= first.parity <= 100


def test_it_reads_stats_of_active_campaigns_and_of_one():
    stats = outbounds.get_all_stats()
    assert stats and all(s.records_count is not None for s in stats)
    one = outbounds.get_stats(stats[0].campaign_id)
    assert one.campaign_id == stats[0].campaign_id
    assert 0 <= one.completion_percent <= 100


def test_it_reads_agents_and_statuses():
    agents = outbounds.get_campaign_agents("00001")
    assert agents and all(a.login for a in agents)
    assert all(isinstance(a.active_in_outbound, bool) for a in agents)
    statuses = outbounds.get_campaign_statuses("00001")
    systems = {s.system_status for s in statuses}
    assert {"TO_CALL", "NO_CALL", "CALL"} <= systems
    assert all(s.name for s in statuses)


def test_it_pages_and_filters_records():
    page = outbounds.get_records("00002", limit=5, offset=0)
    assert page.count > 5 and len(page.records) == 5
    second = outbounds.get_records("00002", limit=5, offset=5)
    assert {r.record_id for r in page.records}.isdisjoint({r.record_id for r in second.records})
    done = outbounds.get_records("00002", limit=100, system_statuses=["NO_CALL"])
    assert done.records and {r.system_status for r in done.records} == {"NO_CALL"}


def test_it_reads_crm_records_and_refuses_crm_listing_of_a_csv_campaign():
    crm = outbounds.get_records("00001", crm=True, limit=3)
    assert crm.records and all(r.customer_id for r in crm.records)
    with pytest.raises(ThuliumAPIError) as refused:
        outbounds.get_records("00002", crm=True)
    assert refused.value.status == 400 and refused.value.request_id


def test_it_creates_updates_and_reads_back():
    assert _new("T0001", order=7, parity=9, parameters={"caller_id": "221234567"}) == "T0001"
    listed = {c.campaign_id: c for c in outbounds.get_campaigns()}
    assert listed["T0001"].order == 7 and listed["T0001"].parity == 9
    outbounds.update_campaign("T0001", {"name": "Renamed", "order": 8})
    listed = {c.campaign_id: c for c in outbounds.get_campaigns()}
    assert listed["T0001"].name == "Renamed" and listed["T0001"].order == 8


def test_it_generates_an_id_when_none_is_given():
    new_id = outbounds.create_campaign({"name": "No id", "dialer": "progressive", "crm": True})
    assert len(new_id) == 5


def test_create_reports_every_invalid_field():
    with pytest.raises(ThuliumAPIError) as refused:
        outbounds.create_campaign({"id": "12", "name": "", "dialer": "robot", "order": 0})
    error = refused.value
    assert error.status == 400 and error.request_id and not error.transient
    text = " ".join(e["message"] for e in error.errors)
    for field in ("id", "name", "dialer", "crm", "order"):
        assert f"Field {field}" in text


def test_it_clones():
    _new("T0002")
    assert outbounds.clone_campaign("T0002", {"new_id": "T0003", "name": "Copy"}) == "T0003"
    assert "T0003" in {c.campaign_id for c in outbounds.get_campaigns()}
    with pytest.raises(ThuliumAPIError) as refused:
        outbounds.clone_campaign("T0002", {"new_id": "T0003", "name": "Again"})
    assert "already exists" in refused.value.message


def test_it_adds_removes_and_sets_agents():
    _new("T0004")
    logins = [a.login for a in outbounds.get_campaign_agents("00001")][:3]
    outbounds.add_agents("T0004", logins)
    assert {a.login for a in outbounds.get_campaign_agents("T0004")} == set(logins)
    outbounds.remove_agents("T0004", logins[:1])
    assert {a.login for a in outbounds.get_campaign_agents("T0004")} == set(logins[1:])
    outbounds.set_agents("T0004", logins[:1])
    assert [a.login for a in outbounds.get_campaign_agents("T0004")] == logins[:1]
    with pytest.raises(ThuliumAPIError) as refused:
        outbounds.add_agents("T0004", ["nobody-here"])
    assert "nobody-here" in refused.value.message


def test_it_deletes_one_and_then_it_is_gone():
    _new("T0005")
    outbounds.delete_campaign("T0005", delete_recordings=True)
    assert "T0005" not in {c.campaign_id for c in outbounds.get_campaigns()}
    with pytest.raises(ThuliumAPIError) as missing:
        outbounds.get_stats("T0005")
    assert missing.value.status == 404


def test_batch_delete_answers_per_id():
    _new("T0006")
    _new("T0007")
    outbounds.delete_campaign("T0007")
    results = {r.campaign_id: r for r in outbounds.delete_campaigns(["T0006", "T0007", "ZZZZZ"])}
    assert results["T0006"].status == "REMOVAL_QUEUED" and results["T0006"].ok
    assert results["T0007"].status == "ALREADY_QUEUED" and results["T0007"].http_status == 400
    assert results["ZZZZZ"].status == "NOT_EXIST" and results["ZZZZZ"].http_status == 404
