"""One metered call: reserve the worst case, call exactly the resolved model, record it in the ledger."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from aura_site.errors import DomainError, PaymentRequired, ValidationFailed
from models_selection import connections as model_connections
from models_selection.models import Provider
from models_selection.selectors import provider_state

from . import integrations, metering, prompts
from .clients import ProviderCallError, chat
from .ending import RunState, StopRun, cancelled, refusal_status, stage_fail
from .models import StageRun, StageStatus
from .planning import price_key

logger = logging.getLogger(__name__)


def metered_call(state: RunState, row: StageRun, resolution: dict[str, Any], prompt: prompts.StagePrompt, *,
                 ledger_stage: str, new_attempt: bool = False) -> str:
    """Reserve the worst case, call exactly the resolved model, record what it reported in the ledger; the text.

    A call that was sent is always recorded at the provider's usage (counted here, flagged `estimated`,
    when the answer has none). One that cost more than its reservation is recorded all the same, flagged
    `overrun` with an alert, and the run stops before its next call. A usage too large to price is
    refused as a provider error: the stage fails with the raw usage in its error, and the ledger is
    left untouched.
    """
    job = state.job
    provider_name, model_id = resolution["provider"], resolution["model_id"]
    snapshot = (job.price_snapshot or {}).get(price_key(provider_name, model_id))
    if new_attempt or row.attempts == 0:
        row.attempts += 1  # a redelivered task reuses the attempt it had started, so its key repeats
    row.request = {"provider": provider_name, "model": model_id, **prompt.as_record()}
    row.save()
    reservation = reserve(state, row, snapshot, prompt)
    if cancelled(job):
        raise StopRun
    provider = Provider.objects.get(name=provider_name)
    call = f"the call to {provider_name}:{model_id}"
    try:
        completion = chat(kind=provider.kind, base_url=provider_state(provider).base_url,
                          api_key=model_connections.provider_api_key(provider), model_id=model_id,
                          messages=prompt.messages,
                          sampling={**prompt.sampling, "max_tokens": reservation.max_tokens},
                          timeout=settings.AURA_RUN_TIMEOUT, max_retries=settings.AURA_RUN_MAX_RETRIES)
    except ProviderCallError as error:
        stage_fail(state, row, error.message, http_status=error.status, reason=f"{call} failed: {error.message}")
    usage = metering.usage_of(kind=provider.kind, model_id=model_id, messages=prompt.messages, text=completion.text,
                              input_tokens=completion.input_tokens, output_tokens=completion.output_tokens,
                              cached_tokens=completion.cached_tokens)
    cost = metering.call_cost(snapshot, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens,
                              cached_tokens=usage.cached_tokens)
    row.latency_ms, row.output = completion.latency_ms, completion.text
    unpriceable = metering.unpriceable(usage, cost)
    if unpriceable is not None:
        logger.warning("Run %s, stage %s: %s reported a usage too large to price: %s", job.id, row.stage, call,
                       completion.usage)
        stage_fail(state, row, f"The provider reported a usage too large to price ({unpriceable}); refused as a "
                               f"provider error and not recorded in the ledger. Reported usage: "
                               f"{json.dumps(completion.usage)}.",
                   reason=f"{call} reported a usage too large to price ({unpriceable}).")
    overrun = cost > reservation.amount
    try:
        with transaction.atomic():
            recorded = integrations.cost_operation_record(operation={
                "idempotency_key": f"{job.id}:{ledger_stage}:{row.attempts}", "job_id": job.id,
                "project_id": job.project_id, "stage": ledger_stage, "provider": provider_name, "model": model_id,
                "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens, "cost": cost,
                "reserved": reservation.amount, "overrun": overrun, "estimated": usage.estimated,
            })
            if not recorded.duplicates:  # a redelivered task's repeated call was counted the first time
                row.input_tokens += usage.input_tokens
                row.output_tokens += usage.output_tokens
                row.cached_tokens += usage.cached_tokens
                row.cost += cost
            row.save()
    except DomainError as error:
        stage_fail(state, row, error.detail, status=refusal_status(error), http_status=error.status,
                   reason=f"the ledger refused the call: {error.detail}", refused=error.status == 402)
    if overrun:
        stage_fail(state, row, f"The provider reported more usage ({usage.input_tokens:,} tokens in, "
                               f"{usage.output_tokens:,} out, cost {cost}) than the call had reserved "
                               f"({reservation.amount}, at most {reservation.max_tokens:,} tokens out). It is "
                               "recorded in the ledger as an overrun and the run stops here.",
                   reason=f"{call} cost {cost}, more than its reservation of {reservation.amount} (overrun).")
    return completion.text


def reserve(state: RunState, row: StageRun, snapshot: dict[str, Any] | None,
            prompt: prompts.StagePrompt) -> metering.Reservation:
    """The call's reservation, held; refuses the call before it is sent when it fits neither the hold nor a
    hard budget."""
    job = state.job
    reservation = metering.reservation(snapshot, messages=prompt.messages, max_tokens=prompt.sampling["max_tokens"])
    worst = reservation.amount
    if worst <= 0:
        return reservation
    hold = integrations.cost_hold(job_id=job.id)
    remaining = hold.remaining if hold is not None else Decimal("0")
    if worst <= remaining:
        return reservation
    try:
        integrations.cost_hold_extend(job_id=job.id, amount=worst - remaining, provider=row.provider,
                                      project_id=job.project_id)
    except PaymentRequired as error:
        refusal = f"Refused before sending: the worst case ({worst}) does not fit. {error.detail}"
        stage_fail(state, row, refusal, status=StageStatus.REFUSED, http_status=402, reason=refusal, refused=True)
    except ValidationFailed:
        pass  # no budget period in force: there is nothing to hold against
    return reservation
