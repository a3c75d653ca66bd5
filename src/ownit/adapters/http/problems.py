"""RFC 9457 problem documents: every API error names what is wrong and, where it can, the field."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ownit.domain.errors import DomainError, Forbidden, InvalidTransition, NotFound

PROBLEM_TYPE = "https://ownit.dev/problems/"


class Problem(Exception):
    """Raise to answer a problem document (or answer it with :func:`problem_response`).

    ``slug`` names the problem type (``PROBLEM_TYPE + slug``); left out, it is the title in
    lower case with hyphens for spaces (``"Payload too large"`` → ``payload-too-large``).
    ``errors`` lists the fields at fault; ``headers`` go on the response (``Retry-After``,
    ``WWW-Authenticate``)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        slug: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.slug = slug if slug is not None else title.lower().replace(" ", "-")
        self.errors = errors
        self.headers = headers


def field_error(field: str, detail: str, *, status: int = 400) -> Problem:
    return Problem(
        status,
        "Invalid request",
        f"{field}: {detail}",
        slug="invalid-request",
        errors=[{"field": field, "detail": detail}],
    )


def problem_response(problem: Problem, instance: str | None = None) -> Response:
    """The ``application/problem+json`` response; ``instance`` is the request's path, when
    the document should name it."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if instance:
        body["instance"] = instance
    if problem.errors:
        body["errors"] = problem.errors
    return Response(
        orjson.dumps(body),
        status_code=problem.status,
        media_type="application/problem+json",
        headers=problem.headers,
    )


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    """Turn every error the API can raise into a problem document."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return problem_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": _loc(e["loc"]), "detail": str(e["msg"])} for e in exc.errors()]
        detail = "; ".join(f"{e['field']}: {e['detail']}" for e in errors)
        return problem_response(
            Problem(422, "Invalid request", detail, slug="invalid-request", errors=errors),
            request.url.path,
        )

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return problem_response(
            Problem(404, "Not found", str(exc), slug="not-found"), request.url.path
        )

    @app.exception_handler(InvalidTransition)
    async def _conflict(request: Request, exc: InvalidTransition) -> Response:
        return problem_response(
            Problem(409, "Conflict", str(exc), slug="conflict"), request.url.path
        )

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return problem_response(
            Problem(403, "Forbidden", str(exc), slug="forbidden"), request.url.path
        )

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return problem_response(
            Problem(400, "Invalid request", str(exc), slug="invalid-request"), request.url.path
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed"}
        return problem_response(
            Problem(
                exc.status_code,
                titles.get(exc.status_code, "Error"),
                str(exc.detail),
                slug="http-error",
                headers=dict(exc.headers) if exc.headers else None,
            ),
            request.url.path,
        )
