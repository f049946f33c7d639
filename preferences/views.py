"""HTMX pages for preferences: thin views over the same services as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from aura_site.auth import can
from aura_site.errors import DomainError, ValidationFailed
from aura_site.pages import done, partial, require

from . import checks, selectors, services, transfer
from .forms import form_class_for, groups_for, has_advanced_mode
from .kinds import KINDS, KINDS_BY_KEY, KINDS_BY_SLUG, Kind
from .models import ActiveSelection
from .validators import TEMPLATE_VARIABLE

PAGE_SIZE = 25


def _kind(slug: str) -> Kind:
    kind = KINDS_BY_SLUG.get(slug)
    if kind is None:
        raise Http404("No such kind of preference.")
    return kind








def _rights(request: HttpRequest, kind: Kind) -> dict[str, bool]:
    return {action: can(request.user, kind.model, action) for action in ("add", "change", "delete")}


@login_required
def index(request: HttpRequest) -> HttpResponse:
    kinds = [k for k in KINDS if can(request.user, k.model, "view")]
    return render(request, "preferences/index.html", {"kinds": kinds, "active": selectors.active_items()})


@login_required
def item_list(request: HttpRequest, slug: str) -> HttpResponse:
    kind = _kind(slug)
    require(request, kind.model, "view")
    q, tag = request.GET.get("q", "").strip(), request.GET.get("tag", "").strip()
    favorite = {"1": True, "true": True, "0": False, "false": False}.get(request.GET.get("favorite", ""))
    queryset = selectors.preference_list(kind=kind, q=q, tag=tag, favorite=favorite)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    active = ActiveSelection.objects.filter(kind=kind.key).values_list("object_id", flat=True).first()
    context = {
        "kind": kind, "page": page, "q": q, "tag": tag, "favorite": request.GET.get("favorite", ""),
        "active_id": active, "rights": _rights(request, kind),
        "has_tags": kind.has("tags"), "has_favorite": kind.has("is_favorite"),
        "presets": kind.model.objects.filter(is_preset=True).order_by("name") if kind.has("is_preset") else [],
    }
    return render(request, partial(request, "preferences/list.html", "results"), context)


def _form_context(request: HttpRequest, kind: Kind, form, obj=None) -> dict:
    advanced_fields = {n for g in groups_for(kind) if not g.basic for n in g.fields}
    errors_in_advanced = bool(set(form.errors) & advanced_fields)
    advanced = request.POST.get("mode", request.GET.get("mode")) == "advanced" or errors_in_advanced
    return {
        "kind": kind, "form": form, "obj": obj, "groups": [
            {"title": g.title, "basic": g.basic, "fields": [form[n] for n in g.fields if n in form.fields]}
            for g in groups_for(kind)
        ],
        "has_modes": has_advanced_mode(kind), "advanced": advanced,
        "template_variables": _variables_of(obj),
    }


def _variables_of(obj) -> list[str]:
    text = getattr(obj, "template_text", "") or ""
    return list(dict.fromkeys(TEMPLATE_VARIABLE.findall(text)))


def _save_form(request: HttpRequest, kind: Kind, obj=None) -> HttpResponse:
    Form = form_class_for(kind)
    if request.method == "POST":
        form = Form(request.POST, instance=obj)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.fields}
            try:
                if obj is None:
                    saved = services.preference_create(kind=kind, data=data)
                else:
                    saved = services.preference_update(kind=kind, item_id=obj.pk, data=data)
            except DomainError as error:
                error.add_to_form(form)
            else:
                messages.success(request, f"Saved {kind.label} “{saved.name}”.")
                return done(request, reverse("preferences:list", args=[kind.slug]))
    else:
        form = Form(instance=obj)
    context = _form_context(request, kind, form, obj)
    return render(request, partial(request, "preferences/form.html", "form"), context)


@login_required
def item_create(request: HttpRequest, slug: str) -> HttpResponse:
    kind = _kind(slug)
    require(request, kind.model, "add")
    return _save_form(request, kind)


@login_required
def item_edit(request: HttpRequest, slug: str, item_id) -> HttpResponse:
    kind = _kind(slug)
    require(request, kind.model, "change" if request.method == "POST" else "view")
    obj = kind.model.objects.filter(pk=item_id).first()
    if obj is None:
        raise Http404
    if getattr(obj, "is_preset", False) and request.method == "POST":
        raise PermissionDenied("Presets are read-only; clone one to edit it.")
    return _save_form(request, kind, obj)


def _run(request: HttpRequest, kind: Kind, action, success: str) -> HttpResponse:
    try:
        result = action()
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, success.format(obj=result))
    return done(request, request.POST.get("next") or reverse("preferences:list", args=[kind.slug]))


@require_POST
@login_required
def item_delete(request: HttpRequest, slug: str, item_id) -> HttpResponse:
    kind = _kind(slug)
    require(request, kind.model, "delete")
    return _run(request, kind, lambda: services.preference_delete(kind=kind, item_id=item_id), "Deleted.")


@require_POST
@login_required
def item_select(request: HttpRequest, slug: str, item_id) -> HttpResponse:
    kind = _kind(slug)
    require(request, kind.model, "change")
    return _run(request, kind, lambda: services.preference_select(kind=kind, item_id=item_id),
                "“{obj.name}” is now the active " + kind.label + ".")


@require_POST
@login_required
def item_favorite(request: HttpRequest, slug: str, item_id) -> HttpResponse:
    kind = _kind(slug)
    require(request, kind.model, "change")
    favorite = request.POST.get("favorite") == "1"
    return _run(request, kind, lambda: services.preference_set_favorite(
        kind=kind, item_ids=[item_id], favorite=favorite), "Favorite updated.")


@require_POST
@login_required
def item_clone(request: HttpRequest, slug: str, item_id) -> HttpResponse:
    kind = _kind(slug)
    require(request, kind.model, "add")
    name = request.POST.get("name", "").strip() or None
    return _run(request, kind, lambda: services.preference_clone(kind=kind, item_id=item_id, name=name),
                "Created “{obj.name}”. It is yours to edit.")


@require_POST
@login_required
def policy_check(request: HttpRequest, item_id) -> HttpResponse:
    kind = KINDS_BY_KEY["filteringPolicies"]
    require(request, kind.model, "view")
    policy = kind.model.objects.filter(pk=item_id).first()
    if policy is None:
        raise Http404
    text = request.POST.get("text", "")
    result = checks.policy_check(policy=policy, text=text)
    return render(request, "preferences/check_result.html", {"result": result, "segments": _segments(text, result)})


def _segments(text: str, result) -> list[dict]:
    """The text cut into plain and flagged pieces, for highlighting (overlaps merged)."""
    pieces, cursor = [], 0
    for violation in result.violations:
        if violation.start < cursor:
            continue
        pieces.append({"text": text[cursor:violation.start], "flag": None})
        pieces.append({"text": text[violation.start:violation.end], "flag": violation.rule})
        cursor = violation.end
    pieces.append({"text": text[cursor:], "flag": None})
    return [p for p in pieces if p["text"]]


@require_POST
@login_required
def template_preview(request: HttpRequest, item_id) -> HttpResponse:
    kind = KINDS_BY_KEY["promptTemplates"]
    require(request, kind.model, "view")
    template = kind.model.objects.filter(pk=item_id).first()
    if template is None:
        raise Http404
    variables = {k[4:]: v for k, v in request.POST.items() if k.startswith("var-")}
    try:
        rendered, error = checks.template_render(template=template, variables=variables), None
    except ValidationFailed as failure:
        rendered, error = None, failure.detail
    return render(request, "preferences/template_preview.html", {"rendered": rendered, "error": error})


@login_required
def import_export(request: HttpRequest) -> HttpResponse:
    may_import = all(can(request.user, k.model, a) for k in KINDS for a in ("add", "change"))
    return render(request, "preferences/import_export.html", {"may_import": may_import})


@login_required
def export_download(request: HttpRequest) -> HttpResponse:
    for kind in KINDS:
        require(request, kind.model, "view")
    document = transfer.preferences_export()
    response = HttpResponse(transfer.export_json(document, indent=2), content_type="application/json")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="aura-preferences-{stamp}.json"'
    return response


@require_POST
@login_required
def import_run(request: HttpRequest) -> HttpResponse:
    """Upload → preview (a dry run), or confirm → import; errors shown, nothing changed."""
    mode = request.POST.get("mode", "merge")
    actions = ("add", "change", "delete") if mode == "replace" else ("add", "change")
    for kind in KINDS:
        for action in actions:
            require(request, kind.model, action)
    upload = request.FILES.get("file")
    json_data = upload.read().decode("utf-8", errors="replace") if upload else request.POST.get("json_data", "")
    confirm = request.POST.get("confirm") == "1"
    context = {"mode": mode, "json_data": json_data, "confirmed": confirm}
    if not json_data:
        context["error"] = "Choose an export file to import."
    else:
        try:
            context["plan"] = transfer.preferences_import(json_data=json_data, mode=mode, dry_run=not confirm)
        except DomainError as error:
            context["error"] = error.detail
            context["field_errors"] = error.errors
    return render(request, "preferences/import_result.html", context)
