"""The polite one-line cue a moderator sends a speaker, derived from the view."""

from __future__ import annotations

import math

from runofshow.core.engine import View


def spoken_minutes(seconds: float) -> str:
    """ "2 minutes", "1 minute", "20 seconds": how the time left is said aloud.

    Whole minutes, rounded up, down to half a minute; only the last 30 s are
    counted in seconds, because a cue read a few seconds late must still be true.
    """
    if seconds >= 30:
        minutes = max(1, math.ceil(seconds / 60 - 1e-9))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    whole = max(1, math.ceil(seconds))
    return f"{whole} second{'s' if whole != 1 else ''}"


def cue_for(view: View) -> str | None:
    """The cue for the current speaker, once a warning threshold has been reached; else None."""
    if not view.started or view.ended or view.current is None:
        return None
    speaker = view.segments[view.current].segment.speaker
    remaining = view.remaining_s
    if view.alert == "wrap_up":
        text = f"{spoken_minutes(remaining)} left, please start wrapping up"
    elif view.alert == "final":
        text = f"{spoken_minutes(remaining)} left, please conclude"
    elif view.alert == "overtime":
        over = -remaining
        if over < 60:
            text = "your time is up, please finish your last sentence" if speaker else "time is up for this segment"
        else:
            text = f"we are {spoken_minutes(math.floor(over / 60) * 60)} over, please close now"
    else:
        return None
    sentence = f"{speaker}, {text}" if speaker else text
    return sentence[0].upper() + sentence[1:]
