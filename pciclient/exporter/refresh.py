"""The refresh: every source read from the cloud, the page a scrape answers made once.

Scrapes never reach the cloud: :meth:`Refresher.refresh` (the background loop, or
``--once``) runs each source, keeps the last good samples of any that fails (its
``pci_exporter_last_success_timestamp_seconds`` then stops moving), renders the Prometheus
text page and its gzip once, and swaps them in whole: a scrape reads two bytes objects,
however large the cloud, and never a half-finished refresh.

A refresh has a deadline: the library's own (no request starts, and no answer is read,
past it), set anew on the one client before each refresh. A failure is logged when its
kind or message changes, not every interval; the recovery is logged once too.
"""
from __future__ import annotations

import gzip
import itertools
import logging
import pickle
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pciclient import exceptions as exc
from pciclient.exporter import render
from pciclient.exporter.sources import SOURCES, Context, Samples

LOG = logging.getLogger('pciclient.exporter')

_URL = re.compile(r'(https?://[^/\s]+)\S*')


def _same_failure(error: Exception, line: str) -> tuple[str, str]:
    """What makes two failures "the same" for logging: the kind and the line, with each URL
    cut to its endpoint. A deadline strikes at whatever request is running (another
    provider's usages each refresh), so a deadline is the same failure wherever it struck:
    a refresh slower than its deadline logs once, not at every interval."""
    from pciclient.answers import DeadlinePassed

    kind = type(error).__name__
    if isinstance(error, DeadlinePassed):
        return kind, ''
    return kind, _URL.sub(r'\1', line)


@dataclass
class SourceState:
    samples: Samples = field(default_factory=dict)
    up: bool = False
    last_success: float = 0.0
    #: (kind, what) of the failure last logged (see :func:`_same_failure`); None while it
    #: succeeds.
    failure: tuple[str, str] | None = None


@dataclass
class Page:
    """One rendered snapshot: what ``/metrics`` answers until the next refresh."""

    text: bytes
    gzipped: bytes
    up: bool


class RequestCounter:
    """Counts the HTTP requests a keystoneauth session sends (a ``requests`` response hook:
    Keystone's, compute's and Placement's, from every thread)."""

    def __init__(self) -> None:
        self._count = itertools.count()
        self._seen = 0
        self._lock = threading.Lock()

    def install(self, session: Any) -> None:
        requests_session = getattr(session, 'session', None)
        hooks = getattr(requests_session, 'hooks', None)
        if isinstance(hooks, dict):
            hooks.setdefault('response', []).append(self._hook)

    def _hook(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            self._seen += 1
        return response

    @property
    def value(self) -> int:
        with self._lock:
            return self._seen

    def carry(self, seen: int) -> None:
        """Count on from ``seen`` (the requests of a refresh process that was replaced)."""
        with self._lock:
            self._seen += seen


class Refresher:
    """Runs the sources and holds the page; ``client`` is the library's client, made once
    (one session: keystoneauth keeps its token between refreshes)."""

    def __init__(self, client: Any, make_context: Callable[[Any], Context], *,
                 deadline: float, max_answer_size: int,
                 sources: Mapping[str, Callable[[Context], Samples]] | None = None,
                 wording: Any = None, debug: bool = False) -> None:
        self.client = client
        self._make_context = make_context
        self.deadline = deadline
        self.max_answer_size = max_answer_size
        self.sources = dict(SOURCES if sources is None else sources)
        self.states = {name: SourceState() for name in self.sources}
        self._wording = wording
        self._debug = debug
        self.requests = RequestCounter()
        self.requests.install(getattr(getattr(client, 'adapter', None), 'session', None))
        self.refreshes = {'success': 0, 'failure': 0}
        self.errors: dict[tuple[str, str], int] = {}
        self.last_refresh = 0.0
        self.last_duration = 0.0
        self._lock = threading.Lock()
        self._page = self._render()

    # -- scraping ---------------------------------------------------------------------------
    def page(self) -> Page:
        with self._lock:
            return self._page

    # -- refreshing -------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Read every source once; True if all succeeded. Never raises for the cloud's
        failures: they are counted, logged once per change, and the data kept."""
        started = time.monotonic()
        until = started + self.deadline
        self._set_deadline(until)
        context = self._make_context(self.client)
        ok = True
        for name, source in self.sources.items():
            ok = self._run(name, source, context, until) and ok
        self.last_duration = time.monotonic() - started
        self.last_refresh = time.time()
        self.refreshes['success' if ok else 'failure'] += 1
        page = self._render()
        with self._lock:
            self._page = page
        return ok

    def _set_deadline(self, until: float) -> None:
        from pciclient.answers import Limits

        for http in (getattr(self.client, 'http', None),
                     getattr(getattr(self.client, 'placement', None), 'http', None),
                     getattr(getattr(self.client, 'neutron', None), 'http', None)):
            if http is not None:
                http.limits = Limits.from_now(self.max_answer_size, until)

    def _run(self, name: str, source: Callable[[Context], Samples], context: Context,
             until: float) -> bool:
        state = self.states[name]
        try:
            if time.monotonic() >= until:
                from pciclient.answers import DeadlinePassed
                raise DeadlinePassed(f'The refresh deadline ({self.deadline:g} s) passed '
                                     f'before source {name} could start.')
            samples = source(context)
        except Exception as error:  # noqa: BLE001 - any failure keeps the last good data
            self._failed(name, state, error)
            return False
        state.samples, state.up, state.last_success = samples, True, time.time()
        if state.failure is not None:
            LOG.warning('Source %s: refreshed again after %s.', name, state.failure[0])
            state.failure = None
        return True

    def _failed(self, name: str, state: SourceState, error: Exception) -> None:
        kind = type(error).__name__
        if isinstance(error, exc.ClientException):
            line = error.line(self._wording) if self._wording is not None else error.line()
        else:
            line = f'{kind}: {error}'
        state.up = False
        self.errors[(name, kind)] = self.errors.get((name, kind), 0) + 1
        same = _same_failure(error, line)
        if state.failure != same:
            stale = ('keeping the data of '
                     + time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(state.last_success))
                     if state.last_success else 'no data yet')
            LOG.error('Source %s failed (%s): %s', name, stale, line,
                      exc_info=self._debug or not isinstance(error, exc.ClientException))
            state.failure = same

    # -- carried over to a new refresh process (see :mod:`pciclient.exporter.worker`) -----
    def snapshot(self) -> bytes:
        """Everything a replacement needs to go on where this one stopped: each source's
        last good samples and state, and the counters (a pickle: it only ever travels
        between this exporter's own processes)."""
        return pickle.dumps({
            'states': self.states, 'refreshes': self.refreshes, 'errors': self.errors,
            'requests': self.requests.value, 'last_refresh': self.last_refresh,
            'last_duration': self.last_duration}, protocol=pickle.HIGHEST_PROTOCOL)

    def restore(self, snapshot: bytes, killed_after: float | None = None) -> None:
        """Go on from ``snapshot``; ``killed_after``: the previous process was killed
        that many seconds into a refresh (counted as a failed refresh, every source stale,
        ``pci_exporter_errors_total{source="refresh",kind="RefreshKilled"}``)."""
        data = pickle.loads(snapshot)  # noqa: S301 - written by this exporter's own child
        self.states.update({n: s for n, s in data['states'].items() if n in self.states})
        self.refreshes.update(data['refreshes'])
        self.errors.update(data['errors'])
        self.requests.carry(data['requests'])
        self.last_refresh, self.last_duration = data['last_refresh'], data['last_duration']
        if killed_after is not None:
            for state in self.states.values():
                state.up = False
            self.refreshes['failure'] += 1
            key = ('refresh', 'RefreshKilled')
            self.errors[key] = self.errors.get(key, 0) + 1
            self.last_refresh, self.last_duration = time.time(), killed_after
        page = self._render()
        with self._lock:
            self._page = page

    # -- the page ---------------------------------------------------------------------------
    def health(self) -> Samples:
        up = bool(self.refreshes['success'] + self.refreshes['failure']) \
            and all(s.up for s in self.states.values())
        return {
            'pci_exporter_up': [((), float(up))],
            'pci_exporter_source_up': [((n,), float(s.up)) for n, s in self.states.items()],
            'pci_exporter_last_refresh_timestamp_seconds': [((), self.last_refresh)],
            'pci_exporter_last_success_timestamp_seconds': [
                ((n,), s.last_success) for n, s in self.states.items()],
            'pci_exporter_last_refresh_duration_seconds': [((), self.last_duration)],
            'pci_exporter_refreshes': [((r,), float(c)) for r, c in self.refreshes.items()],
            'pci_exporter_requests': [((), float(self.requests.value))],
            'pci_exporter_errors': [(key, float(c)) for key, c in sorted(self.errors.items())],
        }

    def _render(self) -> Page:
        samples: Samples = {}
        for state in self.states.values():
            for name, items in state.samples.items():
                samples.setdefault(name, []).extend(items)
        health = self.health()
        count = sum(len(v) for v in samples.values()) + sum(len(v) for v in health.values())
        health['pci_exporter_series'] = [((), float(count + 1))]
        text = render.text({**samples, **health})
        up = bool(health['pci_exporter_up'][0][1])
        return Page(text, gzip.compress(text, compresslevel=5, mtime=0), up)
