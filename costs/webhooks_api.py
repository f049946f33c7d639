"""REST routes for alert webhooks, under /api/cost-tracking/webhooks."""

from __future__ import annotations

from http import HTTPStatus

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from aura_site.auth import read_access, write_access
from aura_site.schemas import READ_ERRORS, WRITE_ERRORS

from . import webhooks
from .analytics_schemas import DeliveryOut, WebhookIn, WebhookOut, WebhookUpdateIn
from .models import Webhook, WebhookDelivery

router = Router(tags=["Webhooks"], by_alias=True)


@router.get("/webhooks", response={200: list[WebhookOut], **READ_ERRORS}, auth=read_access(Webhook))
@paginate
def list_webhooks(request: HttpRequest):
    """Every webhook (the secret is never returned)."""
    return Webhook.objects.order_by("name", "id")


@router.post("/webhooks", response={201: WebhookOut, **WRITE_ERRORS}, auth=write_access(Webhook, "add"))
def create_webhook(request: HttpRequest, payload: WebhookIn):
    """Add a webhook: alerts are POSTed to its URL, signed with its secret in X-Aura-Signature."""
    webhook = webhooks.webhook_create(**payload.model_dump(), user=request.user)
    return Status(HTTPStatus.CREATED, webhook)


@router.get("/webhooks/{webhook_id}", response={200: WebhookOut, **READ_ERRORS}, auth=read_access(Webhook))
def get_webhook(request: HttpRequest, webhook_id: int):
    return webhooks.webhook_get(webhook_id)


def update_webhook(request: HttpRequest, webhook_id: int, payload: WebhookUpdateIn):
    """Change a webhook (full or partial); without a secret the stored one is kept."""
    data = payload.model_dump(exclude_unset=True, exclude={"id", "has_secret", "created_at", "updated_at"})
    return webhooks.webhook_update(webhook_id=webhook_id, data=data)


for _method in ("put", "patch"):
    getattr(router, _method)("/webhooks/{webhook_id}", response={200: WebhookOut, **WRITE_ERRORS},
                             auth=write_access(Webhook, "change"), operation_id=f"webhook_{_method}",
                             summary="Update a webhook (full or partial)")(update_webhook)


@router.delete("/webhooks/{webhook_id}", response={204: None, **WRITE_ERRORS}, auth=write_access(Webhook, "delete"))
def delete_webhook(request: HttpRequest, webhook_id: int):
    webhooks.webhook_delete(webhook_id=webhook_id)
    return Status(HTTPStatus.NO_CONTENT, None)


@router.post("/webhooks/{webhook_id}/test", response={202: DeliveryOut, **WRITE_ERRORS},
             auth=write_access(Webhook, "change"))
def test_webhook(request: HttpRequest, webhook_id: int):
    """Send a test message; its outcome appears in the delivery log."""
    return Status(HTTPStatus.ACCEPTED, webhooks.webhook_send_test(webhook_id=webhook_id))


@router.get("/webhooks/{webhook_id}/deliveries", response={200: list[DeliveryOut], **READ_ERRORS},
            auth=read_access(Webhook))
@paginate
def list_deliveries(request: HttpRequest, webhook_id: int):
    """The delivery log of one webhook, newest first: state, attempts, last HTTP status, error."""
    webhooks.webhook_get(webhook_id)
    return WebhookDelivery.objects.filter(webhook_id=webhook_id).order_by("-created_at", "-id")
