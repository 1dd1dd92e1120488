"""A real Neutron 29 answers the port requests recorded in ``tests/data/neutron-29-ports``.

Each request of ``reference.REQUESTS`` is sent to the live harness as its caller (admin,
member, Nova's service user); the status, the content type and the whole document, once
made constant (``reference.normalised``), must equal the recorded file: the recordings are
reproducible. ``PCICLIENT_RECORD_REFERENCE=1`` writes the answers as the new reference
instead. Without the reference directory the tier fails (the data is in the repository).
"""
from __future__ import annotations

import json
import os

import pytest

from tests.realneutron.reference import REQUESTS, Request, normalised, path_of, sorted_ports
from tests.support.data import DATA

REFERENCE = DATA / 'neutron-29-ports'
RECORD = os.environ.get('PCICLIENT_RECORD_REFERENCE') == '1'


def _answer(request: Request, real_neutron, neutron_http) -> tuple[int, str, object]:
    url = real_neutron.url(request.caller) + path_of(request, real_neutron.scenario)
    answer = neutron_http.request(request.method, url, json=request.body, timeout=60)
    document = normalised(answer.json(), real_neutron.scenario) if answer.content else None
    if 'sort_key' not in request.path:
        document = sorted_ports(document)
    return answer.status_code, answer.headers.get('Content-Type', ''), document


@pytest.mark.parametrize('request_', REQUESTS, ids=lambda r: r.name)
def test_answer_matches_reference(request_: Request, real_neutron, neutron_http):
    status, content_type, document = _answer(request_, real_neutron, neutron_http)
    file = REFERENCE / f'{request_.name}.json'
    entry = {'name': request_.name, 'caller': request_.caller, 'method': request_.method,
             'path': request_.path, 'body': request_.body, 'status': status,
             'content_type': content_type}
    if RECORD:
        REFERENCE.mkdir(exist_ok=True)
        file.write_text(json.dumps({**entry, 'answer': document}, indent=1) + '\n')
    recorded = json.loads(file.read_text())
    assert {k: recorded[k] for k in entry} == entry
    assert document == recorded['answer']


def test_every_recording_is_requested():
    """No stale file: the directory holds exactly the requests of ``reference.REQUESTS``."""
    assert sorted(p.stem for p in REFERENCE.glob('*.json')) == sorted(r.name for r in REQUESTS)
