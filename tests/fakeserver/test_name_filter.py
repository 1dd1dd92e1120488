"""The ``name`` filter (issue 18, item 8): Nova's regular expression, matched without
backtracking, so a hostile pattern neither stalls its own request nor any other."""
from __future__ import annotations

import json
import random
import re
import threading
import time
import urllib.parse
import urllib.request
import warnings
from typing import Any

import pytest

from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.compute.name_filter import (
    MAX_PATTERN_LENGTH,
    NameFilterError,
    NamePattern,
)
from pciclient.fakeserver.model.inventory import Inventory, Server
from pciclient.fakeserver.wsgi.server import start_in_thread
from tests.fakeserver.helpers import HOST, SERVER_UUID, call_app

HOSTILE = '(.*){9}X'
# Python's re took 33 s for HOSTILE against this one name, holding the GIL throughout.
LONG_NAME = 'v' * 26 + '-vma'

_PIECES = ['a', 'b', '.', '-', '^', '$', '*', '+', '?', '{2}', '{1,3}', '{,2}', '{2,}', '(',
           ')', '|', '[ab]', '[^a]', '[a-c]', r'\d', r'\w', r'\s', r'\.', '(?:', r'\A', r'\Z',
           '1', ' ', '*?', '[]a]', '{', '}', '(?P<n>']
_TEXTS = ['', 'a', 'ab', 'ba', 'a-b', 'vm-a', 'a1 b', 'aaab', 'ab.', 'a\nb', '12', 'a.b-b']


def _names(pattern: str, names: list[str]) -> list[str]:
    return NamePattern.compile(pattern).filter(names, str)


def test_same_answers_as_python_re() -> None:
    """Every pattern of the subset answers as ``re.search`` (random ones, seeded)."""
    rng = random.Random(18)
    compared = 0
    for _ in range(4000):
        pattern = ''.join(rng.choice(_PIECES) for _ in range(rng.randint(1, 6)))
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            try:
                expected = re.compile(pattern)
            except re.error:
                continue
        try:
            got = _names(pattern, _TEXTS)
        except NameFilterError:
            continue
        assert got == [text for text in _TEXTS if expected.search(text)], pattern
        compared += 1
    assert compared > 1000


@pytest.mark.parametrize('pattern, names', [
    ('vm', ['vm-a', 'old-vm']),
    ('^vm-[a-c]$', ['vm-a']),
    (r'(vm|web)-\w+', ['vm-a', 'web-01']),
    ('a{2,3}', ['baab']),
    ('', ['vm-a', 'web-01', 'old-vm', 'baab']),
])
def test_common_patterns(pattern: str, names: list[str]) -> None:
    assert _names(pattern, ['vm-a', 'web-01', 'old-vm', 'baab']) == names


@pytest.mark.parametrize('pattern, says', [
    (r'(a)\1', 'Unsupported regular expression'),
    ('(?=vm)', 'Unsupported regular expression'),
    (r'\bvm', 'Unsupported regular expression'),
    ('(?i)vm', 'Unsupported regular expression'),
    ('a++', 'Unsupported regular expression'),
    ('(.{100}){100}', 'too large'),
    ('a' * (MAX_PATTERN_LENGTH + 1), 'too long'),
    ('(unclosed', 'Invalid regular expression'),
])
def test_outside_the_subset_is_a_clear_400(pattern: str, says: str) -> None:
    app = FakeComputeApp(Inventory.from_hosts([(HOST, [])], servers=[
        Server(id=SERVER_UUID, name='vm-a', host=HOST)]))
    for path in ('/v2.1/servers', '/v2.1/flavors'):
        response = call_app(app, path, query=urllib.parse.urlencode({'name': pattern}))
        assert response.status == 400
        message = response.json['badRequest']['message']
        assert says in message and '\n' not in message


def test_hostile_pattern_is_linear() -> None:
    assert _names(HOSTILE, [LONG_NAME * 8, LONG_NAME + 'X']) == [LONG_NAME + 'X']


def _get(url: str, into: dict[str, Any], key: str) -> None:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=60) as response:
        into[key] = (response.status, json.load(response), time.monotonic() - started)


def test_hostile_query_stalls_neither_itself_nor_another_connection() -> None:
    """Before: this query took 33 s, and a request on another connection waited as long."""
    servers = [Server(id=f'00000000-0000-0000-0000-{index:012d}', name=f'{LONG_NAME}{index}',
                      host=HOST) for index in range(2)]
    app = FakeComputeApp(Inventory.from_hosts([(HOST, [])], servers=servers), 'blueprint')
    answers: dict[str, Any] = {}
    with start_in_thread(app) as running:
        query = urllib.parse.urlencode({'name': HOSTILE})
        hostile = threading.Thread(target=_get, args=(
            f'{running.compute_url}/servers?{query}', answers, 'hostile'))
        hostile.start()
        _get(f'{running.compute_url}/os-hypervisors', answers, 'other')
        hostile.join(timeout=60)
    status, body, seconds = answers['hostile']
    assert (status, body['servers']) == (200, [])
    assert seconds < 5  # generous: it takes milliseconds; before, 33 s
    status, body, seconds = answers['other']
    assert status == 200 and body['hypervisors']
    assert seconds < 5
