"""REST routes of the costs app, under /api/cost-tracking."""

from __future__ import annotations

import uuid
from http import HTTPStatus

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import Body, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from aura_site.auth import read_access, write_access
from aura_site.errors import NotFound, ValidationFailed
from aura_site.pagination import DEFAULT_PAGE_SIZE, PageLimit, PageOffset
from aura_site.schemas import READ_ERRORS, WRITE_ERRORS, CamelInSchema, DbId, ErrorOut
from aura_site.supported_dates import SupportedDateTime

from . import alerts, budgets, configuration, estimates, exports, holds, ledger, optimizer, pricing, selectors
from .forecast import period_forecast
from .models import Alert, CostConfiguration, CostOperation, ExportJob, Hold, Price
from .schemas import (
    AlertOut,
    ConfigurationIn,
    ConfigurationOut,
    CurrentPeriodOut,
    EstimateIn,
    EstimateOut,
    ExportStartOut,
    ExportStatusOut,
    HoldIn,
    HoldOut,
    OperationBatchIn,
    OperationPageOut,
    OperationsIn,
    OptimizeIn,
    OptimizeOut,
    PriceIn,
    PriceOut,
    RecordOut,
    RunSummaryOut,
)

router = Router(tags=["Costs"], by_alias=True)


class ExportQuery(CamelInSchema):
    format: str = "csv"
    date_from: SupportedDateTime | None = Field(default=None, alias="from")
    date_to: SupportedDateTime | None = Field(default=None, alias="to")
BUDGET_ERRORS = {**WRITE_ERRORS, 402: ErrorOut}


@router.get("/configuration", response={200: ConfigurationOut, **READ_ERRORS}, auth=read_access(CostConfiguration))
def get_configuration(request: HttpRequest):
    return configuration.configuration_get()


@router.put("/configuration", response={200: ConfigurationOut, **WRITE_ERRORS},
            auth=write_access(CostConfiguration, "change"))
def put_configuration(request: HttpRequest, payload: ConfigurationIn):
    """Update the budget configuration (full or partial)."""
    return configuration.configuration_update(data=payload.model_dump(exclude_unset=True))


@router.get("/pricing", response={200: list[PriceOut], **READ_ERRORS}, auth=read_access(Price))
@paginate
def get_pricing(request: HttpRequest):
    """Every provider and model price, with where it came from and when it was set."""
    return Price.objects.all()


def _set_price(request: HttpRequest, provider_name: str, model_id: str, payload: PriceIn) -> Price:
    body = payload.model_dump(exclude_unset=True)
    if body.get("provider_name") not in (None, provider_name):
        raise ValidationFailed.on("providerName", "must match the provider in the path")
    if body.get("model_id") not in (None, model_id):
        raise ValidationFailed.on("modelId", "must match the model in the path")
    data = {k: v for k, v in body.items() if k not in {"provider_name", "model_id"}}
    data.setdefault("provider_type", payload.provider_type)
    return pricing.price_set(provider_name=provider_name, model_id=model_id, data=data, user=request.user)


@router.put("/pricing/{provider_name}", response={200: PriceOut, **WRITE_ERRORS}, auth=write_access(Price, "change"))
def put_provider_price(request: HttpRequest, provider_name: str, payload: PriceIn):
    """Set a provider's price."""
    return _set_price(request, provider_name, "", payload)


@router.put("/pricing/{provider_name}/{model_id}", response={200: PriceOut, **WRITE_ERRORS},
            auth=write_access(Price, "change"))
def put_model_price(request: HttpRequest, provider_name: str, model_id: str, payload: PriceIn):
    """Set one model's price; it overrides its provider's row."""
    return _set_price(request, provider_name, model_id, payload)


@router.post("/operations", response={200: RecordOut, **BUDGET_ERRORS}, auth=write_access(CostOperation, "add"))
def post_operations(request: HttpRequest, payload: Body[OperationsIn]):
    """Record one operation or a batch (≤ 1,000); a repeated idempotencyKey is acknowledged, not counted."""
    items = payload.operations if isinstance(payload, OperationBatchIn) else [payload]
    return ledger.operations_record(operations=[i.model_dump() for i in items], user=request.user,
                                      api_token=getattr(request.user, "api_token", None))


class OperationsQuery(Schema):
    job_id: str = Field(alias="jobId", min_length=1, max_length=100)
    limit: PageLimit = DEFAULT_PAGE_SIZE
    offset: PageOffset = 0


@router.get("/operations", response={200: OperationPageOut, **READ_ERRORS, 422: ErrorOut},
            auth=read_access(CostOperation))
def get_operations(request: HttpRequest, filters: Query[OperationsQuery]):
    """A job's operations in time order, one page at a time (`limit` at most 1000)."""
    items, count = selectors.operations_page(job_id=filters.job_id, limit=filters.limit, offset=filters.offset)
    return {"items": items, "count": count}


@router.post("/estimate", response={200: EstimateOut, **READ_ERRORS, 422: ErrorOut},
             auth=read_access(CostOperation))
def post_estimate(request: HttpRequest, payload: EstimateIn):
    """Worst-case cost of planned operations and whether the budget allows it; writes nothing."""
    estimate = estimates.estimate_items([i.model_dump() for i in payload.operations])
    decision = budgets.budget_decision(amount=estimate.total, by_provider=estimate.by_provider)
    return {"estimated_cost": float(estimate.total), "currency": configuration.configuration_get().currency,
            "items": estimate.items, "unpriced": estimate.unpriced, **decision}


@router.post("/holds", response={201: HoldOut, **BUDGET_ERRORS}, auth=write_access(Hold, "add"))
def post_hold(request: HttpRequest, payload: HoldIn):
    """Reserve a run's worst-case cost against the budgets."""
    hold = holds.hold_place(
        job_id=payload.job_id, amount=payload.amount,
        plan=[i.model_dump() for i in payload.plan] if payload.plan else None,
        project_id=payload.project_id, provider=payload.provider, user=request.user)
    return Status(HTTPStatus.CREATED, hold)


@router.delete("/holds/{job_id}", response={200: HoldOut, **WRITE_ERRORS}, auth=write_access(Hold, "delete"))
def delete_hold(request: HttpRequest, job_id: str):
    """Release what is left of a job's hold."""
    return holds.hold_release(job_id=job_id)


@router.get("/current-period", response={200: CurrentPeriodOut, **READ_ERRORS}, auth=read_access(CostOperation))
def get_current_period(request: HttpRequest):
    """Spending this period: total, budget, percentage used, held, available, per provider, and the forecast."""
    return {**selectors.current_period(), "forecast": period_forecast()}


@router.get("/alerts", response={200: list[AlertOut], **READ_ERRORS}, auth=read_access(Alert))
@paginate
def get_alerts(request: HttpRequest, unacknowledged: bool = False):
    """Budget alerts, newest first (only those not yet acknowledged with `unacknowledged=true`)."""
    alerts = Alert.objects.all()
    if unacknowledged:
        alerts = alerts.filter(acknowledged_at__isnull=True)
    return alerts


@router.post("/alerts/{alert_id}/acknowledge", response={200: AlertOut, **WRITE_ERRORS},
             auth=write_access(Alert, "change"))
def acknowledge_alert(request: HttpRequest, alert_id: DbId):
    return alerts.alert_acknowledge(alert_id=alert_id, user=request.user)


@router.get("/run-summary/{job_id}", response={200: RunSummaryOut, **READ_ERRORS}, auth=read_access(CostOperation))
def get_run_summary(request: HttpRequest, job_id: str):
    """A run's cost report: by stage and provider, token statistics, operations, suggestions.

    A job with nothing recorded reports zero: the ledger's job ids are its clients' own, so no operations
    yet is an answer, not an unknown job (as on the operations list).
    """
    return selectors.run_summary(job_id=job_id) or selectors.run_summary_of_nothing(job_id=job_id)


@router.post("/export/{job_id}", response={202: ExportStartOut, **WRITE_ERRORS, 503: ErrorOut},
             auth=write_access(ExportJob, "add"))
def post_export(request: HttpRequest, job_id: str, filters: Query[ExportQuery]):
    """Start writing a job's operations (or `all`, between `dateFrom` and `dateTo`) to CSV or JSON."""
    export = exports.export_start(job_id=job_id, fmt=filters.format, date_from=filters.date_from,
                                   date_to=filters.date_to, user=request.user)
    return Status(HTTPStatus.ACCEPTED, {"task_id": str(export.id)})


@router.get("/exports/{task_id}", response={200: ExportStatusOut, **READ_ERRORS}, auth=read_access(CostOperation))
def get_export(request: HttpRequest, task_id: uuid.UUID):
    export = ExportJob.objects.filter(pk=task_id).first()
    if export is None:
        raise NotFound(f"No export {task_id}.")
    url = reverse("api:costs_export_download", args=[export.id]) if export.state == ExportJob.State.SUCCESS else None
    return {"task_id": str(export.id), "state": export.state, "download_url": url, "rows": export.rows,
            "error": export.error}


DOWNLOAD_CONTENT = {200: {"description": "The export file.", "content": {
    "text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {}}}}}


@router.get("/exports/{task_id}/download", response={200: None, **READ_ERRORS}, auth=read_access(CostOperation),
            url_name="costs_export_download", openapi_extra={"responses": DOWNLOAD_CONTENT})
def download_export(request: HttpRequest, task_id: uuid.UUID):
    """The finished export file, streamed."""
    export = ExportJob.objects.filter(pk=task_id, state=ExportJob.State.SUCCESS).first()
    if export is None or not export.path.exists():
        raise NotFound(f"No finished export {task_id}.")
    content_type = "text/csv" if export.format == "csv" else "application/json"
    return FileResponse(open(export.path, "rb"), as_attachment=True, content_type=content_type,
                        filename=f"costs-{export.job_id}.{export.format}")


@router.post("/optimize-budget", response={200: OptimizeOut, **READ_ERRORS, 422: ErrorOut},
             auth=read_access(CostOperation))
def post_optimize_budget(request: HttpRequest, payload: OptimizeIn):
    """Before/after cost of a typical recent run and the changes that fit it to a budget."""
    return optimizer.optimize_budget(budget_limit=payload.budget_limit, desired_quality=payload.desired_quality,
                                     deadline_minutes=payload.deadline_minutes, pinned=optimizer.pinned_stages())


from .analytics_api import router as analytics_router  # noqa: E402  (spend, breakdowns, forecast)
from .webhooks_api import router as webhooks_router  # noqa: E402

router.add_router("", analytics_router)
router.add_router("", webhooks_router)
