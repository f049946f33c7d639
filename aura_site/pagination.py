"""The one way the API pages a list: `{"items": [...], "count": TOTAL}` with bounded limit/offset.

`settings.NINJA_PAGINATION_CLASS` points here, so `@paginate` with no argument uses it; a list that pages
by hand takes `PageLimit` and `PageOffset` for its query.
"""

from typing import Annotated, Any

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

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
