"""Who last changed a row and when, from its change history (django-simple-history)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class LastChange:
    user: str
    at: dt.datetime


def last_change(instance: models.Model | None) -> LastChange | None:
    """The latest history record of `instance` (one query), or None when it has none."""
    if instance is None or instance.pk is None or not hasattr(instance, "history"):
        return None
    record = instance.history.select_related("history_user").order_by("-history_date", "-history_id").first()
    if record is None:
        return None
    user = record.history_user.get_username() if record.history_user else "the system"
    return LastChange(user=user, at=record.history_date)
