"""Beyond one machine: a room's journal mirrored into a NATS JetStream stream (the hub).

The file journal on the controller's machine stays the source of truth. The
hub is a copy of it, one stream per room, that serve processes, followers and
the board read from, and whose expected-last-sequence check fences a second
writer. See `names` for how a journal maps onto a stream.
"""
