"""Wallboards: the public page behind a secret link, and the admins' screens to manage them."""

from functools import wraps

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import intraday, wallboards
from ..live_queues import tell_wallboard
from ..models import Wallboard
from ..models.wallboards import METRICS

LEVELS = {"amber": gettext_lazy("amber"), "red": gettext_lazy("red")}
METRIC_LABELS = {
    "waiting": gettext_lazy("Calls waiting"),
    "longest_wait": gettext_lazy("Longest wait (s)"),
    "service_level": gettext_lazy("Service level today (%) — lower is worse"),
    "abandon_rate": gettext_lazy("Abandon rate today (%)"),
    "asa": gettext_lazy("ASA today (s)"),
}


def wallboard(request: HttpRequest, token: str) -> HttpResponse:
    """The wallboard itself: no login, read-only; a wrong or revoked token is a plain 404."""
    board = wallboards.find(token)
    if board is None:
        raise Http404(_("No such wallboard"))
    with translation.override(board.language):  # the wallboard's language, not the viewer's
        response = render(request, "dashboard/wallboard.html", wallboards.context(board))
    return _private(response)


def wallboard_intraday(request: HttpRequest, token: str) -> HttpResponse:
    """The wallboard's intraday chart alone: the page fetches it again every minute."""
    board = wallboards.find(token)
    if board is None or board.intraday_queue_id is None:
        raise Http404(_("No such wallboard"))
    with translation.override(board.language):
        ctx = {"wb": board, "intraday": intraday.today(board.intraday_queue)}
        response = render(request, "dashboard/wallboard.html#wb-intraday", ctx)
    return _private(response)


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def staff_required(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied(_("Only admins manage wallboards."))
        return view(request, *args, **kwargs)

    return wrapped


class WallboardForm(forms.ModelForm):
    class Meta:
        model = Wallboard
        fields = [
            "name",
            "kind",
            "queues",
            "agent_groups",
            "intraday_queue",
            "theme",
            "language",
            "font_scale",
            "sound",
        ]
        widgets = {
            "queues": forms.CheckboxSelectMultiple,
            "agent_groups": forms.CheckboxSelectMultiple,
            "font_scale": forms.NumberInput(attrs={"step": "0.1", "min": "0.5", "max": "3"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if wallboards.campaigns_available():
            Campaign = apps.get_model("crm_bridge", "Campaign")
            self.fields["campaigns"] = forms.MultipleChoiceField(
                required=False,
                widget=forms.CheckboxSelectMultiple,
                label=_("Campaigns"),
                help_text=_("None chosen: every active campaign."),
                choices=[
                    (c.campaign_id, f"{c.campaign_id} {c.name}")
                    for c in Campaign.objects.filter(gone=False)
                ],
                initial=self.instance.campaign_ids,
            )
        self.metric_rows = []
        for metric in METRICS:
            amber, red = self.instance.threshold(metric)
            for level, value in (("amber", amber), ("red", red)):
                self.fields[f"{metric}_{level}"] = forms.FloatField(
                    label=f"{METRIC_LABELS[metric]}: {LEVELS[level]}", initial=value, min_value=0
                )
            self.metric_rows.append(
                (METRIC_LABELS[metric], self[f"{metric}_amber"], self[f"{metric}_red"])
            )

    def clean_font_scale(self):
        scale = self.cleaned_data["font_scale"]
        if not 0.5 <= scale <= 3:
            raise forms.ValidationError(_("Choose a font scale between 0.5 and 3."))
        return scale

    def clean(self):
        data = super().clean()
        for metric, default in METRICS.items():
            amber, red = data.get(f"{metric}_amber"), data.get(f"{metric}_red")
            if amber is None or red is None:
                continue
            worse = red < amber if default["direction"] == "down" else red > amber
            if not worse and red != amber:
                below = default["direction"] == "down"
                message = _("Red must be below amber.") if below else _("Red must be above amber.")
                self.add_error(f"{metric}_red", message)
        return data

    def save(self, commit=True):
        # Only what differs from the shared thresholds (Admin → Thresholds) is the
        # wallboard's own: the rest follows them, also when an admin changes them later.
        chosen = {}
        for metric in METRICS:
            amber, red = self.cleaned_data[f"{metric}_amber"], self.cleaned_data[f"{metric}_red"]
            if (amber, red) != Wallboard.shared_threshold(metric):
                chosen[metric] = {"amber": amber, "red": red}
        self.instance.thresholds = chosen
        if "campaigns" in self.fields:
            self.instance.campaign_ids = self.cleaned_data.get("campaigns") or []
        return super().save(commit)


@staff_required
def wallboard_list(request: HttpRequest) -> HttpResponse:
    boards = list(
        Wallboard.objects.prefetch_related("queues", "agent_groups").order_by(
            F("revoked_at").desc(nulls_first=True), "name"
        )
    )
    for board in boards:
        board.link = request.build_absolute_uri(board.get_absolute_url())
    return render(request, "dashboard/wallboards.html", {"boards": boards, "nav": "wallboards"})


@staff_required
def wallboard_create(request: HttpRequest) -> HttpResponse:
    form = WallboardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        board = form.save()
        messages.success(
            request, _("Wallboard “%(name)s” created: copy its link below.") % {"name": board.name}
        )
        return redirect("wallboards")
    return render(
        request, "dashboard/wallboard_form.html", {"form": form, "nav": "wallboards", "board": None}
    )


@staff_required
def wallboard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    board = get_object_or_404(Wallboard, pk=pk, revoked_at__isnull=True)
    form = WallboardForm(request.POST or None, instance=board)
    if request.method == "POST" and form.is_valid():
        form.save()
        tell_wallboard(board, "wallboard.reload")
        messages.success(
            request,
            _("Wallboard “%(name)s” saved; open screens reload by themselves.")
            % {"name": board.name},
        )
        return redirect("wallboards")
    return render(
        request,
        "dashboard/wallboard_form.html",
        {"form": form, "nav": "wallboards", "board": board},
    )


@staff_required
@require_POST
def wallboard_new_link(request: HttpRequest, pk: int) -> HttpResponse:
    board = get_object_or_404(Wallboard, pk=pk, revoked_at__isnull=True)
    tell_wallboard(board, "wallboard.closed")  # screens on the old link go blank
    board.new_link()
    messages.success(
        request,
        _("Wallboard “%(name)s” has a new link; the old one no longer works.")
        % {"name": board.name},
    )
    return redirect("wallboards")


@staff_required
@require_POST
def wallboard_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    board = get_object_or_404(Wallboard, pk=pk, revoked_at__isnull=True)
    board.revoke()
    tell_wallboard(board, "wallboard.closed")
    messages.success(
        request, _("Wallboard “%(name)s” revoked: its link no longer works.") % {"name": board.name}
    )
    return redirect("wallboards")
