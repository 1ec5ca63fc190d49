"""How a second terminal gets the journal: by tailing the file, or over a WebSocket."""
