"""Spend over time and breakdowns, read from the daily rollups only (never the raw ledger)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, Sum
from django.utils import timezone

from aura_site.errors import ValidationFailed

from .configuration import configuration_get
from .models import CostRollup
from .periods import period_window
from .rollups import MICROS, local_day

# What `by=` groups on, and the rollup column holding it.
DIMENSIONS = {"provider": "provider", "model": "model", "stage": "stage", "project": "project_id", "user": "user_key"}
GROUPINGS = ("day", "week", "month")
MAX_RANGE_DAYS = 3 * 366
OTHER = "__other__"


def _money(value_micros: int) -> float:
    return float(Decimal(value_micros) / MICROS)


def _share(part: int, whole: int) -> float:
    return round(part * 100 / whole, 1) if whole else 0.0


def _change(now: int, before: int) -> float | None:
    """Percentage change against the previous range (None when nothing was spent then)."""
    return round((now - before) * 100 / before, 1) if before else None


@dataclass(frozen=True)
class Range:
    start: dt.date  # first day, inclusive
    end: dt.date  # last day, inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Range:
        """The range of the same length just before this one."""
        return Range(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))


def date_range(date_from: dt.date | None, date_to: dt.date | None) -> Range:
    """The asked range, defaulting to the current budget period (or the last 30 days without one)."""
    if date_from is None and date_to is None:
        now = timezone.now()
        window = period_window(configuration_get(), now)
        if window:
            date_from, date_to = local_day(window[0]), local_day(window[1]) - dt.timedelta(days=1)
            if (date_to - date_from).days >= MAX_RANGE_DAYS:  # a custom period longer than a report: its latest days
                date_to = local_day(now)
                date_from = max(date_from, date_to - dt.timedelta(days=MAX_RANGE_DAYS - 1))
        else:
            date_to = local_day(now)
            date_from = date_to - dt.timedelta(days=29)
    elif date_to is None:
        date_to = max(local_day(timezone.now()), date_from)
    elif date_from is None:
        date_from = date_to - dt.timedelta(days=29)
    if date_from > date_to:
        raise ValidationFailed.on("from", "must not be after 'to'")
    span = Range(date_from, date_to)
    if span.days > MAX_RANGE_DAYS:
        raise ValidationFailed.on("to", f"a range covers at most {MAX_RANGE_DAYS} days")
    return span


def bucket_start(day: dt.date, group_by: str) -> dt.date:
    """The first day of the day/week/month holding `day`; weeks start on Sunday, like weekly budgets."""
    if group_by == "week":
        return day - dt.timedelta(days=(day.weekday() + 1) % 7)
    if group_by == "month":
        return day.replace(day=1)
    return day


def buckets(span: Range, group_by: str) -> list[dt.date]:
    found, day = [], bucket_start(span.start, group_by)
    while day <= span.end:
        found.append(day)
        if group_by == "month":
            day = (day + dt.timedelta(days=32)).replace(day=1)
        else:
            day += dt.timedelta(days=7 if group_by == "week" else 1)
    return found


def _filtered(*, provider: str | None, project: str | None, user: int | None):
    rows = CostRollup.objects.all()
    if provider:
        rows = rows.filter(provider=provider)
    if project is not None and project != "":
        rows = rows.filter(project_id=project)
    if user is not None:
        rows = rows.filter(user_key=user)
    return rows


def _labels(dimension: str, keys: list) -> dict[Any, str]:
    """How each key reads: user names for users, "(none)" for an empty key."""
    if dimension == "user":
        names = dict(get_user_model().objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "username"))
        return {k: names.get(k, f"user {k}") if k else "(no user)" for k in keys}
    return {k: k if k else "(none)" for k in keys}


def spend_series(*, span: Range, group_by: str = "day", by: str | None = None, provider: str | None = None,
                 project: str | None = None, user: int | None = None, limit: int = 10) -> dict[str, Any]:
    """Spend per day/week/month, one series per value of `by` (the top `limit`, the rest as "Other")."""
    if group_by not in GROUPINGS:
        raise ValidationFailed.on("groupBy", f"must be one of {', '.join(GROUPINGS)}")
    if by is not None and by not in DIMENSIONS:
        raise ValidationFailed.on("by", f"must be one of {', '.join(DIMENSIONS)}")
    column = DIMENSIONS[by] if by else None
    rows = _filtered(provider=provider, project=project, user=user).filter(day__gte=span.start, day__lte=span.end)
    fields = ["day", column] if column else ["day"]
    grouped = rows.values(*fields).annotate(cost=Sum("cost_micros")).order_by()
    periods = buckets(span, group_by)
    per_key: dict[Any, dict[dt.date, int]] = {}
    for row in grouped:
        key = row[column] if column else ""
        points = per_key.setdefault(key, {})
        start = bucket_start(row["day"], group_by)
        points[start] = points.get(start, 0) + (row["cost"] or 0)
    ranked = sorted(per_key, key=lambda k: (-sum(per_key[k].values()), str(k)))
    shown, rest = ranked[:limit], ranked[limit:]
    labels = _labels(by, shown) if by else {"": "Total"}
    series = [(str(k) if by else "total", labels[k], per_key[k]) for k in shown]
    if rest:
        other: dict[dt.date, int] = {}
        for k in rest:
            for start, value in per_key[k].items():
                other[start] = other.get(start, 0) + value
        series.append((OTHER, f"Other ({len(rest)})", other))
    totals = {p: sum(points.get(p, 0) for _, _, points in series) for p in periods}
    grand = sum(totals.values())
    return {
        "from": span.start, "to": span.end, "groupBy": group_by, "by": by, "currency": configuration_get().currency,
        "periods": periods,
        "series": [{"key": key, "label": label, "total": _money(sum(points.values())),
                    "share": _share(sum(points.values()), grand),
                    "points": [{"period": p, "cost": _money(points.get(p, 0))} for p in periods]}
                   for key, label, points in series],
        "totals": [{"period": p, "cost": _money(totals[p])} for p in periods],
        "total": _money(grand),
    }


def breakdowns(*, span: Range, provider: str | None = None, project: str | None = None, user: int | None = None,
               limit: int = 10) -> dict[str, Any]:
    """Top providers, models, stages, projects and users of a range: share of total, change vs the range before."""
    before = span.previous()
    rows = _filtered(provider=provider, project=project, user=user).filter(day__gte=before.start, day__lte=span.end)
    now_q, before_q = Q(day__gte=span.start), Q(day__lt=span.start)
    dimensions: dict[str, list[dict[str, Any]]] = {}
    total = previous_total = 0
    for name, column in DIMENSIONS.items():
        grouped = list(rows.values(column).annotate(
            cost=Sum("cost_micros", filter=now_q), previous=Sum("cost_micros", filter=before_q)).order_by())
        if name == "provider":
            total = sum(r["cost"] or 0 for r in grouped)
            previous_total = sum(r["previous"] or 0 for r in grouped)
        grouped.sort(key=lambda r: (-(r["cost"] or 0), -(r["previous"] or 0), str(r[column])))
        top = grouped[:limit]
        labels = _labels(name, [r[column] for r in top])
        dimensions[name] = [{
            "key": str(r[column]), "label": labels[r[column]], "cost": _money(r["cost"] or 0),
            "share": _share(r["cost"] or 0, total), "previousCost": _money(r["previous"] or 0),
            "change": _change(r["cost"] or 0, r["previous"] or 0),
        } for r in top]
    return {
        "from": span.start, "to": span.end, "previousFrom": before.start, "previousTo": before.end,
        "currency": configuration_get().currency, "total": _money(total), "previousTotal": _money(previous_total),
        "change": _change(total, previous_total), **dimensions,
    }
