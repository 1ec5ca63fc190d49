"""Beyond one machine: a room's journal mirrored into a NATS JetStream stream (the hub).

The file journal on the controller's machine stays the source of truth. The
hub is a copy of it, one stream per room, that serve processes, followers and
the board read from, and whose expected-last-sequence check fences a second
writer. See `names` for how a journal maps onto a stream.

- `connect`: the hub's addresses, and credentials from a file or the environment;
- `reader`: a room's lines, caught up then live, each once (`room_lines`), and the rooms;
- `mirror`: the moderator's records into the room's stream, in a thread of its own;
- `follower`: `follow nats://HOST/ROOM`.

Nothing outside this package imports NATS, and nothing imports this package
without a hub: a session run without `--hub` loads no NATS code.
"""
