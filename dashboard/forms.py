import re

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from crm_bridge.models import Campaign, PauseReason


class PauseForm(forms.Form):
    pause_id = forms.TypedChoiceField(label=_("Reason"), coerce=int, choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pause_id"].choices = [(r.pause_id, r.name) for r in PauseReason.objects.all()]


class CallForm(forms.Form):
    """POST agents/:login/call: a number, or a customer of Thulium's CRM (found in the dialog,
    crm_bridge/customers.py) whose number it is; the campaigns already calling the number are
    shown beside it (outbounds_by_phone_number)."""

    phone_number = forms.CharField(
        label=_("Number"),
        max_length=32,
        required=False,
        widget=forms.TextInput(
            attrs={
                "hx-get": reverse_lazy("number-campaigns"),
                "hx-trigger": "change, keyup changed delay:600ms",
                "hx-target": "#number-campaigns",
                "hx-sync": "this:replace",
                "aria-describedby": "number-campaigns",
            }
        ),
    )
    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    outbound_id = forms.CharField(
        label=_("Campaign"),
        max_length=5,
        required=False,
        help_text=_("Optional: report the call in this campaign (Thulium picks one otherwise)."),
        widget=forms.TextInput(attrs={"list": "campaign-ids", "placeholder": _("e.g. 00001")}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaigns = list(Campaign.objects.filter(gone=False).only("campaign_id", "name"))

    def clean_phone_number(self):
        number = re.sub(r"[\s\-()]", "", self.cleaned_data["phone_number"])
        if not number and self.data.get("customer_id"):
            return ""  # the customer's main number (Thulium's choice)
        if not re.fullmatch(r"\+?\d{3,20}", number):
            raise forms.ValidationError(
                _("Enter a phone number: digits, optionally starting with +.")
            )
        return number

    def clean_outbound_id(self):
        outbound_id = self.cleaned_data["outbound_id"].strip()
        if outbound_id and len(outbound_id) != 5:
            raise forms.ValidationError(_("A campaign id has five characters, e.g. 00001."))
        return outbound_id


class TransferForm(forms.Form):
    """Transfer an agent's call (POST agents/:login/transfer, `destination` a phone number):
    to another agent (their number, from the agents this user may act on) or to a number."""

    to_agent = forms.ChoiceField(label=_("To agent"), required=False, choices=())
    destination = forms.CharField(label=_("Or to a number"), max_length=32, required=False)

    def __init__(self, *args, agent=None, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = {
            a.login: a for a in agents if a.number and a.status != "OFF" and a.pk != agent.pk
        }
        self.fields["to_agent"].choices = [("", "—")] + [
            (a.login, f"{a} ({a.number}) — {a.get_status_display()}") for a in self.targets.values()
        ]

    def clean_destination(self):
        number = re.sub(r"[\s\-()]", "", self.cleaned_data["destination"])
        if number and not re.fullmatch(r"\+?\d{3,20}", number):
            raise forms.ValidationError(
                _("Enter a phone number: digits, optionally starting with +.")
            )
        return number

    def clean(self):
        data = super().clean()
        to_agent, number = data.get("to_agent"), data.get("destination")
        if self.errors:
            return data
        if bool(to_agent) == bool(number):
            raise forms.ValidationError(_("Choose an agent or enter a number (one of them)."))
        if to_agent:
            data["destination"] = self.targets[to_agent].number
        return data
