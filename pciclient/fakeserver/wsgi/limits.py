"""How much one fake-cloud server takes on: sizes, threads and timeouts, in one place.

Both engines and the tests that probe the edges read these, so a limit is
changed here and nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass

# Limits of the cheroot engine. Requests larger than these are refused before the app sees
# them: 431/413 for headers (cheroot says 413), 414 for the request line, 413 for bodies.
MAX_HEADER_BYTES = 64 * 1024       # request line plus headers; Keystone's PKI tokens fit
MAX_BODY_BYTES = 1024 * 1024       # the identity API's own limit is lower (413 from it)
WORKER_THREADS = 32                # requests in progress at once (whole requests only)
CONNECTION_TIMEOUT = 10.0          # seconds: idle keep-alive, a stalled read, write or body
LISTEN_BACKLOG = 128               # the stdlib's 5 drops SYNs under a burst of connects
SHUTDOWN_TIMEOUT = 5.0             # seconds stop() waits for requests in progress
# How often cheroot's connection loop wakes up when idle; stop() waits for one such tick.
TICK = 0.1

# Connections wait in the selector, not in a worker thread, until a whole request has come
# (see ``parking``). These bound what such waiting connections may take.
MAX_CONNECTIONS = 512              # open at once, all clients; well under a 1024 fd limit
MAX_CONNECTIONS_PER_ADDRESS = 256  # open at once from one client address (tests: 127.0.0.1)
# Seconds a request head may take: from the connect, or on a kept-alive connection from the
# first byte of its next request (idle, such a connection lasts CONNECTION_TIMEOUT).
HEADER_TIMEOUT = 5.0


@dataclass(frozen=True)
class ConnectionLimits:
    """The connection limits of one server; ``pci-fake-server`` options set them.

    Past ``per_address`` (or ``total``) open connections a new one makes room by closing
    the longest-waiting idle or incomplete connection of that address (of anyone); when
    every connection is busy with a request, the new one gets a 503 and is closed.
    """

    total: int = MAX_CONNECTIONS
    per_address: int = MAX_CONNECTIONS_PER_ADDRESS
    header_timeout: float = HEADER_TIMEOUT

    def __post_init__(self) -> None:
        if self.total < 1 or self.per_address < 1:
            raise ValueError('connection limits must be at least 1')
        if not 0 < self.header_timeout < float('inf'):
            raise ValueError('the header timeout must be a positive number of seconds')
