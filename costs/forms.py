"""Page forms for costs; the rules stay in configuration (configuration_update) and pricing (price_set)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms

from aura_site.schemas import AMOUNT_MAX, MONEY_COLUMN_MAX
from aura_site.supported_dates import validate_supported

from .display import plain_amount
from .models import AlertFrequency, PeriodType, ProviderType


def _plain(value) -> str:
    try:
        return plain_amount(value)
    except (ValueError, ArithmeticError):
        return str(value)


def _price_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(required=False, min_value=0, max_value=AMOUNT_MAX, max_digits=14, decimal_places=6,
                              label=label)


class ConfigurationForm(forms.Form):
    overall_monthly_budget = forms.DecimalField(label="Overall budget per period", required=False, min_value=0,
                                                decimal_places=6, max_digits=14,  # what the ledger holds
                                                max_value=MONEY_COLUMN_MAX)
    period_type = forms.ChoiceField(choices=PeriodType.choices)
    custom_start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                   validators=[validate_supported])
    custom_end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                 validators=[validate_supported], help_text="Last day, counted in full.")
    currency = forms.CharField(max_length=3)
    alert_thresholds = forms.CharField(help_text="Percentages, comma separated, e.g. 50, 75, 90, 100.")
    alert_frequency = forms.ChoiceField(choices=AlertFrequency.choices)
    email_notifications_enabled = forms.BooleanField(required=False, label="E-mail alerts")
    notification_email = forms.EmailField(required=False)
    provider_budgets = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                       help_text="One per line: Provider = amount")
    hard_budget_limit = forms.BooleanField(required=False, label="Hard limit (block operations over budget)")
    enable_project_tracking = forms.BooleanField(required=False)

    def clean_alert_thresholds(self) -> list[int]:
        try:
            return [int(p.strip()) for p in self.cleaned_data["alert_thresholds"].split(",") if p.strip()]
        except ValueError:
            raise forms.ValidationError("Whole percentages separated by commas.") from None

    def clean_provider_budgets(self) -> dict[str, str]:
        budgets = {}
        for line in (self.cleaned_data.get("provider_budgets") or "").splitlines():
            if not line.strip():
                continue
            name, sep, amount = line.partition("=")
            if not sep or not name.strip():
                raise forms.ValidationError(f"“{line}” is not “Provider = amount”.")
            try:
                value = Decimal(amount.strip())
            except InvalidOperation:
                raise forms.ValidationError(f"“{amount.strip()}” is not an amount (line “{line}”).") from None
            if not value.is_finite() or not 0 <= value <= MONEY_COLUMN_MAX:
                raise forms.ValidationError(f"“{amount.strip()}” must be between 0 and {MONEY_COLUMN_MAX}.")
            budgets[name.strip()] = amount.strip()
        return budgets

    @classmethod
    def initial_from(cls, config) -> dict:
        return {
            "overall_monthly_budget": plain_amount(config.overall_monthly_budget), "period_type": config.period_type,
            "custom_start": config.custom_start, "custom_end": config.custom_end, "currency": config.currency,
            "alert_thresholds": ", ".join(str(t) for t in config.alert_thresholds),
            "alert_frequency": config.alert_frequency,
            "email_notifications_enabled": config.email_notifications_enabled,
            "notification_email": config.notification_email,
            "provider_budgets": "\n".join(f"{k} = {_plain(v)}" for k, v in (config.provider_budgets or {}).items()),
            "hard_budget_limit": config.hard_budget_limit, "enable_project_tracking": config.enable_project_tracking,
        }


class PriceForm(forms.Form):
    provider_name = forms.CharField(max_length=100)
    model_id = forms.CharField(max_length=200, required=False)
    provider_type = forms.ChoiceField(choices=ProviderType.choices)
    cost_per_1k_input_tokens = _price_field("Per 1K input tokens")
    cost_per_1k_output_tokens = _price_field("Per 1K output tokens")
    cost_per_1k_characters = _price_field("Per 1K characters")
    cost_per_image = _price_field("Per image")
    cost_per_second = _price_field("Per second")


class OptimizeForm(forms.Form):
    budget_limit = forms.DecimalField(min_value=0, max_value=AMOUNT_MAX, max_digits=14, decimal_places=6,
                                      label="Budget per run")
    desired_quality = forms.ChoiceField(choices=[("draft", "Draft"), ("standard", "Standard"), ("premium", "Premium")],
                                        initial="standard")
    deadline_minutes = forms.IntegerField(required=False, min_value=1, max_value=100_000, label="Deadline (minutes)")
