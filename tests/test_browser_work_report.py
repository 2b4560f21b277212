"""The agent work report in a real Chromium against the whole running product."""

import csv
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_weeks_report_exports_a_csv_whose_totals_match_the_page(page, login, stack):
    login(page)
    page.get_by_role("link", name="Work report").click()
    week_end = date.today() - timedelta(days=1)
    page.fill("input[name=date_from]", (week_end - timedelta(days=6)).isoformat())
    page.fill("input[name=date_to]", week_end.isoformat())
    page.select_option("select[name=aggregate_by]", "day")
    page.get_by_role("button", name="Show").click()
    totals = page.locator("[data-totals]")
    expect(totals).to_be_visible(timeout=20_000)
    on_page = [cell.strip() for cell in totals.locator("td, th").all_inner_texts()]
    rows = page.locator("[data-work-report] tbody tr").count()
    assert rows > 7  # several agents over several days
    with page.expect_download() as download:
        page.locator("[data-export=csv]").click()
    with open(download.value.path(), encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    assert lines[-1] == on_page
    assert len(lines) == rows + 2  # the headers, every row, the totals
    answered = lines[0].index("Calls answered")
    assert int(on_page[answered]) == sum(int(line[answered]) for line in lines[1:-1]) > 0
