"""Raise the forecast alerts that are due (for a cron job instead of celery beat)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from costs.forecast import forecast_alerts_raise


class Command(BaseCommand):
    help = "Alert (once per period) when a budget will be reached before the period ends at the current pace."

    def handle(self, *args, **options) -> None:
        alerts = forecast_alerts_raise()
        for alert in alerts:
            self.stdout.write(alert.message)
        self.stdout.write(f"{len(alerts)} forecast alert(s) raised.")
