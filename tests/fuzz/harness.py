"""Running ``pci-cli`` in-process against a :class:`~tests.fuzz.wrong_answers.Plan` over
requests-mock, and the properties every run must have.

``shell.main(argv)`` builds a new cliff App per call, which takes ``sys.stdout`` and
``sys.stderr`` as they are then: each run gets its own streams, encoded as a real pipe
would encode them (stdout strict UTF-8, stderr with backslash escapes, as Python does).
"""
from __future__ import annotations

import contextlib
import io
import json
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

import requests_mock

from pciclient import exceptions as exc
from pciclient import http as pci_http
from pciclient import shell
from tests.fuzz import jsontext
from tests.fuzz.documents import (
    COMPUTE,
    PLACEMENT,
    PLACEMENT_KINDS,
    Doc,
    compute_doc,
    placement_doc,
)
from tests.fuzz.wrong_answers import Answer, Plan, mutate

#: The longest wait between two tries of a request (pciclient.http says so, or a minute).
MAX_RETRY_DELAY = getattr(pci_http, 'MAX_RETRY_DELAY', 60.0)

NOAUTH = ('--os-auth-type', 'none', '--os-endpoint', COMPUTE)
WITH_PLACEMENT = ('--os-placement-endpoint-override', PLACEMENT)


class Router:
    """Answers every GET of a run from the plan; counts requests per route."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.calls: dict[str, int] = {}
        self.log: list[str] = []
        self._lock = threading.Lock()

    def _doc(self, url: str, headers: Any) -> Doc:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if url.startswith(PLACEMENT):
            path = parts.path[len(urlsplit(PLACEMENT).path):].strip('/')
            return placement_doc(self.plan.world, path, query)
        path = parts.path[len(urlsplit(COMPUTE).path):].strip('/')
        asked = (headers.get('OpenStack-API-Version') or '').split()
        microversion = asked[-1] if asked[:1] == ['compute'] and len(asked) == 2 else None
        return compute_doc(self.plan.world, path, query, microversion)

    def answer(self, request: Any, context: Any) -> bytes:
        doc = self._doc(request.url, request.headers)
        with self._lock:
            call = self.calls.get(doc.kind, 0)
            self.calls[doc.kind] = call + 1
            self.log.append(request.url)
        replacement = self.plan.replacements.get(doc.kind)
        if replacement is not None:
            applies = (replacement.arg in (None, doc.arg) if doc.kind in PLACEMENT_KINDS
                       else call >= replacement.from_call)
            if applies:
                return self._send(context, replacement.answer)
        body = mutate(doc.body, self.plan.changes.get(doc.kind, ()))
        context.status_code = doc.status
        context.headers['Content-Type'] = 'application/json'
        context.headers['X-Openstack-Request-Id'] = 'req-fuzz'
        return jsontext.encode(body).encode('utf-8', errors='surrogatepass')

    @staticmethod
    def _send(context: Any, answer: Answer) -> bytes:
        context.status_code = answer.status
        if answer.content_type:
            context.headers['Content-Type'] = answer.content_type
        if answer.request_id is not None:
            context.headers['X-Openstack-Request-Id'] = answer.request_id
        if answer.retry_after is not None:
            context.headers['Retry-After'] = answer.retry_after
        return answer.body


@dataclass
class Outcome:
    argv: list[str]
    code: int
    out: str
    err: str
    error: BaseException | None
    requests: list[str] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def __repr__(self) -> str:
        return (f'<pci-cli {" ".join(self.argv)!r}: exit {self.code}, error {self.error!r}, '
                f'stdout {self.out[:300]!r}, stderr {self.err[:500]!r}, '
                f'requests {self.requests[:12]}>')


class Sleeps:
    """``time.sleep`` for in-process runs: checks its argument as the real one does, records
    it, and returns at once (back-off between retries costs no time here)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        if seconds != seconds:
            raise ValueError('Invalid value NaN (not a number)')
        if seconds < 0:
            raise ValueError('sleep length must be non-negative')
        self.calls.append(seconds)


def run(argv: list[str], plan: Plan | None = None, *, auth: tuple[str, ...] = NOAUTH,
        answers: dict[str, Any] | None = None, files: dict[str, bytes] | None = None,
        ) -> Outcome:
    """``pci-cli *auth *argv`` in this process; every GET answered from ``plan``, or from
    ``answers`` (``{url: requests-mock response kwargs}``, anything else a 404).

    ``@NAME@`` in an argument is the path of a file ``NAME`` in a fresh directory, holding
    ``files[NAME]`` (absent when ``files`` has no such name)."""
    with tempfile.TemporaryDirectory(prefix='pci-fuzz-') as directory:
        for name, content in (files or {}).items():
            (Path(directory) / name).write_bytes(content)
        resolved = [_PLACEHOLDER.sub(lambda m: str(Path(directory) / m.group(1)), arg)
                    for arg in argv]
        return _run(resolved, plan, auth=auth, answers=answers)


_PLACEHOLDER = re.compile(r'@([\w.-]+)@')


def _run(argv: list[str], plan: Plan | None, *, auth: tuple[str, ...],
         answers: dict[str, Any] | None) -> Outcome:
    full = [*auth, *argv]
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding='utf-8', errors='strict', write_through=True)
    err = io.TextIOWrapper(err_bytes, encoding='utf-8', errors='backslashreplace',
                           write_through=True)
    errors: list[BaseException | None] = []
    original = shell.PciShell.clean_up

    def clean_up(self: Any, cmd: Any, result: int, error: BaseException | None) -> None:
        errors.append(error)
        original(self, cmd, result, error)

    router = Router(plan) if plan is not None else None
    sleeps = Sleeps()
    with contextlib.ExitStack() as stack:
        mocker = stack.enter_context(requests_mock.Mocker())
        if router is not None:
            mocker.get(requests_mock.ANY, content=router.answer)
        elif answers is not None:
            mocker.get(requests_mock.ANY, status_code=404, json={'itemNotFound': {
                'code': 404, 'message': 'Not found.'}})
            for url, response in answers.items():
                mocker.get(url, **response)
        stack.enter_context(mock.patch.object(shell.PciShell, 'clean_up', clean_up))
        stack.enter_context(mock.patch.object(time, 'sleep', sleeps))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        code = shell.main(full)
    out.flush()
    err.flush()
    return Outcome(argv=full, code=code, out=out_bytes.getvalue().decode('utf-8'),
                   err=err_bytes.getvalue().decode('utf-8'),
                   error=errors[0] if errors else None,
                   requests=router.log if router else [], sleeps=sleeps.calls)


def plain(value: Any) -> Any:
    """Library results as plain data: resources as their normalised model, recursively."""
    if hasattr(value, 'to_dict'):
        return plain(value.to_dict())
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def _no_constants(name: str) -> Any:
    raise ValueError(f'{name} is not JSON')


def strict_json(text: str) -> Any:
    """``text`` as one JSON document; NaN, Infinity and -Infinity are not JSON."""
    return json.loads(text, parse_constant=_no_constants)


def check(outcome: Outcome, fmt: str, shape: type | None = None, *,
          below_minimum: bool = False) -> Any:
    """The CLI contract: exit 0, or exit 1 with one line on stderr (a pciclient error,
    never a traceback) and nothing on stdout; with ``-f json`` stdout is strict JSON.
    ``below_minimum`` (capacity with ``--min-fits``): exit 3 too, an answer like exit 0's.

    Returns the decoded JSON document (or None)."""
    assert outcome.code in ((0, 1, 3) if below_minimum else (0, 1)), outcome
    assert 'Traceback' not in outcome.err, outcome
    assert all(delay <= MAX_RETRY_DELAY for delay in outcome.sleeps), outcome.sleeps
    if outcome.code == 1:
        assert outcome.err.endswith('\n') and outcome.err.strip(), outcome
        assert '\n' not in outcome.err[:-1] and '\r' not in outcome.err, outcome
        assert outcome.out == '', outcome
        assert isinstance(outcome.error, exc.ClientException), outcome
        return None
    assert outcome.error is None, outcome
    if fmt != 'json':
        return None
    document = strict_json(outcome.out)
    if shape is not None:
        assert isinstance(document, shape), outcome
    if shape is list:
        assert all(isinstance(row, dict) for row in document), outcome
        assert len({tuple(row) for row in document}) <= 1, outcome  # one set of columns
    return document
