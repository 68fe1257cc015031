"""The ELMO format: model, reader, writer, validation and the transport codec."""

from __future__ import annotations
