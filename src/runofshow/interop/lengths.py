"""Lengths a sheet writes as `10:00`: h:mm or mm:ss, decided for the whole Duration column.

The importer (`to_agenda`) is a LengthReader: it gives the rows, the cells
and a way to build the agenda, and this decides how the column is read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from runofshow.domain.agenda.model import Agenda
from runofshow.interop import values
from runofshow.interop.columns import Column
from runofshow.interop.sheet import Row, Sheet, SheetError, is_blank
from runofshow.words.timefmt import format_duration

#: The longest programme an import accepts: longer is a misread length, or a day to split.
MAX_SESSION_S = 12 * 3600


class LengthReader:
    """How the Duration column writes its lengths, and each row's length once that is decided."""

    sheet: Sheet
    by_field: dict[str, Column]
    notes: list[str]
    #: row -> seconds of its Duration cell, once the column's way of writing them is decided.
    lengths: dict[int, int]
    #: h:mm or mm:ss, when the Duration column wrote lengths as `10:00`; other columns follow it.
    reading: str | None

    def _cell(self, cells: Row, name: str) -> Any:
        raise NotImplementedError

    def _build(self, data: Sequence[tuple[int, Row]]) -> tuple[str, Agenda]:
        raise NotImplementedError

    def _durations(self, data: Sequence[tuple[int, Row]]) -> None:
        """Read the Duration column into `self.lengths`, deciding whether `10:00` is h:mm or mm:ss.

        A length written `a:bb` (or typed into a time cell, which a spreadsheet
        reads as a time of day) is tried both ways: a reading is out if the
        programme would not load, would run over 12 hours, or (mm:ss) would have
        a segment under a minute. The times around the lengths decide most
        sheets; when both readings fit, or neither, the import stops and says so.
        """
        column = self.by_field.get("duration")
        if column is None:
            return
        cells = {number: self._cell(cells, "duration") for number, cells in data}
        cells = {number: cell for number, cell in cells.items() if not is_blank(cell)}
        timed = any(isinstance(cell, dt.time | dt.timedelta) for cell in cells.values())
        pairs = {number: found for number, cell in cells.items() if (found := values.pair(cell)) is not None}
        for number, cell in cells.items():
            if number not in pairs:
                try:
                    self.lengths[number] = values.length(cell, day_fractions=timed)
                except ValueError as error:
                    raise self.sheet.error(str(error), number, column.header) from None
        if not pairs:
            return
        fits: dict[str, str | None] = {}  # reading -> None if it fits, else why not
        for reading in (values.HM, values.MS):
            self.lengths.update({number: values.read_pair(found, reading) for number, found in pairs.items()})
            fits[reading] = self._why_not(data, reading, pairs)
        first = min(pairs)
        shown, advice = values.both_ways(cells[first], pairs[first])
        viable = [reading for reading, why in fits.items() if why is None]
        if len(viable) != 1:
            if viable:
                detail = f"{shown}, and the programme fits either; {advice}"
            else:
                detail = f"{shown}, and neither fits: as h:mm {fits[values.HM]}, as mm:ss {fits[values.MS]}; {advice}"
            raise self.sheet.error(detail, first, column.header)
        self.reading = viable[0]
        self.lengths.update({number: values.read_pair(found, self.reading) for number, found in pairs.items()})
        spelled = "minutes:seconds (mm:ss)" if self.reading == values.MS else "hours:minutes (h:mm)"
        self.notes.append(f'Column "{column.header}": {values.show(cells[first])} and the like are read as {spelled}.')

    def _why_not(self, data: Sequence[tuple[int, Row]], reading: str, pairs: dict[int, tuple[int, int]]) -> str | None:
        """None if the programme makes sense with the lengths in `self.lengths`; else what goes wrong."""
        if reading == values.MS and (short := [n for n, found in pairs.items() if found[0] == 0]):
            return f"row {short[0]} would last {pairs[short[0]][1]} seconds"
        try:
            _, agenda = self._build(data)
        except SheetError:
            return "the programme would not load"
        if agenda.duration_s > MAX_SESSION_S:
            return f"the programme would run {format_duration(agenda.duration_s)}"
        return None

    def _other_length(self, name: str) -> Callable[[object], int]:
        """The reader for a length column other than Duration: `2:00` as the Duration column reads it.

        With no decision to follow, `a:bb` is h:mm, unless that makes an hour or more (a wrap-up of
        2 hours is surely 2 minutes): then the import stops and asks.
        """

        def read(value: object) -> int:
            found = values.pair(value) if isinstance(value, str) else None
            if found is not None:
                if self.reading is not None:
                    return values.read_pair(found, self.reading)
                if values.read_pair(found, values.HM) >= 3600:
                    raise ValueError("; ".join(values.both_ways(value, found)))
            return values.length(value)

        return read
