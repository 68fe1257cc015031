"""The Incoming Mobility Transcripts of Records API v2 (ewp-specs-api-imobility-tors), server side.

A caller sees a transcript only when it is approved and the caller's key covers the mobility's
sending institution, as the registry names it. Unknown ids, ids of other institutions and ids the
caller may not see are left out of a 200 answer, exactly as for ids that do not exist.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from lxml import etree

from emrex.errors import EmrexError
from emrex.ewp.errors import BadParameters, TranscriptUnavailable
from emrex.ewp.mobility import IncomingMobilities, IncomingMobility, TranscriptSource
from emrex.ewp.namespaces import ELMO_NS, TORS_GET_NS, TORS_INDEX_NS, document
from emrex.ewp.params import Params, parse_datetime, single, values
from emrex.ewp.request_auth import Caller
from emrex.xml import localname, namespace, parse_untrusted

log = logging.getLogger("emrex.ewp")

DEFAULT_MAX_OMOBILITY_IDS = 10
MAX_ELMO_BYTES = 32 * 1024 * 1024
_IDENTIFIER = re.compile(r"[!-~]{1,64}")  # ewp:AsciiPrintableIdentifier
_ESI = f"{{{ELMO_NS}}}learner/{{{ELMO_NS}}}identifier"


class ToRsApi:
    """``get`` and ``index`` over a source of incoming mobilities; ``hei_ids`` are the receiving
    institutions this server speaks for."""

    def __init__(
        self,
        mobilities: IncomingMobilities,
        transcript: TranscriptSource,
        *,
        hei_ids: Iterable[str],
        max_omobility_ids: int = DEFAULT_MAX_OMOBILITY_IDS,
    ) -> None:
        if max_omobility_ids < 1:
            raise ValueError("max_omobility_ids must be at least 1")
        self.mobilities = mobilities
        self.transcript = transcript
        self.hei_ids = frozenset(hei_ids)
        self.max_omobility_ids = max_omobility_ids

    def get(self, caller: Caller, params: Params) -> bytes:
        receiving = _hei_id(params)
        ids = values(params, "omobility_id")
        if not ids:
            raise BadParameters("the required parameter omobility_id is missing")
        if len(ids) > self.max_omobility_ids:
            raise BadParameters(
                f"{len(ids)} omobility_id values given; this server accepts at most {self.max_omobility_ids}"
            )
        root = etree.Element(f"{{{TORS_GET_NS}}}imobility-tors-get-response", nsmap={None: TORS_GET_NS})  # type: ignore[dict-item]
        if receiving not in self.hei_ids:
            return document(root)
        wanted = [i for i in dict.fromkeys(ids) if _IDENTIFIER.fullmatch(i)]
        found = {
            m.omobility_id: m
            for m in self.mobilities.find(receiving, wanted)
            if self._visible(m, caller, receiving)
        }
        for omobility_id in wanted:
            mobility = found.get(omobility_id)
            if mobility is None:
                continue
            tor = etree.SubElement(root, f"{{{TORS_GET_NS}}}tor")
            etree.SubElement(tor, f"{{{TORS_GET_NS}}}omobility-id").text = omobility_id
            tor.append(self._elmo(mobility))
        return document(root)

    def index(self, caller: Caller, params: Params) -> bytes:
        receiving = _hei_id(params)
        sending = frozenset(values(params, "sending_hei_id"))
        since_text = single(params, "modified_since", required=False)
        since = parse_datetime(since_text, "modified_since") if since_text is not None else None
        root = etree.Element(f"{{{TORS_INDEX_NS}}}imobility-tors-index-response", nsmap={None: TORS_INDEX_NS})  # type: ignore[dict-item]
        if receiving not in self.hei_ids:
            return document(root)
        ids = sorted(
            m.omobility_id
            for m in self.mobilities.of_receiving(receiving, modified_since=since)
            if self._visible(m, caller, receiving)
            and (not sending or m.sending_hei_id in sending)
            and (since is None or (m.modified_at is not None and m.modified_at > since))
            and _IDENTIFIER.fullmatch(m.omobility_id)
        )
        for omobility_id in ids:
            etree.SubElement(root, f"{{{TORS_INDEX_NS}}}omobility-id").text = omobility_id
        return document(root)

    @staticmethod
    def _visible(mobility: IncomingMobility, caller: Caller, receiving: str) -> bool:
        return (
            mobility.approved
            and mobility.receiving_hei_id == receiving
            and mobility.sending_hei_id in caller.hei_ids
        )

    def _elmo(self, mobility: IncomingMobility) -> etree._Element:
        where = f"the transcript of mobility {mobility.omobility_id}"
        try:
            root = parse_untrusted(self.transcript(mobility), max_bytes=MAX_ELMO_BYTES).getroot()
        except EmrexError as exc:
            log.error("%s cannot be served: %s", where, exc)
            raise TranscriptUnavailable(f"{where} could not be built; try again later") from None
        if localname(root) != "elmo" or namespace(root) != ELMO_NS:
            raise TranscriptUnavailable(f"{where} is not an ELMO document")
        esis = [(e.text or "").strip() for e in root.iterfind(_ESI) if e.get("type") == "esi"]
        if mobility.student.esi not in esis:
            # EWP requires the esi; a different one would mean the wrong student's record.
            log.error("%s does not carry the student's esi identifier; not served", where)
            raise TranscriptUnavailable(f"{where} does not identify the student by esi")
        return root


def _hei_id(params: Params) -> str:
    value = single(params, "receiving_hei_id", required=True) or ""
    if not value.strip():
        raise BadParameters("receiving_hei_id is empty")
    return value
