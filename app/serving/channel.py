"""The channel between the supervisor and one worker: a Unix socket pair carrying one-byte messages and,
with GIVE and RETURN, connections (their file descriptors, ``SCM_RIGHTS``)."""

from __future__ import annotations

import socket

# Messages on a worker's channel. Worker to supervisor: READY, STOPPING, CLOSED (one byte per connection
# closed), RETURN (with connections it will not serve), HEARTBEAT (its event loop runs: every
# HEARTBEAT_SECONDS), RECYCLE (it has served its share of requests: replace it). Supervisor to worker: GIVE
# (with a connection), NO_MORE (nothing more will be given: the answer to STOPPING, or the supervisor's own
# stop).
READY = b"r"
STOPPING = b"s"
CLOSED = b"c"
RETURN = b"b"
HEARTBEAT = b"h"
RECYCLE = b"q"
GIVE = b"g"
NO_MORE = b"n"

HEARTBEAT_SECONDS = 1.0


def next_message(channel: socket.socket) -> tuple[bytes, list[int]] | None:
    """The next message on a channel with the descriptors it carries; None if none waits, b"" at its end."""
    try:
        message, fds, _flags, _address = socket.recv_fds(channel, 4096, 16)
    except BlockingIOError:
        return None
    except OSError:  # the other side has gone
        return b"", []
    return message, fds
