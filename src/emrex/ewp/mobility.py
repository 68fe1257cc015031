"""What the imobility-tors API reads: the incoming mobilities of the host institution.

A deployment gives the API an ``IncomingMobilities`` (the EMP's built-in SIS, or its own student
information system) and a ``TranscriptSource`` that yields the signed ELMO of one mobility. The API
itself decides what a caller may see; a source only finds records.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Student:
    given_names: str
    family_name: str
    esi: str  # European Student Identifier, e.g. urn:schac:personalUniqueCode:int:esi:uio.no:1234
    birth_date: dt.date | None = None
    local_id: str = ""  # the person's key in the source, for the transcript builder


@dataclass(frozen=True)
class IncomingMobility:
    """A student from ``sending_hei_id`` who studied at ``receiving_hei_id`` (SCHAC ids)."""

    omobility_id: str
    sending_hei_id: str
    receiving_hei_id: str
    student: Student
    start: dt.date
    end: dt.date
    tor_approved_at: dt.datetime | None = None  # when the transcript was approved for recognition
    tor_modified_at: dt.datetime | None = None  # when it last changed, if after approval

    @property
    def approved(self) -> bool:
        return self.tor_approved_at is not None

    @property
    def modified_at(self) -> dt.datetime | None:
        return self.tor_modified_at or self.tor_approved_at


class IncomingMobilities(Protocol):
    def find(self, receiving_hei_id: str, omobility_ids: Sequence[str]) -> Sequence[IncomingMobility]:
        """The known mobilities among ``omobility_ids`` whose receiving institution is the one given."""
        ...

    def of_receiving(
        self, receiving_hei_id: str, *, modified_since: dt.datetime | None = None
    ) -> Sequence[IncomingMobility]:
        """The mobilities received by ``receiving_hei_id``; a source may also leave out those whose
        transcript has not changed since ``modified_since`` (the API filters again)."""
        ...


TranscriptSource = Callable[[IncomingMobility], bytes]  # the signed ELMO document of a mobility


class MemoryMobilities:
    """Mobilities held in memory: for tests, demos and benchmarks."""

    def __init__(self, mobilities: Iterable[IncomingMobility] = ()) -> None:
        self._by_id: dict[str, IncomingMobility] = {}
        self._lock = threading.Lock()
        for mobility in mobilities:
            self.put(mobility)

    def put(self, mobility: IncomingMobility) -> None:
        with self._lock:
            self._by_id[mobility.omobility_id] = mobility

    def find(self, receiving_hei_id: str, omobility_ids: Sequence[str]) -> Sequence[IncomingMobility]:
        found = (self._by_id.get(i) for i in dict.fromkeys(omobility_ids))
        return [m for m in found if m is not None and m.receiving_hei_id == receiving_hei_id]

    def of_receiving(
        self, receiving_hei_id: str, *, modified_since: dt.datetime | None = None
    ) -> Sequence[IncomingMobility]:
        return [m for m in self._by_id.values() if m.receiving_hei_id == receiving_hei_id]
