"""The agenda: its model, its values, and the parser that turns TOML text into it."""
