"""The agent work report (Thulium's agents_work_report): a page, and its CSV and XLSX."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm_bridge.client import ThuliumError
from crm_bridge.work_report import TooManyRows

from ..work_report import Report, WorkReportForm

EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@login_required
@require_GET
def work_report(request: HttpRequest) -> HttpResponse:
    """Read-only: the form's choices in the URL, Thulium asked on each view."""
    form = WorkReportForm(request.GET)
    context = {"form": form, "nav": "reports", "query": request.GET.urlencode()}
    if form.is_bound and not form.is_valid():
        return render(request, "dashboard/work_report.html", context)
    query = form.query()
    try:
        report = Report.ask(**query)
    except TooManyRows:
        context["too_many"] = True
        return render(request, "dashboard/work_report.html", context)
    except ThuliumError as exc:
        context["error"] = exc
        return render(request, "dashboard/work_report.html", context, status=502)
    export = request.GET.get("export")
    if export in EXPORTS:
        body = report.csv() if export == "csv" else report.xlsx()
        response = HttpResponse(body, content_type=EXPORTS[export])
        name = f"work-report-{query['date_from']}-{query['date_to']}.{export}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    context.update(report=report, chosen=query)
    return render(request, "dashboard/work_report.html", context)
