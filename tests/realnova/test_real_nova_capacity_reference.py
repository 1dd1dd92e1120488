"""A real Nova 34 answers the calls ``pci-cli capacity`` makes as recorded in
``tests/data/nova-34-capacity``: flavors, extra specs, aggregates, availability zones and
compute services, at the microversions that change their shapes, as admin and as a member.

The module sets up the reference state (``capacity_reference.py``) in the harness's Nova
and undoes it afterwards, so other tests of the tier see the cloud they expect. Each
request is checked for status, content type, microversion header and the shape of the
document (keys and value types); error bodies exactly, once run-specific parts are
made constant. ``PCICLIENT_RECORD_REFERENCE=1`` writes the answers as the new reference
instead (the test still checks what it can).
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.realnova.capacity_reference import (
    AZ_AGGREGATE,
    AZ_AGGREGATE_HOST,
    AZ_AGGREGATE_METADATA,
    DISABLED_HOST,
    DISABLED_REASON,
    FLAVORS,
    GPU_EXTRA_SPECS,
    MEMBER_HEADERS,
    PLAIN_AGGREGATE,
    PLAIN_AGGREGATE_HOST,
    REQUESTS,
    Request,
    normalised,
    shape,
)
from tests.support.data import DATA

REFERENCE = DATA / 'nova-34-capacity'
RECORD = os.environ.get('PCICLIENT_RECORD_REFERENCE') == '1'


class _Nova:
    """Admin calls that set the reference state up, at the newest microversion."""

    def __init__(self, session: requests.Session, root: str) -> None:
        self.session = session
        self.root = root

    def call(self, method: str, path: str, body: Any = None, version: str = '2.53') -> Any:
        answer = self.session.request(method, f'{self.root}/v2.1{path}', json=body, timeout=60,
                                      headers={'OpenStack-API-Version': f'compute {version}'})
        assert answer.status_code < 300, f'{method} {path}: {answer.status_code} {answer.text}'
        return answer.json() if answer.content else None


@pytest.fixture(scope='module')
def reference_state(real_nova) -> Iterator[dict[str, Any]]:
    with requests.Session() as session:
        session.trust_env = False
        nova = _Nova(session, real_nova.root)
        undo: list[tuple[str, str, Any]] = []
        try:
            for flavor in FLAVORS:
                nova.call('POST', '/flavors', {'flavor': flavor}, version='2.55')
                undo.append(('DELETE', f'/flavors/{flavor["id"]}', None))
            nova.call('POST', '/flavors/cap-gpu/os-extra_specs',
                      {'extra_specs': GPU_EXTRA_SPECS})
            zoned = nova.call('POST', '/os-aggregates', {'aggregate': AZ_AGGREGATE})['aggregate']
            undo.append(('DELETE', f'/os-aggregates/{zoned["id"]}', None))
            plain = nova.call('POST', '/os-aggregates', {'aggregate': PLAIN_AGGREGATE})[
                'aggregate']
            undo.append(('DELETE', f'/os-aggregates/{plain["id"]}', None))
            for aggregate, host in ((zoned, AZ_AGGREGATE_HOST), (plain, PLAIN_AGGREGATE_HOST)):
                nova.call('POST', f'/os-aggregates/{aggregate["id"]}/action',
                          {'add_host': {'host': host}})
                undo.insert(0, ('POST', f'/os-aggregates/{aggregate["id"]}/action',
                                {'remove_host': {'host': host}}))
            nova.call('POST', f'/os-aggregates/{zoned["id"]}/action',
                      {'set_metadata': {'metadata': AZ_AGGREGATE_METADATA}})
            services = nova.call('GET', '/os-services?binary=nova-compute')['services']
            [disabled] = [s for s in services if s['host'] == DISABLED_HOST]
            nova.call('PUT', f'/os-services/{disabled["id"]}',
                      {'status': 'disabled', 'disabled_reason': DISABLED_REASON})
            undo.insert(0, ('PUT', f'/os-services/{disabled["id"]}', {'status': 'enabled'}))
            yield {'agg': str(zoned['id']), 'project': real_nova.project_id}
        finally:
            for method, path, body in undo:
                nova.call(method, path, body)


def _ask(session: requests.Session, root: str, request: Request, state: dict[str, Any]
         ) -> requests.Response:
    headers = {}
    if request.microversion:
        headers['OpenStack-API-Version'] = f'compute {request.microversion}'
    if request.caller == 'member':
        headers.update(MEMBER_HEADERS)
        headers['X-Project-Id'] = headers['X-Auth-Project-Id'] = state['project']
    return session.get(root + request.path.format(**state), headers=headers, timeout=60)


def _record(entries: list[dict[str, Any]]) -> None:
    REFERENCE.mkdir(exist_ok=True)
    (REFERENCE / '_index.json').write_text(json.dumps(entries, indent=2) + '\n')


_RECORDED: list[dict[str, Any]] = []


@pytest.mark.parametrize('request_', REQUESTS, ids=lambda r: r.name)
def test_answer_matches_reference(request_: Request, reference_state, real_nova, nova_http):
    answer = _ask(nova_http, real_nova.root, request_, reference_state)
    entry = {'name': request_.name, 'path': request_.path,
             'microversion_requested': request_.microversion, 'caller': request_.caller,
             'status': answer.status_code, 'content_type': answer.headers.get('Content-Type'),
             'openstack_api_version': answer.headers.get('OpenStack-API-Version'),
             'file': f'{request_.name}.json'}
    if RECORD:
        document = json.loads(normalised(answer.text))
        REFERENCE.mkdir(exist_ok=True)
        (REFERENCE / entry['file']).write_text(json.dumps(document, indent=1) + '\n')
        _RECORDED.append(entry)
        if len(_RECORDED) == len(REQUESTS):
            _record(_RECORDED)
        assert answer.status_code in (200, 400, 403, 404, 406)
        return
    recorded = {e['name']: e for e in json.loads((REFERENCE / '_index.json').read_text())}
    expected = recorded[request_.name]
    assert answer.status_code == expected['status'], answer.text
    assert answer.headers.get('Content-Type') == expected['content_type']
    assert answer.headers.get('OpenStack-API-Version') == expected['openstack_api_version']
    ours = json.loads(normalised(answer.text))
    theirs = json.loads((REFERENCE / expected['file']).read_text())
    if expected['status'] >= 400:
        assert ours == theirs
    else:
        assert shape(ours) == shape(theirs)
