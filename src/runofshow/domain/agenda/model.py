"""Load and validate an agenda file into frozen dataclasses.

Everything a user can get wrong in an agenda ends in one `AgendaError` whose
text is a single line naming the file, the line, the segment and the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pendulum

from runofshow.errors import RunofshowError

MAX_FILE_BYTES = 1_000_000
#: The most segments an agenda may have: each keypress does work in proportion to them.
MAX_SEGMENTS = 500
#: The deepest nesting of arrays, inline tables or dotted keys read; an agenda needs three.
MAX_NESTING = 32
MAX_SEGMENT = dt.timedelta(hours=12)
DEFAULT_WRAP_UP_S = 120
DEFAULT_FINAL_S = 60

SESSION_KEYS = ("title", "date", "timezone", "also_show", "host", "host_timezone", "host_email", "flex")
#: How the shrink advice is taken: by the moderator (`a`), or on entering each flexible segment.
FLEX_MODES = ("manual", "auto")
WARNING_KEYS = ("wrap_up", "final")
SEGMENT_KEYS = (
    "start",
    "end",
    "duration",
    "title",
    "speaker",
    "role",
    "organization",
    "country",
    "timezone",
    "kind",
    "flexible",
    "min_duration",
    "notes",
    "warnings",
    "messages",
    "id",
    "email",
)
TOP_KEYS = ("session", "warnings", "messages", "segments")
#: The longest preset message: one line on a phone held upright.
MAX_PRESET = 120
#: A segment id: what a calendar UID, a URL or another tool's id column can carry as it is.
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._~-]{0,63}"
#: An email address, loosely: one @, a dot in the domain, nothing a mail header would split on.
_NOT_IN_ADDRESS = r"\s\x00-\x1f\x7f-\x9f@<>\"(),;:\\\[\]"
EMAIL_PATTERN = rf"[^{_NOT_IN_ADDRESS}]+@[^{_NOT_IN_ADDRESS}]+\.[^{_NOT_IN_ADDRESS}.]+"


class AgendaError(RunofshowError):
    """A mistake in an agenda file; `str()` is the one line to show the user."""


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """The `[session]` table: what the session is and which clocks matter."""

    title: str
    date: pendulum.Date
    timezone: str
    also_show: tuple[str, ...] = ()
    host: str | None = None
    host_timezone: str | None = None
    #: The host's address: the calendar's ORGANIZER.
    host_email: str | None = None
    #: `flex = "auto"`: each flexible segment is given the advised length as it starts.
    flex_auto: bool = False


@dataclass(frozen=True, slots=True)
class Segment:
    """One slot of the programme, with its planned times in the session's zone."""

    number: int
    title: str
    start: pendulum.DateTime
    end: pendulum.DateTime
    speaker: str | None = None
    role: str | None = None
    organization: str | None = None
    country: str | None = None
    timezone: str | None = None
    kind: str = "other"
    flexible: bool = False
    min_duration_s: int = 0
    notes: str | None = None
    wrap_up_s: int | None = DEFAULT_WRAP_UP_S
    final_s: int | None = DEFAULT_FINAL_S
    #: Messages to the speaker offered while this segment runs, after the agenda's own.
    messages: tuple[str, ...] = ()
    #: The segment's own name for calendars and other tools, kept when its title, times or date change.
    id: str | None = None
    #: The speaker's address: the calendar invitation's ATTENDEE.
    email: str | None = None
    #: Epoch seconds of `start` and `end`, worked out once: the engine does its
    #: arithmetic on them many times a second, and pendulum's is slow.
    start_epoch: int = field(init=False, repr=False, compare=False)
    end_epoch: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "start_epoch", int(self.start.timestamp()))
        object.__setattr__(self, "end_epoch", int(self.end.timestamp()))

    @property
    def duration_s(self) -> int:
        """Planned length in whole seconds."""
        return self.end_epoch - self.start_epoch


@dataclass(frozen=True, slots=True)
class Gap:
    """Planned time between two segments where nothing is scheduled."""

    after: int
    seconds: int


@dataclass(frozen=True, slots=True)
class Agenda:
    """A validated agenda; `source` is the file's text, kept for the journal header."""

    session: SessionInfo
    segments: tuple[Segment, ...]
    path: str
    source: str
    #: Messages to the speaker offered in every segment (`messages = [...]` at the top).
    messages: tuple[str, ...] = ()

    @property
    def start(self) -> pendulum.DateTime:
        """Planned start of the first segment."""
        return self.segments[0].start

    @property
    def end(self) -> pendulum.DateTime:
        """Planned end of the last segment."""
        return self.segments[-1].end

    @property
    def duration_s(self) -> int:
        """Planned length from first start to last end, gaps included."""
        return self.segments[-1].end_epoch - self.segments[0].start_epoch

    @property
    def gaps(self) -> tuple[Gap, ...]:
        """Every planned pause between consecutive segments."""
        found = []
        for before, after in zip(self.segments, self.segments[1:]):
            seconds = int((after.start - before.end).total_seconds())
            if seconds > 0:
                found.append(Gap(before.number, seconds))
        return tuple(found)

    def offset_of(self, segment: Segment) -> int:
        """Seconds from the planned session start to the planned start of `segment`."""
        return segment.start_epoch - self.segments[0].start_epoch
