"""Every sentence and time worded once, for the terminal, the pages, status and the report."""
