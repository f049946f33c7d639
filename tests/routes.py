"""Every operation of the root API, for tests that must cover all routes."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from aura_site.api import api
from aura_site.auth import Requirement, requirement_of

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    requirement: Requirement | None

    @property
    def concrete_path(self) -> str:
        """The path with every {param} filled by a value that names nothing."""
        return "/api" + re.sub(r"\{[^}]+\}", str(uuid.uuid4()), self.path)

    def __str__(self) -> str:
        return f"{self.method} /api{self.path}"


def all_routes() -> list[Route]:
    routes = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                full = "/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
                full = re.sub(r"\{(\w+:)?(\w+)\}", r"{\2}", full)
                for method in operation.methods:
                    routes.append(Route(method, full, requirement_of(operation.auth_callbacks)))
    return sorted(routes, key=str)
