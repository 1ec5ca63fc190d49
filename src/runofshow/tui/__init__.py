"""The Textual screens. Nothing in the domain, journal or session imports from here."""
