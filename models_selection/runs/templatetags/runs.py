"""The runs' part of the models page: the form that plans a run and the recent runs (`{% load runs %}`)."""

from __future__ import annotations

from django import template

from aura_site.auth import can

from ..models import Job

register = template.Library()

RECENT_RUNS = 10


@register.inclusion_tag("runs/plan_panel.html", takes_context=True)
def run_plan_panel(context, rows):
    """`rows`: the page's stages (each with `stage` and `label`), one run override field per stage."""
    may_run = can(context["request"].user, Job, "add")
    return {
        "may_run": may_run,
        "rows": rows,
        "recent_jobs": list(Job.objects.order_by("-created_at")[:RECENT_RUNS]) if may_run else [],
        "csrf_token": context.get("csrf_token"),
    }
