"""Upload routes that decide who may upload before they read a byte of the body.

FastAPI reads and parses a route's multipart body (Starlette spools the file to a temporary
file) before any dependency runs, authentication included: an anonymous client could make the
server store gigabytes before its 401. A route declared with ``@post_upload(router, path,
gate=..., max_file_bytes=...)`` runs, in this order:

1. ``gate(request)``: resolves the caller from the headers and cookies alone and raises 401 or
   403 — the body is still unread (a refusal here or below is answered with ``Connection:
   close``, so the server does not read the rest of the body either);
2. the ``Content-Length`` check: above the form's largest possible size, 413 at once;
3. ``ground.streamed_form``: the body streamed into one staging file under
   ``<data dir>/staging/`` within the form limits from the settings (413 as soon as a bound is
   passed, nothing written past it);
4. FastAPI's own handler, which finds the form already parsed (its ``Form()``/``File()``
   parameters, and so the OpenAPI document, are unchanged) and runs the dependencies — the
   gate's checks again, so the endpoint stays correct on its own.

The staging file is removed when the response is done, whatever happened.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response, UploadFile
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, Headers
from starlette.datastructures import UploadFile as StarletteUploadFile
from starlette.requests import ClientDisconnect

from ground.config import Settings, get_settings
from ground.errors import BadRequest, SluiceError
from ground.ops.bodylimit import close_after_response, declared_length, lift_body_limit
from ground.streamed_form import FormLimits, FormTooLarge, StreamedForm, parse_streamed_form


class UploadInterrupted(BadRequest):
    def __init__(self) -> None:
        super().__init__(
            "The upload was interrupted before the form was complete.", "上传在表单完成前中断。"
        )


@dataclass(frozen=True)
class Admission:
    """The gate's decision. ``check_fields`` runs on the text fields that precede the file,
    before a byte of the file is stored (or at the end of a form without one)."""

    check_fields: Callable[[Mapping[str, str]], None] | None = None


Gate = Callable[[Request], Admission]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def form_limits(settings: Settings, max_file_bytes: int) -> FormLimits:
    return FormLimits(
        max_file_bytes=max_file_bytes,
        max_fields=settings.max_form_fields,
        max_field_bytes=settings.max_form_field_bytes,
    )


def post_upload(
    router: APIRouter,
    path: str,
    *,
    gate: Gate,
    max_file_bytes: Callable[[Settings], int],
    **route: Any,
) -> Callable[[Endpoint], Endpoint]:
    """``@router.post(path, **route)`` for an upload endpoint guarded by ``gate``."""
    route_class = gated_upload_route(gate, max_file_bytes=max_file_bytes, base=router.route_class)

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(
            path, endpoint, methods=["POST"], route_class_override=route_class, **route
        )
        return endpoint

    return register


def gated_upload_route(
    gate: Gate,
    *,
    max_file_bytes: Callable[[Settings], int],
    base: type[APIRoute] = APIRoute,
) -> type[APIRoute]:
    """A route class for one kind of upload: who may send it, and its file's limit.

    It derives from ``base``, the router's own route class (an idempotent route, say), so what
    that class adds around the handler still runs: the gate and the streamed form come first,
    then ``base``'s handler sees the parsed form as an ordinary request's."""

    def get_route_handler(self: APIRoute) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = base.get_route_handler(self)

        async def gated(request: Request) -> Response:
            try:
                admission = await run_in_threadpool(gate, request)
                settings = get_settings()
                form = await _read_form(request, admission, settings, max_file_bytes(settings))
            except SluiceError:
                # The body is unread, or read only in part: the app's handlers answer (an
                # error body, or the console's page), and the connection is closed.
                close_after_response(request.scope)
                raise
            try:
                request._form = _form_data(form)
                return await handler(request)
            finally:
                form.remove_files()

        return gated

    return type("GatedUploadRoute", (base,), {"get_route_handler": get_route_handler})


async def _read_form(
    request: Request, admission: Admission, settings: Settings, max_file_bytes: int
) -> StreamedForm:
    limits = form_limits(settings, max_file_bytes)
    declared = declared_length(request.scope)
    if declared is not None and declared > limits.max_body_bytes:
        raise FormTooLarge(
            f"The upload is larger than the limit of {limits.max_body_bytes:,} bytes.",
            f"上传内容超过大小上限 {limits.max_body_bytes:,} 字节。",
        )
    # The global bound on request bodies gives way to this form's own, one byte above it, so
    # that the form's bound is the one that answers.
    lift_body_limit(request.scope, limits.max_body_bytes + 1)
    try:
        return await parse_streamed_form(
            request.stream(),
            request.headers.get("content-type", ""),
            limits=limits,
            staging_dir=settings.data_dir / "staging",
            before_file=admission.check_fields,
        )
    except ClientDisconnect:
        # Nobody is left to answer; the parser has removed its staging file.
        raise UploadInterrupted() from None


def _form_data(form: StreamedForm) -> FormData:
    items: list[tuple[str, str | StarletteUploadFile]] = list(form.fields)
    for part in form.files:
        items.append(
            (
                part.field_name,
                UploadFile(
                    file=part.path.open("rb"),
                    size=part.size,
                    filename=part.filename,
                    headers=Headers({"content-type": part.content_type}),
                ),
            )
        )
    return FormData(items)
