"""The one way the API pages a list: `{"items": [...], "count": TOTAL}` with bounded limit/offset.

`settings.NINJA_PAGINATION_CLASS` points here, so `@paginate` with no argument uses it; a list that pages
by hand takes `PageLimit` and `PageOffset` for its query.
"""

from collections.abc import Callable, Iterator
from functools import partial, wraps
from http import HTTPStatus
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination, make_response_paginated
from ninja.renderers import JSONRenderer
from ninja.utils import contribute_operation_args, contribute_operation_callback

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# An offset past this is refused (422) rather than handed to the database, which may overflow on it.
MAX_OFFSET = 2_147_483_647

PageLimit = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description=f"Page size, at most {MAX_PAGE_SIZE}.")]
PageOffset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description="How many matching rows to skip.")]


class LimitOffsetPage(LimitOffsetPagination):
    """Ninja's limit/offset paging with both numbers bounded in the schema; `count` is the total."""

    class Input(Schema):
        limit: PageLimit = DEFAULT_PAGE_SIZE
        offset: PageOffset = 0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_limit=MAX_PAGE_SIZE, **kwargs)


class Mapped:
    """A queryset whose rows are turned into wire objects only for the page that is sliced out."""

    def __init__(self, rows, convert) -> None:
        self.rows = rows
        self.convert = convert

    def all(self) -> "Mapped":
        return self

    def count(self) -> int:
        return self.rows.count()

    def __getitem__(self, page: slice) -> list:
        return [self.convert(row) for row in self.rows[page]]

    def __iter__(self) -> Iterator:
        return map(self.convert, self.rows)


# The API's own renderer (ninja's JSON renderer, as `NinjaAPI` uses by default) and the type it answers with.
_RENDERER = JSONRenderer()
_CONTENT_TYPE = f"{_RENDERER.media_type}; charset={_RENDERER.charset}"


def paginate_rendered(func: Callable[..., Any]) -> Callable[..., HttpResponse]:
    """`@paginate` for a list whose items are already what the schema writes: the same `limit`/`offset`
    parameters and the same declared answer (`Paged<Item>` in the OpenAPI document), but the page goes to
    the API's JSON renderer as it is instead of being validated against the item schema one item at a time.

    The view returns what `LimitOffsetPage` slices and counts (a `Mapped`) with items keyed by the schema's
    aliases and holding its values; that they match the schema is the view's promise, for its tests to check.
    """
    paginator = LimitOffsetPage()

    @wraps(func)
    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        pagination = kwargs.pop("ninja_pagination", None) or paginator.Input()
        page = paginator.paginate_queryset(func(request, **kwargs), pagination=pagination, request=request)
        content = _RENDERER.render(request, {"items": list(page["items"]), "count": page["count"]},
                                   response_status=HTTPStatus.OK)
        return HttpResponse(content, status=HTTPStatus.OK, content_type=_CONTENT_TYPE)

    contribute_operation_args(view, "ninja_pagination", paginator.Input, paginator.InputSource)
    contribute_operation_callback(view, partial(make_response_paginated, paginator))
    view._ninja_is_paginated = True  # type: ignore[attr-defined]
    return view
