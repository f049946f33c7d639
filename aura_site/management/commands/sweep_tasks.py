"""`manage.py sweep_tasks`: what celery beat runs every minute, for cron or a one-off check."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from aura_site.sweeping import sweep


class Command(BaseCommand):
    help = "Retry or fail tasks whose worker died; delete expired exports and stray partial files."

    def handle(self, *args, **options) -> None:
        self.stdout.write(json.dumps(sweep(), sort_keys=True))
