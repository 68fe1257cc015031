"""A drop-in ELMO <-> ELM converter service with the DC4EU converter's REST shape.

``POST /rest/request`` takes ``{"From": {"Name", "Version"}, "To": {...}, "Parameters": {...},
"Content": base64}`` and answers ``{"ResponseProtocol", "Content", "ConverterVersion", "Timestamp",
"Errors": [{"Message"}], "Warnings": [{"Message"}]}``, as the DC4EU converter's OpenAPI says, so a
gateway built for it can point here. ``elmo`` 1.x <-> ``elm`` 3.x; ``Content`` is the document's bytes
in base64 (ELMO as XML or in the transport form; ELM plain or sealed). The request body is bounded
before it is read; a refused conversion is HTTP 500 ("Application error") with its reasons, an unknown
protocol 404, a malformed request 400.
"""

from __future__ import annotations

from emrex.elm_service.app import MAX_REQUEST_BYTES, create_app

__all__ = ["MAX_REQUEST_BYTES", "create_app"]
