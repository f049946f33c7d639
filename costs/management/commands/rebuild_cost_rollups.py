"""Recompute the daily spend rollups from the ledger (after an import, a time-zone change, or a repair)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from costs.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute every daily spend rollup from the cost ledger."

    def handle(self, *args, **options) -> None:
        count = rollups_rebuild()
        self.stdout.write(f"Rebuilt {count} daily rollup rows from the ledger.")
