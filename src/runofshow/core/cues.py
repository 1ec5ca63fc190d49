"""The polite one-line cue a moderator sends a speaker, derived from the view."""

from __future__ import annotations

import math

from runofshow.core.events import Level
from runofshow.core.timefmt import spoken_minutes
from runofshow.core.view import View


def cue_for(view: View) -> str | None:
    """The cue for the current speaker, once a warning threshold has been reached; else None."""
    if not view.started or view.ended or view.current is None:
        return None
    speaker = view.segments[view.current].segment.speaker
    remaining = view.remaining_s
    if view.alert == Level.WRAP_UP:
        text = f"{spoken_minutes(remaining)} left, please start wrapping up"
    elif view.alert == Level.FINAL:
        text = f"{spoken_minutes(remaining)} left, please conclude"
    elif view.alert == Level.OVERTIME:
        over = -remaining
        if over < 60:
            text = "your time is up, please finish your last sentence" if speaker else "time is up for this segment"
        else:
            text = f"we are {spoken_minutes(math.floor(over / 60) * 60)} over, please close now"
    else:
        return None
    sentence = f"{speaker}, {text}" if speaker else text
    return sentence[0].upper() + sentence[1:]
