"""The compute WSGI app called in-process, as a whole: the HTTP contract every answer keeps,
routing and prefixes, and the version documents.

Each API's own routes are tested beside this file: ``test_app_os_pci.py``,
``test_app_paging.py``, ``test_app_hypervisors.py`` and ``test_app_servers.py``.
"""
from __future__ import annotations

import builtins
import io
import json
import logging
import os
import re

import pytest

from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.compute.views import Views
from pciclient.fakeserver.model.inventory import Inventory
from tests.fakeserver.helpers import HOST, SERVER_UUID, call_app

PREFIXES = ['/v2.1', '/v2.1/my-project', '/v2/tenant-1']
ROUTER_404 = {'message': 'The resource could not be found.<br /><br />\n\n\n',
              'code': '404 Not Found', 'title': 'Not Found'}
REQ_ID = re.compile(r'^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$')


# --- common HTTP contract ---------------------------------------------------------------------

@pytest.mark.parametrize('path', ['/', '/v2.1/os-pci', '/v2.1/os-pci/999', '/nowhere'])
def test_every_answer_is_json_with_request_ids(app: FakeComputeApp, path: str) -> None:
    response = call_app(app, path)
    assert response.headers['content-type'] == 'application/json'
    request_id = response.headers['x-openstack-request-id']
    assert REQ_ID.match(request_id)
    assert response.headers['x-compute-request-id'] == request_id
    assert int(response.headers['content-length']) == len(response.raw)
    json.loads(response.raw)


def test_request_ids_differ_per_request(app: FakeComputeApp) -> None:
    ids = {call_app(app, '/v2.1/os-pci').headers['x-openstack-request-id'] for _ in range(5)}
    assert len(ids) == 5


def test_versioned_answers_state_microversion(app: FakeComputeApp) -> None:
    response = call_app(app, '/v2.1/os-pci')
    assert response.headers['openstack-api-version'] == 'compute 2.1'
    assert response.headers['x-openstack-nova-api-version'] == '2.1'


@pytest.mark.parametrize('method', ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'BREW'])
def test_write_methods_are_405(app: FakeComputeApp, method: str) -> None:
    response = call_app(app, '/v2.1/os-pci/1', method=method)
    assert response.status == 405
    assert response.headers['allow'] == 'GET, HEAD'
    assert response.json['code'] == '405 Method Not Allowed'
    assert response.headers['content-type'] == 'application/json'


def test_head_has_headers_but_no_body(app: FakeComputeApp) -> None:
    get = call_app(app, '/v2.1/os-pci/1')
    head = call_app(app, '/v2.1/os-pci/1', method='HEAD')
    assert head.status == 200 and head.raw == b''
    assert head.headers['content-length'] == get.headers['content-length']
    assert call_app(app, '/v2.1/os-pci/77', method='HEAD').status == 404


def test_unexpected_exception_is_500_compute_fault(app: FakeComputeApp,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    def broken(self: Views, route: object, request: object) -> dict:
        raise RuntimeError('boom from a test')
    monkeypatch.setattr(Views, 'render', broken)
    with caplog.at_level(logging.ERROR, logger='pciclient.fakeserver'):
        response = call_app(app, '/v2.1/os-pci')
    assert response.status == 500
    assert response.json['computeFault']['code'] == 500
    assert 'boom' not in response.raw.decode()
    assert any(r.exc_info and 'boom from a test' in str(r.exc_info[1]) for r in caplog.records)
    monkeypatch.undo()
    assert call_app(app, '/v2.1/os-pci').status == 200


def test_unknown_shapes_rejected(busy_inventory: Inventory) -> None:
    with pytest.raises(ValueError, match='unknown shapes'):
        FakeComputeApp(busy_inventory, shapes='icehouse')


# --- routing ---------------------------------------------------------------------------------

@pytest.mark.parametrize('path', [
    '/v2.1/os-pci/../../etc/passwd',
    '/v2.1/../../../etc/passwd',
    '/etc/passwd',
    '/v2.1/os-pci/1/extra',
    '/v2.1/os-pcis',
    '/v2.1//os-pci',
    '/v2.1/os-pci//',
    '/v3/os-pci',
    '/v2/os-pci',
    '/v2/servers/detail',
    '/v2.1/project',
    '/v2.1/a/b/os-pci',
    '/v2.1/../os-pci',
    '/v2.1/os-hypervisors/node1/servers',
    '/v2.1/os-hypervisors/statistics/extra/more',
    'v2.1/os-pci',
])
def test_unknown_paths_are_router_404(app: FakeComputeApp, path: str) -> None:
    response = call_app(app, path)
    assert response.status == 404
    assert response.reason == 'Not Found'
    assert response.json == ROUTER_404


def test_traversal_segment_is_just_an_unknown_id(app: FakeComputeApp,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # Serving a request must never touch the filesystem: the inventory is in memory.
    def no_files(*args: object, **kwargs: object) -> None:
        raise AssertionError(f'file access while serving: {args!r}')
    for target, name in ((builtins, 'open'), (os, 'open'), (io, 'open'), (os, 'stat')):
        monkeypatch.setattr(target, name, no_files)
    # wsgiref decodes %2F before routing; left encoded, the id is simply not a device.
    response = call_app(app, '/v2.1/os-pci/..%2F..%2Fetc%2Fpasswd')
    assert response.status == 404
    assert response.json == {'itemNotFound': {
        'code': 404, 'message': 'PCI device ..%2F..%2Fetc%2Fpasswd not found'}}
    decoded = call_app(app, '/v2.1/os-pci/../../etc/passwd')
    assert decoded.status == 404 and decoded.json == ROUTER_404
    assert call_app(app, '/v2.1/os-pci/1').status == 200


@pytest.mark.parametrize('prefix', PREFIXES)
def test_every_prefix_serves_every_route(app: FakeComputeApp, prefix: str) -> None:
    for path, key in [('/os-pci', 'pci_devices'), ('/os-pci/detail', 'pci_devices'),
                      ('/os-pci/1', 'pci_device'), ('/os-hypervisors', 'hypervisors'),
                      ('/os-hypervisors/detail', 'hypervisors'),
                      ('/os-hypervisors/1', 'hypervisor'),
                      (f'/os-hypervisors/{HOST}', 'hypervisor'),
                      ('/os-hypervisors/node/search', 'hypervisors'),
                      ('/servers', 'servers'), ('/servers/detail', 'servers'),
                      (f'/servers/{SERVER_UUID}', 'server')]:
        response = call_app(app, prefix + path)
        assert response.status == 200, (prefix + path, response.json)
        assert key in response.json


def test_trailing_slash_tolerated(app: FakeComputeApp) -> None:
    assert call_app(app, '/v2.1/os-pci/').json == call_app(app, '/v2.1/os-pci').json


def test_project_named_like_a_resource_is_not_a_project(app: FakeComputeApp) -> None:
    # /v2.1/servers/os-pci is "show server os-pci", not "os-pci of project servers".
    response = call_app(app, '/v2.1/servers/os-pci')
    assert response.json == {'itemNotFound': {
        'code': 404, 'message': 'Instance os-pci could not be found.'}}


# --- version documents -----------------------------------------------------------------------

def test_versions_root(app: FakeComputeApp) -> None:
    body = call_app(app, '/', host='127.0.0.1:9999').json
    by_id = {v['id']: v for v in body['versions']}
    current = by_id['v2.1']
    assert (current['status'], current['version'], current['min_version']) == (
        'CURRENT', '2.1', '2.1')
    assert current['links'] == [{'rel': 'self', 'href': 'http://127.0.0.1:9999/v2.1/'}]
    assert by_id['v2.0']['links'][0]['href'] == 'http://127.0.0.1:9999/v2/'


@pytest.mark.parametrize('path', ['/v2.1', '/v2.1/'])
def test_version_document(app: FakeComputeApp, path: str) -> None:
    version = call_app(app, path, host='127.0.0.1:9999').json['version']
    assert version['id'] == 'v2.1' and version['status'] == 'CURRENT'
    assert version['version'] == '2.1' and version['min_version'] == '2.1'
    assert version['links'][0] == {'rel': 'self', 'href': 'http://127.0.0.1:9999/v2.1/'}
    assert version['media-types'][0]['base'] == 'application/json'


def test_host_header_missing_falls_back_to_server_name(app: FakeComputeApp) -> None:
    body = call_app(app, '/v2.1', host='').json
    assert body['version']['links'][0]['href'] == 'http://fake.example:8774/v2.1/'
