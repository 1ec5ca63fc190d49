"""The polite one-line cue a moderator sends a speaker, derived from the view."""

from __future__ import annotations

import math

from runofshow.domain.derive import Urgency, View
from runofshow.words.timefmt import spoken_minutes


def cue_for(view: View) -> str | None:
    """The cue for the current speaker, once a warning threshold has been reached; else None."""
    if not view.started or view.ended or view.current is None:
        return None
    speaker = view.segments[view.current].segment.speaker
    return cue_text(view.alert, view.remaining_s, speaker)


def cue_text(level: str, remaining: float, speaker: str | None) -> str | None:
    """The cue at `level` with `remaining` seconds left (negative: over); None for a level with no cue.

    The one wording of every cue, used live and in the speakers' briefing.
    """
    if level == Urgency.WRAP_UP:
        text = f"{spoken_minutes(remaining)} left, please start wrapping up"
    elif level == Urgency.FINAL:
        text = f"{spoken_minutes(remaining)} left, please conclude"
    elif level == Urgency.OVERTIME:
        over = -remaining
        if over < 60:
            text = "your time is up, please finish your last sentence" if speaker else "time is up for this segment"
        else:
            text = f"we are {spoken_minutes(math.floor(over / 60) * 60)} over, please close now"
    else:
        return None
    sentence = f"{speaker}, {text}" if speaker else text
    return sentence[0].upper() + sentence[1:]


#: The messages every moderator may need, after the cue of the moment.
MESSAGE_PRESETS = ("Please wrap up", "Please unmute", "We can't hear you")


def view_presets(view: View, agenda: tuple[str, ...]) -> tuple[str, ...]:
    """The presets for a message sent now, from the view alone (a page has no screen to keep the last cue)."""
    upcoming = view.next_segment
    speaker = upcoming.segment.speaker if upcoming is not None else None
    return message_presets(cue_for(view), speaker, agenda, view.focus.segment.messages)


def message_presets(
    cue: str | None, next_speaker: str | None, agenda: tuple[str, ...], segment: tuple[str, ...]
) -> tuple[str, ...]:
    """What the message prompt offers: the cue now, the usual requests, who is next, then the agenda's own."""
    presets = [cue] if cue else []
    presets += MESSAGE_PRESETS
    if next_speaker:
        presets.append(f"Next: {next_speaker}")
    presets += [*agenda, *segment]
    return tuple(dict.fromkeys(presets))
