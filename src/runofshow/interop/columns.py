"""The headers a programme sheet may use, and the session facts that may sit above them.

Organizers name columns in many ways ("Start time", "From", "Time (KST)"); one
table of aliases decides what each header means, for `import` and for the
columns `export` writes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

#: field -> the headers it accepts, the first being the one `export` writes.
ALIASES: dict[str, tuple[str, ...]] = {
    "start": ("Start", "Start time", "From", "Begin", "Time Start"),
    "end": ("End", "End time", "To", "Until", "Time End"),
    "range": ("Time", "Slot"),
    "duration": ("Duration", "Length", "Minutes"),
    "title": ("Title", "Content", "Session", "Topic"),
    "speaker": ("Speaker", "Presenter", "Name"),
    "role": ("Role",),
    "organization": ("Organization", "Organisation", "Org", "Affiliation"),
    "country": ("Country",),
    "timezone": ("Time zone", "TZ"),
    "kind": ("Kind", "Type"),
    "flexible": ("Flexible",),
    "min_duration": ("Min duration",),
    "wrap_up": ("Wrap up", "Warning Time", "Time warning", "Wrap-up yellow"),
    "final": ("Final", "Danger Time", "Time danger", "Wrap-up red"),
    "notes": ("Notes", "Comments", "Note"),
    "email": ("Email", "E-mail", "Speaker email"),
    "id": ("ID",),
    # Rows that are not segments: marked Skip, or (in an Ontime sheet) groups, milestones and blocks.
    "skip": ("Skip", "Skip?"),
    "entry": ("Timer Type",),
}

TIME_FIELDS = ("start", "range")
TEXT_FIELDS = ("title", "speaker", "role", "organization", "country", "timezone", "kind", "notes", "email", "id")

#: The columns `export` writes, in order: every field but the range and duration ones.
EXPORT_FIELDS = (
    "start",
    "end",
    "title",
    "speaker",
    "role",
    "organization",
    "country",
    "timezone",
    "kind",
    "flexible",
    "min_duration",
    "wrap_up",
    "final",
    "notes",
    "email",
    "id",
)

#: Session facts written as "key | value" rows above the header (or on a "Session" sheet).
PREAMBLE: dict[str, tuple[str, ...]] = {
    "title": ("Session title", "Project title"),
    "date": ("Date", "Session date"),
    "timezone": ("Session time zone",),
    "also_show": ("Also show",),
    "host": ("Host", "Moderator"),
    "host_timezone": ("Host time zone", "Moderator time zone"),
    "host_email": ("Host email", "Moderator email"),
}
PREAMBLE_SHEET = "Session"


#: Headers only Ontime's exports have (its import map's names, normalized); with `Time Start` they mark its sheet.
ONTIME_MARKERS = frozenset(
    {"id", "cue", "colour", "ispublic", "ispublic?", "skip", "skip?", "warningtime", "dangertime", "timertype",
     "linkstart", "counttoend", "endaction", "flag"}
)  # fmt: skip
#: What an Ontime row's `Timer Type` (Ontime 4) or `Type` (Ontime 3) says when the row is no timed event.
ONTIME_NOT_EVENTS = {
    "group": "group",
    "group-start": "group",
    "group-end": None,  # closes a group: nothing to say
    "milestone": "milestone",
    "skip-import": "row to skip on import",
    "block": "block",
    "delay": "delay",
}


def looks_like_ontime(cells: Sequence[object]) -> bool:
    """A header row Ontime wrote: `Time Start` or `Time End`, and a column only Ontime's sheets have."""
    names = {normalize(cell) for cell in cells}
    return bool(names & {"timestart", "timeend"}) and bool(names & ONTIME_MARKERS)


def normalize(header: object) -> str:
    """ "Start time (KST):" -> "starttime": case, spaces, punctuation and a bracketed note do not matter."""
    if not isinstance(header, str):
        return ""
    text = re.sub(r"\(.*?\)|\[.*?\]", "", header).casefold()
    return re.sub(r"[\s_\-.:/]+", "", text)


_FIELD_OF = {normalize(alias): name for name, aliases in ALIASES.items() for alias in aliases}
_PREAMBLE_OF = {normalize(alias): name for name, aliases in PREAMBLE.items() for alias in aliases}


def field_of(header: object) -> str | None:
    """The field a header names, or None for a column runofshow does not read."""
    return _FIELD_OF.get(normalize(header))


def preamble_key(cell: object) -> str | None:
    """The session fact a "key | value" row gives, or None."""
    return _PREAMBLE_OF.get(normalize(cell))


def header_text(field: str) -> str:
    """The header `export` writes for `field`."""
    return ALIASES[field][0]


def accepted(fields: Sequence[str]) -> str:
    """ "Start, Start time, From, Begin, Time or Slot": the headers that name any of `fields`."""
    names = [alias for name in fields for alias in ALIASES[name]]
    return ", ".join(names[:-1]) + " or " + names[-1]


@dataclass(frozen=True, slots=True)
class Column:
    """A column the programme uses: its 0-based index, field, and header as written.

    `note` says how the column was read when the header alone does not say it,
    for the messages that name the column.
    """

    index: int
    field: str
    header: str
    note: str | None = None


#: Headers of Stagetimer's sheets besides Name (its cue's title), Speaker, Notes and Duration, normalized.
STAGETIMER_MARKERS = frozenset({"appearance", "trigger", "wrapupyellow", "wrapupred", "labels"})
STAGETIMER_NAME = "read as the title, as in Stagetimer's sheets"


def header_columns(cells: Sequence[object]) -> list[Column]:
    """The recognized columns of a row read as a header.

    "Name" is the speaker, but in a sheet with no title column and either a
    Speaker column too or Stagetimer's other columns, it is Stagetimer's: the
    cue's title.
    """
    found = [
        Column(index, name, cell.strip())
        for index, cell in enumerate(cells)
        if isinstance(cell, str) and (name := field_of(cell)) is not None
    ]
    if any(column.field == "title" for column in found):
        return found
    people = [column for column in found if column.field == "speaker"]
    names = [column for column in people if normalize(column.header) == "name"]
    stagetimer = {normalize(cell) for cell in cells} & STAGETIMER_MARKERS
    if names and (len(people) > len(names) or stagetimer):
        return [
            replace(column, field="title", note=STAGETIMER_NAME) if column in names[:1] else column for column in found
        ]
    return found


def is_header(cells: Sequence[object]) -> bool:
    """A header names a time column and a title column."""
    names = {column.field for column in header_columns(cells)}
    return bool(names & set(TIME_FIELDS)) and "title" in names
