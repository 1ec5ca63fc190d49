"""The timer's core: plain Python with no Textual import, shared by every front end."""
