"""Campaign forms, checking every field as Thulium's document does before Thulium is asked,
and placing Thulium's own errors on the field they name."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from crm_bridge.client import ThuliumAPIError
from crm_bridge.models import Agent, AgentGroup, Campaign, Dialer
from crm_bridge.outbounds import PARAMETERS

# Thulium's document (POST outbounds, "Obsługiwane parametry"): the over-dialling ratio
# ("współczynnik naddzwaniania") is the predictive dialer's only. The form shows these fields
# for that dialer only (static/dashboard/pages.js) and sends them for no other.
PREDICTIVE_ONLY = ("predictive_min_calls", "predictive_max_calls")

ID_RE = re.compile(r"^[0-9A-Za-z]{5}$")
ID_HELP = _("Five characters, e.g. 00042. Leave empty and Thulium picks one.")
GROUP_HELP = _(
    "Id grupy kampanii: the id of a campaign group in Thulium (not an agent group). "
    "Thulium's API cannot list campaign groups: ids already used by campaigns are suggested."
)


def _campaign_id(value: str, label: str = "id") -> str:
    value = (value or "").strip()
    if value and not ID_RE.match(value):
        raise forms.ValidationError(
            _("The campaign %(label)s has exactly five letters or digits.") % {"label": label}
        )
    return value


class _CampaignChecks:
    """The checks campaign forms share, and Thulium's error messages put on the field they
    name ("Field order must ...")."""

    thulium_names: dict[str, str] = {}

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date cannot be before the start date."))
        if data.get("dialer", Dialer.PREDICTIVE) != Dialer.PREDICTIVE:
            for name in PREDICTIVE_ONLY:  # hidden for this dialer: whatever was left in them
                data.pop(name, None)
                self.errors.pop(name, None)
        low, high = data.get("predictive_min_calls"), data.get("predictive_max_calls")
        if low is not None and high is not None and low > high:
            self.add_error("predictive_min_calls", _("Min calls cannot exceed max calls."))
        return data

    def add_thulium_errors(self, exc: ThuliumAPIError) -> None:
        suffix = f" (request_id {exc.request_id})" if exc.request_id else ""
        for error in exc.errors or [{"message": exc.message}]:
            text = error.get("message") or exc.message
            field = self._field_named(text)
            self.add_error(field, f"Thulium: {text}{suffix}")

    def _field_named(self, text: str) -> str | None:
        words = set(re.findall(r"[a-z_]+", text.lower()))
        for thulium_name, field in self.thulium_names.items():
            if thulium_name in words and field in self.fields:
                return field
        return None


class CampaignForm(_CampaignChecks, forms.Form):
    """POST outbounds (create) and PUT outbounds/:id (edit: id and crm cannot change)."""

    campaign_id = forms.CharField(label=_("Id"), max_length=5, required=False, help_text=ID_HELP)
    name = forms.CharField(label=_("Name"), max_length=255)
    dialer = forms.ChoiceField(label=_("Dialer"), choices=Dialer.choices)
    crm = forms.TypedChoiceField(
        label=_("Records from"),
        choices=[("true", "CRM"), ("false", "CSV")],
        coerce=lambda v: v == "true",
        initial="true",
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    start_date = forms.DateField(
        label=_("Start date"),
        required=False,
        help_text=_("Empty: today."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end_date = forms.DateField(
        label=_("End date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    order = forms.IntegerField(
        label=_("Order"), min_value=1, max_value=99999, initial=50, help_text="1-99999"
    )
    parity = forms.IntegerField(
        label=_("Parity"), min_value=1, max_value=100, initial=50, help_text="1-100"
    )
    group_id = forms.IntegerField(
        label=_("Campaign group id"),
        required=False,
        min_value=1,
        help_text=GROUP_HELP,
        widget=forms.NumberInput(attrs={"list": "campaign-group-ids"}),
    )
    caller_id = forms.RegexField(
        label=_("Caller id"),
        regex=r"^\+?\d{3,15}$",
        required=False,
        error_messages={"invalid": _("Enter the number to present: digits, optionally a +.")},
    )
    preview_timeout = forms.IntegerField(
        label=_("Preview timeout (s)"), min_value=1, required=False
    )
    predictive_min_calls = forms.DecimalField(
        label=_("Predictive min calls"),
        min_value=0.1,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"data-dialer-only": "predictive"}),
    )
    predictive_max_calls = forms.DecimalField(
        label=_("Predictive max calls"),
        min_value=0.1,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"data-dialer-only": "predictive"}),
    )

    thulium_names = {
        "id": "campaign_id",
        "new_id": "campaign_id",
        "name": "name",
        "dialer": "dialer",
        "crm": "crm",
        "active": "active",
        "start_date": "start_date",
        "end_date": "end_date",
        "order": "order",
        "parity": "parity",
        "group_id": "group_id",
        **{p: p for p in PARAMETERS},
    }

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.known_group_ids = list(
            Campaign.objects.exclude(group_id=None)
            .order_by("group_id")
            .values_list("group_id", flat=True)
            .distinct()
        )
        if editing:
            del self.fields["campaign_id"]
            del self.fields["crm"]

    def clean_campaign_id(self):
        return _campaign_id(self.cleaned_data["campaign_id"])

    def payload(self) -> dict:
        """The JSON body for Thulium: only what was filled in."""
        data = self.cleaned_data
        body = {
            "id": data.get("campaign_id"),
            "name": data["name"],
            "dialer": data["dialer"],
            "crm": data.get("crm"),
            "active": data["active"],
            "start_date": data["start_date"].isoformat() if data.get("start_date") else None,
            "end_date": data["end_date"].isoformat() if data.get("end_date") else None,
            "order": data["order"],
            "parity": data["parity"],
            "group_id": data.get("group_id"),
        }
        body = {k: v for k, v in body.items() if v not in (None, "")}
        parameters = {p: str(data[p]) for p in PARAMETERS if data.get(p) not in (None, "")}
        if parameters:
            body["parameters"] = parameters
        return body


class CloneForm(_CampaignChecks, forms.Form):
    """POST outbounds/:id/clone."""

    new_id = forms.CharField(label=_("New id"), max_length=5, required=False, help_text=ID_HELP)
    name = forms.CharField(label=_("Name"), max_length=255)
    start_date = forms.DateField(
        label=_("Start date"),
        required=False,
        help_text=_("Empty: today."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end_date = forms.DateField(
        label=_("End date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    caller_id = CampaignForm.base_fields["caller_id"]
    preview_timeout = CampaignForm.base_fields["preview_timeout"]
    predictive_min_calls = CampaignForm.base_fields["predictive_min_calls"]
    predictive_max_calls = CampaignForm.base_fields["predictive_max_calls"]

    thulium_names = {**CampaignForm.thulium_names, "id": "new_id", "new_id": "new_id"}

    def clean_new_id(self):
        return _campaign_id(self.cleaned_data["new_id"], "new id")

    def payload(self) -> dict:
        data = self.cleaned_data
        body = {
            "new_id": data.get("new_id"),
            "name": data["name"],
            "start_date": data["start_date"].isoformat() if data.get("start_date") else None,
            "end_date": data["end_date"].isoformat() if data.get("end_date") else None,
        }
        body = {k: v for k, v in body.items() if v}
        parameters = {p: str(data[p]) for p in PARAMETERS if data.get(p) not in (None, "")}
        if parameters:
            body["parameters"] = parameters
        return body


class DeleteForm(forms.Form):
    """DELETE outbounds/:id or DELETE batch/outbounds."""

    ids = forms.MultipleChoiceField(label=_("Campaigns"), widget=forms.MultipleHiddenInput)
    delete_recordings = forms.BooleanField(label=_("Also delete the recordings"), required=False)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = choices


class AgentListForm(forms.Form):
    """Pick agents by name or by whole group, and what to do with them."""

    ACTIONS = [
        ("add", _("Add to the campaign")),
        ("remove", _("Remove from the campaign")),
        ("set", _("Set exactly these")),
    ]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect, initial="add")
    logins = forms.MultipleChoiceField(label=_("Agents"), required=False)
    groups = forms.TypedMultipleChoiceField(label=_("Whole groups"), required=False, coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["logins"].choices = [
            (a.login, f"{a} ({a.login})") for a in Agent.objects.filter(active=True)
        ]
        self.fields["groups"].choices = list(AgentGroup.objects.values_list("group_id", "name"))

    def clean(self):
        data = super().clean()
        chosen = set(data.get("logins") or [])
        if data.get("groups"):
            chosen |= set(
                Agent.objects.filter(active=True, group_id__in=data["groups"]).values_list(
                    "login", flat=True
                )
            )
        if not chosen:
            raise forms.ValidationError(_("Pick at least one agent or group."))
        data["chosen"] = sorted(chosen)
        return data

    def plan(self, current: list[str]) -> tuple[list[str], list[str]]:
        """(to add, to remove) against the campaign's current agents."""
        chosen, now = set(self.cleaned_data["chosen"]), set(current)
        action = self.cleaned_data["action"]
        if action == "add":
            return sorted(chosen - now), []
        if action == "remove":
            return [], sorted(chosen & now)
        return sorted(chosen - now), sorted(now - chosen)
