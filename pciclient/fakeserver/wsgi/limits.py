"""How much one fake-cloud server takes on: sizes, threads and timeouts, in one place.

Both engines and the tests that probe the edges read these, so a limit is
changed here and nowhere else.
"""
from __future__ import annotations

# Limits of the cheroot engine. Requests larger than these are refused before the app sees
# them: 431/413 for headers (cheroot says 413), 414 for the request line, 413 for bodies.
MAX_HEADER_BYTES = 64 * 1024       # request line plus headers; Keystone's PKI tokens fit
MAX_BODY_BYTES = 1024 * 1024       # the identity API's own limit is lower (413 from it)
WORKER_THREADS = 32                # requests in progress at once (slow clients included)
CONNECTION_TIMEOUT = 10.0          # seconds: idle keep-alive, a stalled read or handshake
KEEP_ALIVE_CONNECTIONS = 1000      # idle keep-alive connections kept open at once
LISTEN_BACKLOG = 128               # the stdlib's 5 drops SYNs under a burst of connects
SHUTDOWN_TIMEOUT = 5.0             # seconds stop() waits for requests in progress
# How often cheroot's connection loop wakes up when idle; stop() waits for one such tick.
TICK = 0.1
