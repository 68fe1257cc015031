"""The Starlette application of the converter service (see the package note)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emrex import __version__
from emrex.elm import ConversionRefused, ElmParseError, RemoteContextRefused, Sealer, convert, load_json
from emrex.errors import EmrexError

MAX_REQUEST_BYTES = 48 * 1024 * 1024  # base64 of a document with a large PDF attachment
_PROTOCOLS = {"elmo": ("1.7", "elmo"), "elm": ("3.2", "elm")}


class _Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def create_app(sealer: Sealer | None, *, max_request_bytes: int = MAX_REQUEST_BYTES) -> Starlette:
    async def request(req: Request) -> JSONResponse:
        try:
            body = await _bounded_body(req, max_request_bytes)
            job = _parse(body)
            if job["to"] == "elm" and sealer is None:
                raise _Refusal(
                    500, "this service has no sealing organisation configured; it converts ELM to ELMO only"
                )
            result = await run_in_threadpool(convert, job["content"], to=job["to"], sealer=sealer)
        except _Refusal as exc:
            return _answer(exc.status, None, None, [exc.message], [])
        except (ConversionRefused, RemoteContextRefused, ElmParseError, EmrexError) as exc:
            problems = list(getattr(exc, "problems", ())) or [str(exc)]
            return _answer(500, None, None, problems, [])
        version = _PROTOCOLS[result.to][0]
        return _answer(
            200, result.to, version, [], result.warnings, base64.b64encode(result.output).decode("ascii")
        )

    return Starlette(routes=[Route("/rest/request", request, methods=["POST"])])


async def _bounded_body(req: Request, limit: int) -> bytes:
    declared = req.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise _Refusal(413, f"the request is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in req.stream():
        size += len(chunk)
        if size > limit:
            raise _Refusal(413, f"the request is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> dict[str, Any]:
    try:
        payload = load_json(body, max_depth=16)
    except EmrexError as exc:
        raise _Refusal(400, f"the request is not JSON the converter reads: {exc}") from None
    if not isinstance(payload, dict):
        raise _Refusal(400, "the request is not a JSON object")
    source, target = _protocol(payload.get("From"), "From"), _protocol(payload.get("To"), "To")
    if source == target:
        raise _Refusal(404, f"no conversion from {source} to {target}")
    content = payload.get("Content")
    if not isinstance(content, str) or not content.strip():
        raise _Refusal(400, "the request has no Content (the document in base64)")
    try:
        data = base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _Refusal(400, "Content is not base64") from None
    return {"to": target, "content": data}


def _protocol(value: Any, where: str) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("Name"), str):
        raise _Refusal(400, f'{where} must name a protocol: {{"Name": "elmo" or "elm", "Version": ...}}')
    name = value["Name"].strip().lower()
    version = str(value.get("Version") or "")
    if name not in _PROTOCOLS or (version and version.split(".")[0] != _PROTOCOLS[name][0].split(".")[0]):
        raise _Refusal(
            404, f"protocol {value['Name']} {version} not found (this converter knows elmo 1.x and elm 3.x)"
        )
    return _PROTOCOLS[name][1]


def _answer(
    status: int,
    name: str | None,
    version: str | None,
    errors: list[str],
    warnings: list[str],
    content: str | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "ResponseProtocol": {"Name": name, "Version": version} if name else None,
        "Content": content,
        "ConverterVersion": f"emrex {__version__}",
        "Timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "Errors": [{"Message": m} for m in errors],
        "Warnings": [{"Message": m} for m in warnings],
    }
    return JSONResponse(body, status_code=status)
