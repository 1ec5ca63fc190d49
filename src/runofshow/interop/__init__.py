"""Spreadsheets and calendars in and out: plain Python, no Textual.

`sheet` reads rows from csv or xlsx, `columns` names their headers, `to_agenda`
turns rows into a TOML agenda, `table` turns an agenda back into rows, and
`ics`, `briefing` and `xlsx` write what speakers and organizers receive.
openpyxl and icalendar are imported only by the functions that need them.
"""
