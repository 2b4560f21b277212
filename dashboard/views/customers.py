"""The call dialog's help from Thulium's CRM: find a customer (GET customers) and see which
campaigns already call a number (GET outbounds_by_phone_number). Asked when a supervisor
types, never on the live path; Thulium's refusal is shown with its request_id."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm_bridge import customers
from crm_bridge.client import ThuliumError

from ..teams import ACT


@login_required
@permission_required(ACT, raise_exception=True)
def customer_search(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()
    context = {"q": text, "found": [], "error": None, "searched": len(text) >= 3}
    if context["searched"]:
        try:
            context["found"] = customers.search(text, limit=10)
        except ThuliumError as exc:
            context["error"] = exc
    return render(request, "dashboard/customer_search.html#results", context)


@login_required
@permission_required(ACT, raise_exception=True)
def number_campaigns(request: HttpRequest) -> HttpResponse:
    number = customers.normalize(request.GET.get("phone_number", ""))
    context = {"number": number, "campaigns": [], "error": None}
    if len(number) >= 6:
        try:
            context["campaigns"] = customers.campaigns_calling(number)
        except ThuliumError as exc:
            context["error"] = exc
    return render(request, "dashboard/customer_search.html#campaigns", context)
