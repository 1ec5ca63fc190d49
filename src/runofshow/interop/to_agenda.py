"""Turn the rows of a programme sheet into a commented TOML agenda, checked by the agenda loader.

Every mistake names the file, the sheet, the row and the column as the
organizer sees them in their spreadsheet; the agenda loader's own checks
(overlaps, daylight saving, lengths) are worded the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runofshow.domain.agenda.ids import derived_ids
from runofshow.domain.agenda.model import ID_PATTERN, Agenda, AgendaError
from runofshow.domain.agenda.parse import parse_agenda
from runofshow.domain.agenda.values import zone
from runofshow.interop import columns, toml_out, values
from runofshow.interop.columns import Column
from runofshow.interop.lengths import MAX_SESSION_S, LengthReader
from runofshow.interop.sheet import Row, Sheet, SheetError, is_blank, trimmed
from runofshow.interop.table import length_text
from runofshow.words.text import literal, shorten
from runofshow.words.timefmt import clock_time, format_duration

_VALIDATING = "\x00import"
#: The longest session `import` writes: a longer one is a misread length, or a day to split into sessions.


@dataclass(frozen=True, slots=True)
class Options:
    """What the sheet may not say, from the command line; these win over the sheet."""

    title: str | None = None
    date: str | None = None
    timezone: str | None = None
    host: str | None = None


@dataclass(slots=True)
class Imported:
    """The agenda made from a sheet: its TOML text, loaded, and the sheet rows its segments came from."""

    toml: str
    agenda: Agenda
    rows: list[int] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def import_sheet(sheet: Sheet, options: Options, output: str | Path) -> Imported:
    """Read the programme on `sheet` into an agenda that loads; raise SheetError naming the cell."""
    return _Importer(sheet, options, str(output)).run()


class _Importer(LengthReader):
    def __init__(self, sheet: Sheet, options: Options, output: str) -> None:
        self.sheet = sheet
        self.options = options
        self.output = output
        #: session fact -> (where it was written, for messages; its cell)
        self.preamble: dict[str, tuple[str, Any]] = {}
        self.by_field: dict[str, Column] = {}
        self.header_row = 0
        #: The sheet is one Ontime exported: `Type` is its entry type, and its groups are no segments.
        self.ontime = False
        self.first_date: dt.date | None = None
        self.titles: list[str] = []
        self.lengths = {}
        self.reading = None
        #: What the importer assumed, said in comments at the top of the agenda.
        self.notes: list[str] = []

    def run(self) -> Imported:
        rows = list(trimmed(self.sheet.rows))
        self._session_sheet()
        header_at = self._find_header(rows)
        self._check_merged()
        data = self._not_segments(self._data_rows(rows[header_at + 1 :]))
        self._durations(data)
        text, agenda = self._build(data)
        self._check_span(agenda, data)
        ignored = [
            literal(str(cell).strip())
            for index, cell in enumerate(rows[header_at][1])
            if not is_blank(cell) and index not in {c.index for c in self.by_field.values()}
        ]
        return Imported(text, agenda, [number for number, _ in data], ignored)

    def _build(self, data: Sequence[tuple[int, Row]]) -> tuple[str, Agenda]:
        """The agenda's text and the agenda, from the rows and the lengths decided for them."""
        numbers = [number for number, _ in data]
        segments = [self._segment(number, cells) for number, cells in data]
        if segments[0]["start"] is None:
            raise self.sheet.error("the first segment needs a start time", data[0][0], self._start_header())
        self.titles = [segment["title"] for segment in segments]
        session = self._session()
        given = derived_ids(session["title"], session["date"], [(s["title"], s["speaker"]) for s in segments])
        for segment, id_ in zip(segments, given):
            segment["id"] = segment["id"] or id_
        text = self._toml(session, segments, numbers)
        return text, self._validate(text, numbers)

    # -- the header and what sits above it -------------------------------------

    def _session_sheet(self) -> None:
        for number, cells in trimmed(self.sheet.session_rows):
            filled = [cell for cell in cells if not is_blank(cell)]
            if len(filled) == 2 and (key := columns.preamble_key(filled[0])):
                where = f'{literal(self.sheet.file)}: sheet "{columns.PREAMBLE_SHEET}", row {number}'
                self.preamble.setdefault(key, (f'{where}, "{literal(str(filled[0]).strip())}"', filled[1]))

    def _find_header(self, rows: Sequence[tuple[int, Row]]) -> int:
        title_only: int | None = None
        name_only: int | None = None
        for position, (number, cells) in enumerate(rows):
            if columns.is_header(cells):
                self.header_row = number
                self._columns(number, cells)
                return position
            filled = [cell for cell in cells if not is_blank(cell)]
            if len(filled) == 1 and isinstance(filled[0], str) and ":" in filled[0]:
                # "Project title: Alliances", as Ontime writes the facts above its programme
                name, _, value = filled[0].partition(":")
                if (key := columns.preamble_key(name)) and value.strip():
                    filled = [name, value.strip()]
            if len(filled) == 2 and (key := columns.preamble_key(filled[0])):
                self.preamble[key] = (f'{self.sheet.where(number)}, "{literal(str(filled[0]).strip())}"', filled[1])
            elif title_only is None and "title" in {c.field for c in columns.header_columns(cells)}:
                title_only = number
            elif name_only is None and self._name_without_title(cells):
                name_only = number
        times, titles = columns.accepted(columns.TIME_FIELDS), columns.accepted(("title",))
        if title_only is not None:
            raise self.sheet.error(f"no time column; name one {times}", title_only)
        if name_only is not None:
            raise self.sheet.error(
                'no title column; column "Name" is read as the speaker. If it holds the titles, '
                "as in Stagetimer's sheets, name it Title",
                name_only,
            )
        raise self.sheet.error(
            f"no header row; the programme needs a time column ({times}) and a title column ({titles})"
        )

    @staticmethod
    def _name_without_title(cells: Row) -> bool:
        """A header with a time column and a Name column, read as the speaker, but no title column."""
        found = columns.header_columns(cells)
        fields = {c.field for c in found}
        named = any(c.field == "speaker" and columns.normalize(c.header) == "name" for c in found)
        return named and "title" not in fields and bool(fields & set(columns.TIME_FIELDS))

    def _columns(self, number: int, cells: Row) -> None:
        self.ontime = columns.looks_like_ontime(cells)
        for column in columns.header_columns(cells):
            if self.ontime and column.field == "kind" and columns.normalize(column.header) == "type":
                column = Column(column.index, "entry", column.header)  # Ontime 3: event, block, delay
            if column.note is not None:
                self.sheet.column_notes[column.header] = column.note
                self.notes.append(f'Column "{column.header}" is {column.note}.')
            clash = self.by_field.get(column.field)
            if clash is None and column.field in ("start", "end") and "range" in self.by_field:
                clash = self.by_field["range"]
            if clash is None and column.field == "range":
                clash = self.by_field.get("start") or self.by_field.get("end")
            if clash is not None:
                raise self.sheet.error(
                    f'says the same as column "{literal(clash.header)}"; keep one of them', number, column.header
                )
            self.by_field[column.field] = column

    def _check_merged(self) -> None:
        for merge in sorted(self.sheet.merged, key=lambda m: (m.min_row, m.min_col)):
            if merge.max_row < self.header_row:
                continue  # a banner above the programme
            header = next((c.header for c in self.by_field.values() if c.index == merge.min_col - 1), None)
            raise self.sheet.error(
                f"merged cells ({merge.ref}); unmerge them and give each row its own value", merge.min_row, header
            )

    def _data_rows(self, rows: Sequence[tuple[int, Row]]) -> list[tuple[int, Row]]:
        while rows and not rows[-1][1]:
            rows = rows[:-1]
        if not rows:
            raise self.sheet.error("no programme under the header row", self.header_row)
        for number, cells in rows:
            if not cells:
                raise self.sheet.error("empty row inside the programme; delete it", number)
            # A header word where a time belongs: a repeated or a second header row.
            time_cells = [self._cell(cells, f) for f in ("start", "end", "range") if f in self.by_field]
            if any(columns.field_of(cell) for cell in time_cells):
                raise self.sheet.error(
                    "looks like a second header row; keep one header row above the programme", number
                )
        return list(rows)

    def _not_segments(self, rows: list[tuple[int, Row]]) -> list[tuple[int, Row]]:
        """The rows that are segments: not marked Skip, and (from Ontime) not a group, milestone or block.

        Each row left out is named in a comment at the top of the agenda.
        """
        kept: list[tuple[int, Row]] = []
        for number, cells in rows:
            title = shorten(literal(str(self._cell(cells, "title") or "").strip()), 40)
            entry = str(self._cell(cells, "entry") or "").strip().casefold()
            if entry in columns.ONTIME_NOT_EVENTS:
                if (what := columns.ONTIME_NOT_EVENTS[entry]) is not None:
                    self.notes.append(f'Row {number} ("{title}") is an Ontime {what}, not a segment.')
                continue
            if self._skipped(number, cells):
                where = " in Ontime" if self.ontime else ""
                self.notes.append(f'Row {number} ("{title}") is marked Skip{where}: not imported.')
                continue
            kept.append((number, cells))
        if not kept:
            raise self.sheet.error("every row of the programme is skipped; nothing to import", self.header_row)
        return kept

    def _skipped(self, number: int, cells: Row) -> bool:
        raw = self._cell(cells, "skip")
        if is_blank(raw):
            return False
        try:
            return values.flag(raw)
        except ValueError as error:
            if self.ontime:  # Ontime skips a row whose Skip cell holds any text but "false"
                return str(raw).strip().casefold() != "false"
            raise self.sheet.error(str(error), number, self.by_field["skip"].header) from None

    # -- one row -----------------------------------------------------------

    def _cell(self, cells: Row, name: str) -> Any:
        column = self.by_field.get(name)
        if column is None or column.index >= len(cells):
            return None
        return cells[column.index]

    def _segment(self, number: int, cells: Row) -> dict[str, Any]:
        out: dict[str, Any] = {"id": None}

        def read(name: str, reader: Any) -> Any:
            raw = self._cell(cells, name)
            if name not in ("wrap_up", "final") and is_blank(raw):
                return None
            try:
                return reader(raw)
            except ValueError as error:
                raise self.sheet.error(str(error), number, self.by_field[name].header) from None

        start = end = None
        day: dt.date | None = None
        if "range" in self.by_field:
            parsed = read("range", values.time_range)
            if parsed is not None:
                start, end, day = parsed
        else:
            if (found := read("start", values.clock)) is not None:
                start, day = found
            if (found := read("end", values.clock)) is not None:
                end = found[0]
        if self.first_date is None and day is not None:
            self.first_date = day
        out["start"], out["end"] = start, end
        if number in self.lengths:
            out["duration"] = length_text(self.lengths[number])
        title = read("title", values.text)
        if title is None:
            raise self.sheet.error("empty; every segment needs a title", number, self.by_field["title"].header)
        speaker = organization = None
        if "speaker" not in self.by_field:
            title, speaker, organization = values.title_and_speaker(title)
        out["title"] = title
        for name in ("speaker", "role", "organization", "country", "timezone", "kind"):
            out[name] = read(name, values.text)
        out["speaker"] = out["speaker"] or speaker
        out["organization"] = out["organization"] or organization
        if out["timezone"] is not None:
            try:
                zone(out["timezone"])
            except ValueError as error:
                raise self.sheet.error(str(error), number, self.by_field["timezone"].header) from None
        if read("flexible", values.flag):
            out["flexible"] = True
        if (seconds := read("min_duration", self._other_length("min_duration"))) is not None:
            if not out.get("flexible"):
                column = self.by_field["min_duration"].header
                raise self.sheet.error("only a flexible segment can shrink; mark it flexible", number, column)
            out["min_duration"] = length_text(seconds)
        out["notes"] = read("notes", values.text)
        out["email"] = read("email", values.text)
        if (found := read("id", values.text)) is not None:
            if not re.fullmatch(ID_PATTERN, found):
                raise self.sheet.error(
                    f"{values.show(found)} is not an id (letters, digits and . _ ~ -, at most 64)",
                    number,
                    self.by_field["id"].header,
                )
            out["id"] = found
        warnings = {}
        for name in ("wrap_up", "final"):
            reader = self._other_length(name)
            if (
                name in self.by_field
                and (limit := read(name, lambda v, r=reader: values.warning(v, r))) is not values.BLANK
            ):
                warnings[name] = False if limit is None else length_text(limit)
        out["warnings"] = warnings or None
        return out

    def _check_span(self, agenda: Agenda, data: Sequence[tuple[int, Row]]) -> None:
        """A session imported from a sheet runs at most 12 hours: longer is a misread length, or a day to split."""
        if agenda.duration_s <= MAX_SESSION_S:
            return
        index = next(
            i for i, s in enumerate(agenda.segments) if s.end_epoch - agenda.segments[0].start_epoch > MAX_SESSION_S
        )
        number, cells = data[index]
        column = next(
            (
                self.by_field[name].header
                for name in ("duration", "end", "range")
                if name in self.by_field and not is_blank(self._cell(cells, name))
            ),
            None,
        )
        tz, day = agenda.session.timezone, agenda.start.in_tz(agenda.session.timezone).date()
        start = clock_time(agenda.start, tz, first_day=day, with_seconds=bool(agenda.start.second))
        end = clock_time(agenda.end, tz, first_day=day, with_seconds=bool(agenda.end.second))
        raise self.sheet.error(
            f"the programme would run {format_duration(agenda.duration_s)}, from {start} to {end}; "
            f"a session may be at most {MAX_SESSION_S // 3600} hours (split the day into sessions)",
            number,
            column,
        )

    def _start_header(self) -> str:
        return (self.by_field.get("start") or self.by_field["range"]).header

    # -- the session ---------------------------------------------------------

    def _session(self) -> dict[str, Any]:
        opts = self.options

        def given(key: str, option: str | None = None, flag: str = "") -> tuple[str, Any]:
            """(where the value came from, the value): an option wins over the sheet."""
            if option is not None:
                return f"{literal(self.sheet.file)}: {flag}", option
            return self.preamble.get(key, ("", None))

        def checked_zone(source: tuple[str, Any]) -> str | None:
            name = values.text(source[1])
            if name is None:
                return None
            try:
                return zone(name).name
            except ValueError as error:
                raise SheetError(f"{source[0]}: {error}") from None

        session: dict[str, Any] = {}
        title = values.text(given("title", opts.title, "--title")[1])
        session["title"] = title or Path(self.sheet.file).stem or "Imported programme"
        session["date"] = self._date(given("date", opts.date, "--date"))
        session["timezone"] = checked_zone(given("timezone", opts.timezone, "--timezone"))
        if session["timezone"] is None:
            raise self.sheet.error(
                "no time zone for the session; give it with --timezone ZONE (an IANA name like Asia/Seoul)"
            )
        where, also = given("also_show")
        if (also_text := values.text(also)) is not None:
            names = [part.strip() for part in also_text.split(",") if part.strip()]
            session["also_show"] = [checked_zone((where, name)) for name in names]
        session["host"] = values.text(given("host", opts.host, "--host")[1])
        session["host_timezone"] = checked_zone(given("host_timezone"))
        session["host_email"] = values.text(given("host_email")[1])
        return session

    def _date(self, source: tuple[str, Any]) -> str:
        where, raw = source
        if isinstance(raw, dt.datetime):
            return raw.date().isoformat()
        if isinstance(raw, dt.date):
            return raw.isoformat()
        if raw is None or is_blank(raw):
            if self.first_date is not None:
                return self.first_date.isoformat()
            raise self.sheet.error("no date for the session; give it with --date YYYY-MM-DD")
        text = str(raw).strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                return dt.date.fromisoformat(text).isoformat()
            except ValueError:
                pass
        raise SheetError(f"{where}: {values.show(raw)} is not a date (use YYYY-MM-DD)")

    # -- TOML ----------------------------------------------------------------

    def _toml(self, session: dict[str, Any], segments: list[dict[str, Any]], rows: list[int]) -> str:
        where = self.sheet.file
        if self.sheet.name is not None:
            where += f', sheet "{self.sheet.name}"'
        lines = [
            toml_out.comment(f"Imported by runofshow from {where}."),
            toml_out.comment(f"Every time below is in the session's zone ({session['timezone']})."),
            toml_out.comment(
                f"Check it, and see each speaker's own time, with: runofshow check {Path(self.output).name}"
            ),
            *(toml_out.comment(note) for note in self.notes),
            "",
            *toml_out.table("session", session),
        ]
        for number, segment in zip(rows, segments):
            lines.append("")
            lines += toml_out.table("segments", segment, array=True, note=f"row {number}")
        return "\n".join(lines) + "\n"

    def _validate(self, text: str, rows: list[int]) -> Agenda:
        try:
            return parse_agenda(text, _VALIDATING)
        except AgendaError as error:
            raise self._translate(str(error), rows) from None

    def _translate(self, message: str, rows: list[int]) -> Exception:
        """The loader's words, placed on the sheet: "segment 3 … start:" becomes row and column."""
        message = re.sub(rf"^{re.escape(_VALIDATING)}(?::\d+)?: ", "", message)
        match = re.match(r"segment (\d+)", message)
        if not match:
            return self.sheet.error(message)
        index = int(match.group(1)) - 1
        label = f"segment {index + 1}"
        if index < len(self.titles):
            label += f' "{shorten(literal(self.titles[index].strip()), 40)}"'
        rest = message[len(label) :].removeprefix(": ")
        key, sep, detail = rest.partition(": ")
        if not sep or not re.fullmatch(r"[a-z_.]+", key):
            key, detail = "", rest
        field_name = {"start": "start", "end": "end", "duration": "duration"}.get(key, key.split(".")[-1])
        column = self.by_field.get(field_name)
        if column is None and field_name in ("start", "end"):
            column = self.by_field.get("range")
        if column is None and field_name == "end":
            column = self.by_field.get("duration")
        detail = re.sub(r"segment (\d+)", lambda m: f"row {rows[int(m.group(1)) - 1]}", detail)
        if key and detail.startswith("missing"):
            detail = f"the {key.replace('_', ' ')} is {detail}"
        return self.sheet.error(detail, rows[index], column.header if column else None)
