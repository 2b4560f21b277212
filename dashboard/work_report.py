"""The agent work report: Thulium's agents_work_report as a table with a totals row, and the
same table as CSV and XLSX (the totals computed once, so every form shows the same)."""

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_bridge.models import Agent, AgentGroup, PauseReason
from crm_bridge.work_report import AGGREGATIONS, WorkRow, fetch

AGGREGATION_LABELS = {
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
    "year": _("Year"),
    "hour": _("Hour"),
    "hour_of_day": _("Hour of day"),
    "minute": _("Minute"),
}
MAX_DAYS = 366


class WorkReportForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    agents = forms.MultipleChoiceField(label=_("Agents"), required=False)
    groups = forms.TypedMultipleChoiceField(label=_("Groups"), required=False, coerce=int)
    aggregate_by = forms.ChoiceField(
        label=_("By"), choices=[(a, AGGREGATION_LABELS[a]) for a in AGGREGATIONS], initial="day"
    )

    def __init__(self, data=None):
        today = timezone.localdate()
        initial = {"date_from": today - timedelta(days=6), "date_to": today, "aggregate_by": "day"}
        bound = data if data and "date_from" in data else None
        super().__init__(bound, initial=initial)
        self.fields["agents"].choices = [(a.login, str(a)) for a in Agent.objects.all()]
        self.fields["groups"].choices = [(g.group_id, g.name) for g in AgentGroup.objects.all()]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        if start and end and (end - start).days >= MAX_DAYS:
            raise forms.ValidationError(_("Choose at most a year."))
        return data

    def query(self) -> dict:
        """What to ask Thulium: the chosen agents and groups, or every group (Thulium needs
        one of the two)."""
        data = self.cleaned_data if self.is_bound else {**self.initial, "agents": [], "groups": []}
        groups = data["groups"]
        if not data["agents"] and not groups:
            groups = [g for g, _name in self.fields["groups"].choices]
        return {
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "logins": data["agents"],
            "group_ids": groups,
            "aggregate_by": data["aggregate_by"],
        }


@dataclass
class Report:
    rows: list[WorkRow]
    pause_ids: list[int]
    names: dict

    @classmethod
    def ask(cls, date_from: date, date_to: date, **query) -> "Report":
        rows = (
            fetch(date_from, date_to, **query)
            if query.get("logins") or query.get("group_ids")
            else []
        )
        pause_ids = sorted({p for row in rows for p in row.pauses})
        names = dict(PauseReason.objects.values_list("pause_id", "name"))
        return cls(rows=rows, pause_ids=pause_ids, names=names)

    def headers(self) -> list[str]:
        reasons = [str(PauseReason.label(p, self.names)) for p in self.pause_ids]
        return [
            str(_("Agent")), str(_("Login")), str(_("Period")), str(_("Logged in")),
            str(_("Free")), str(_("Paused")), *reasons, str(_("Talk time")),
            str(_("Calls answered")), str(_("Calls missed")), str(_("Outbound calls")),
        ]  # fmt: skip

    def values(self, row) -> list:
        """One row's numbers (seconds for times), in the headers' order after the period."""
        return [
            row.logged_in, row.free, row.paused, *[row.pauses.get(p, 0) for p in self.pause_ids],
            row.talk, row.answered, row.missed, row.outbound_calls,
        ]  # fmt: skip

    def totals(self) -> list:
        columns = [self.values(row) for row in self.rows]
        return [sum(c) for c in zip(*columns, strict=True)] if columns else []

    @property
    def time_columns(self) -> int:
        """How many of the values are times (the rest are counts)."""
        return 4 + len(self.pause_ids)

    def table(self) -> list[dict]:
        return [{"row": row, "cells": self._cells(self.values(row))} for row in self.rows]

    def total_cells(self) -> list[str]:
        return self._cells(self.totals())

    def _cells(self, values: list) -> list[str]:
        return [hms(v) if i < self.time_columns else str(v) for i, v in enumerate(values)]

    def csv(self) -> str:
        out = io.StringIO()
        out.write("\ufeff")  # a BOM: Excel then reads the Polish letters as UTF-8
        writer = csv.writer(out)
        writer.writerow(self.headers())
        for item in self.table():
            row = item["row"]
            writer.writerow([row.name, row.login, row.period, *item["cells"]])
        writer.writerow([str(_("Total")), "", "", *self.total_cells()])
        return out.getvalue()

    def xlsx(self) -> bytes:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        book = Workbook()
        sheet = book.active
        sheet.title = str(_("Work report"))[:31]
        sheet.append(self.headers())
        for row in self.rows:
            sheet.append([row.name, row.login, row.period, *self._xlsx(self.values(row))])
        sheet.append([str(_("Total")), "", "", *self._xlsx(self.totals())])
        for cell in sheet[1] + sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for column in sheet.iter_cols(min_col=4, max_col=3 + self.time_columns, min_row=2):
            for cell in column:
                cell.number_format = "[h]:mm:ss"
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def _xlsx(self, values: list) -> list:
        """Times as Excel durations (they add up in Excel), counts as numbers."""
        return [timedelta(seconds=v) if i < self.time_columns else v for i, v in enumerate(values)]


def hms(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
