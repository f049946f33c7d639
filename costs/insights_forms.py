"""Forms of the Costs page's spend, breakdown and webhook sections."""

from __future__ import annotations

from django import forms

from aura_site.supported_dates import validate_supported

from .analytics import DIMENSIONS


class SpendRangeForm(forms.Form):
    """The date-range picker: a GET form, so a chosen range is a link that can be shared."""

    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                validators=[validate_supported])
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              validators=[validate_supported])
    group_by = forms.ChoiceField(label="Per", required=False, initial="day",
                                 choices=[("day", "Day"), ("week", "Week"), ("month", "Month")])
    by = forms.ChoiceField(label="Split by", required=False, initial="provider",
                           choices=[("", "Nothing (total)")] + [(d, d.capitalize()) for d in DIMENSIONS])

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end of the range must not be before its start.")
        return data


class WebhookForm(forms.Form):
    name = forms.CharField(max_length=100)
    url = forms.URLField(label="URL", max_length=2000, assume_scheme="https",
                         help_text="Receives a POST for each alert; private addresses are refused.")
    secret = forms.CharField(min_length=8, max_length=200, widget=forms.PasswordInput(render_value=False),
                             help_text="Signs each body (HMAC-SHA256, header X-Aura-Signature); never shown again.")
    slack_format = forms.BooleanField(label="Slack-compatible body", required=False)
