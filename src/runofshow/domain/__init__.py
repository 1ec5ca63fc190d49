"""The session's rules, pure: the agenda, commands, events, the fold, decisions and the derived view. No I/O, no threads."""
