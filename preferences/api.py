"""REST routes of the preferences app, under /api/user-preferences.

The six kinds share one set of routes, registered from the registry in kinds.py. (No postponed
annotations here: the per-kind body types are closures' annotations and must be real classes.)
"""

import uuid
from http import HTTPStatus
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status

from aura_site.auth import read_access, require, write_access
from aura_site.errors import ValidationFailed
from aura_site.pagination import paginate_rendered
from aura_site.schemas import READ_ERRORS, WRITE_ERRORS

from . import checks, selectors, services, transfer
from .kinds import KINDS, KINDS_BY_KEY, SERVER_FIELDS, Kind
from .models import ContentFilteringPolicy, CustomPromptTemplate
from .schemas import (
    ActiveItemOut,
    CheckIn,
    CheckOut,
    CloneIn,
    ExportOut,
    ImportIn,
    ImportOut,
    OutcomeIn,
    RenderIn,
    RenderOut,
    VariantGroupOut,
)

router = Router(tags=["Preferences"], by_alias=True)


class ListFilters(Schema):
    q: str = Field("", max_length=200)
    tag: str = Field("", max_length=100)
    favorite: bool | None = None


def _register(kind: Kind) -> None:
    """The list/create/get/update/delete/select/clone routes of one kind."""
    model, Out, In, Patch = kind.model, kind.out_schema, kind.create_schema, kind.update_schema
    base, item = f"/{kind.slug}", f"/{kind.slug}/{{item_id}}"
    tags = [kind.title]
    name = kind.key

    @router.get(base, response={200: list[Out], **READ_ERRORS}, auth=read_access(model), tags=tags,
                operation_id=f"{name}_list", url_name=f"{name}_list", summary=f"List {kind.title.lower()}")
    @paginate_rendered
    def list_items(request: HttpRequest, filters: Query[ListFilters]):
        # Rows from values_list, rendered without a per-item pass through `Out` (tests compare the two).
        return kind.wire_rows(
            selectors.preference_list(kind=kind, q=filters.q, tag=filters.tag, favorite=filters.favorite))

    @router.post(base, response={201: Out, **WRITE_ERRORS}, auth=write_access(model, "add"), tags=tags,
                 operation_id=f"{name}_create", url_name=f"{name}_create", summary=f"Create a {kind.label}")
    def create_item(request: HttpRequest, payload: In):
        return Status(HTTPStatus.CREATED, services.preference_create(kind=kind, data=payload.model_dump()))

    @router.get(item, response={200: Out, **READ_ERRORS}, auth=read_access(model), tags=tags,
                operation_id=f"{name}_get", url_name=f"{name}_get", summary=f"Get one {kind.label}")
    def get_item(request: HttpRequest, item_id: uuid.UUID):
        return services._get(kind, item_id)

    def update_item(request: HttpRequest, item_id: uuid.UUID, payload: Patch):
        data = payload.model_dump(exclude_unset=True)
        sent_id = data.get("id")
        if sent_id is not None and str(sent_id).lower() != str(item_id).lower():
            raise ValidationFailed.on("id", f"is {sent_id} but the path names {item_id}; an id cannot change")
        # Server-set fields (what GET returned) are ignored; a null means "not given" unless the column is nullable.
        data = {name: value for name, value in data.items() if name not in SERVER_FIELDS
                and (value is not None or kind.model._meta.get_field(name).null)}
        return services.preference_update(kind=kind, item_id=item_id, data=data)

    for method in ("put", "patch"):
        getattr(router, method)(
            item, response={200: Out, **WRITE_ERRORS}, auth=write_access(model, "change"), tags=tags,
            operation_id=f"{name}_{method}", url_name=f"{name}_{method}",
            summary=f"Update a {kind.label} (full or partial)",
        )(update_item)

    @router.delete(item, response={204: None, **WRITE_ERRORS}, auth=write_access(model, "delete"), tags=tags,
                   operation_id=f"{name}_delete", url_name=f"{name}_delete", summary=f"Delete a {kind.label}")
    def delete_item(request: HttpRequest, item_id: uuid.UUID):
        services.preference_delete(kind=kind, item_id=item_id)
        return Status(HTTPStatus.NO_CONTENT, None)

    @router.post(f"{item}/select", response={200: Out, **WRITE_ERRORS}, auth=write_access(model, "change"),
                 tags=tags, operation_id=f"{name}_select", url_name=f"{name}_select",
                 summary=f"Make this {kind.label} the active one")
    def select_item(request: HttpRequest, item_id: uuid.UUID):
        return services.preference_select(kind=kind, item_id=item_id)

    @router.post(f"{item}/clone", response={201: Out, **WRITE_ERRORS}, auth=write_access(model, "add"),
                 tags=tags, operation_id=f"{name}_clone", url_name=f"{name}_clone",
                 summary=f"Copy a {kind.label} or preset into a new editable one")
    def clone_item(request: HttpRequest, item_id: uuid.UUID, payload: CloneIn | None = None):
        new_name = payload.name if payload else None
        return Status(HTTPStatus.CREATED, services.preference_clone(kind=kind, item_id=item_id, name=new_name))


@router.get("/active", response={200: dict[str, ActiveItemOut | None], **READ_ERRORS},
            auth=read_access(ContentFilteringPolicy), url_name="active")
def active(request: HttpRequest):
    """The active item of every kind (null where none is selected)."""
    return selectors.active_items()


@router.post("/filtering-policies/{item_id}/check", response={200: CheckOut, **READ_ERRORS, 422: WRITE_ERRORS[422]},
             auth=read_access(ContentFilteringPolicy), tags=["Filtering policies"], url_name="policy_check")
def check_text(request: HttpRequest, item_id: uuid.UUID, payload: CheckIn):
    """Try a policy on a text: each violation with its rule, term and position."""
    policy = services._get(KINDS_BY_KEY["filteringPolicies"], item_id)
    return checks.policy_check(policy=policy, text=payload.text)


@router.post("/prompt-templates/{item_id}/render", response={200: RenderOut, **READ_ERRORS, 422: WRITE_ERRORS[422]},
             auth=read_access(CustomPromptTemplate), tags=["Prompt templates"], url_name="template_render")
def render_template(request: HttpRequest, item_id: uuid.UUID, payload: RenderIn):
    """Fill a template's variables."""
    template = services._get(KINDS_BY_KEY["promptTemplates"], item_id)
    return {"text": checks.template_render(template=template, variables=payload.variables)}


@router.post("/prompt-templates/{item_id}/outcome", response={200: KINDS_BY_KEY["promptTemplates"].out_schema,
             **WRITE_ERRORS}, auth=write_access(CustomPromptTemplate, "change"), tags=["Prompt templates"],
             url_name="template_outcome")
def record_outcome(request: HttpRequest, item_id: uuid.UUID, payload: OutcomeIn):
    """Count one A/B trial of this template as a success or a failure."""
    return checks.template_record_outcome(template_id=item_id, success=payload.success)


@router.get("/prompt-templates/variant-groups/{group}", response={200: VariantGroupOut, **READ_ERRORS},
            auth=read_access(CustomPromptTemplate), tags=["Prompt templates"], url_name="variant_group")
def variant_group(request: HttpRequest, group: str = Path(..., max_length=100)):
    """Each variant of an A/B group with its trials and success rate."""
    variants = []
    for t in selectors.variant_group(group=group):
        trials = t.success_count + t.failure_count
        variants.append({
            "id": t.id, "name": t.name, "success_count": t.success_count, "failure_count": t.failure_count,
            "trials": trials, "success_rate": round(t.success_count / trials, 4) if trials else None,
        })
    rated = [v for v in variants if v["success_rate"] is not None]
    best = max(rated, key=lambda v: (v["success_rate"], v["trials"]))["id"] if rated else None
    return {"variant_group": group, "variants": variants, "best_variant_id": best}


@router.get("/export", response={200: ExportOut, **READ_ERRORS}, auth=read_access(ContentFilteringPolicy),
            tags=["Import/Export"], url_name="export")
def export(request: HttpRequest):
    """Every preference of every kind and the active selection, as one JSON string."""
    document = transfer.preferences_export()
    return {"json_data": transfer.export_json(document), "export_date": timezone.now(),
            "version": document["version"]}


class ImportQuery(Schema):
    mode: Literal["merge", "replace"] = "merge"
    dryRun: bool = False


@router.post("/import", response={200: ImportOut, **WRITE_ERRORS},
             auth=write_access(ContentFilteringPolicy, "add"), tags=["Import/Export"], url_name="import")
def import_(request: HttpRequest, payload: ImportIn, query: Query[ImportQuery]):
    """Import an export: all or nothing; `mode=merge|replace`; `dryRun=true` only says what would change."""
    actions = ("add", "change", "delete") if query.mode == "replace" else ("add", "change")
    for kind in KINDS:
        for action in actions:
            require(request.user, kind.model, action)
    plan = transfer.preferences_import(json_data=payload.json_data, mode=query.mode, dry_run=query.dryRun)
    return {"mode": plan.mode, "dry_run": query.dryRun, "created": plan.created, "updated": plan.updated,
            "removed": plan.removed, "skipped": plan.skipped, "items": plan.items}


for _kind in KINDS:
    _register(_kind)
