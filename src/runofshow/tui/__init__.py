"""The Textual screens. Nothing in runofshow.core imports from here."""
