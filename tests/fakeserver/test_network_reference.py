"""The fake Neutron answers the requests recorded from a real Neutron 29 as it answered them.

The recordings (``tests/data/neutron-29-ports``, made by ``tests/realneutron``) are the
reference. This builds a fake cloud mirroring the real tier's scenario as far as the fake can
say it (``server-a`` on ``compute1`` with a ``physnet1`` VF, a PF and its normal port;
``server-b`` on ``compute2`` with a ``physnet2`` VF; ``server-other`` in another project;
admin, member and Nova's service user), sends the fake the same requests and compares:
statuses, content types and error bodies exactly; for answers, the shape of each port (keys
and value types), which ports each caller sees, the binding profile's keys, what ``fields=``
returns, and the paging links. What the fake cannot hold is left out of the comparison and
named here: an unbound port (``vf-free``), port names (the fake's ports are Nova's
nameless ones, so ``sort_key=name`` pages by id) and the binding state of a harness with no
agents (``status`` ``DOWN``, ``binding_failed`` normal ports).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from pciclient.fakeserver.cloud import FakeCloud, service_apis
from pciclient.fakeserver.identity.directory import Directory
from pciclient.fakeserver.identity.tokens import TokenStore
from tests.fakeserver.cloud_helpers import call, default_project, password_auth
from tests.fakeserver.network_helpers import network_scenario
from tests.realneutron.reference import REQUESTS, Request, normalised, path_of, sorted_ports
from tests.realneutron.scenario import SERVER_A, SERVER_B, SERVER_OTHER, SERVERS
from tests.support.data import data_dir

MEMBER_PROJECT = 'a0c0e8b1f2d34c5e9f60718293a4b5c6'
OTHER_PROJECT = 'f1e2d3c4b5a697887766554433221100'
SCENARIO = f'''\
rescan_interval: 0
projects:
  - {{name: demo, id: {MEMBER_PROJECT}}}
  - {{name: other, id: {OTHER_PROJECT}}}
users:
  - {{name: admin, password: admin-pw, project: demo, roles: [admin]}}
  - {{name: member, password: member-pw, project: demo, roles: [member]}}
  - {{name: service, password: service-pw, project: other, roles: [service]}}
hosts:
  - hostname: compute1
    generate: {{pfs: 2, vfs_per_pf: 4}}
    device_spec:
      - {{vendor_id: "8086", physical_network: physnet1}}
      - {{vendor_id: "15b3", physical_network: physnet1}}
  - hostname: compute2
    generate: {{pfs: 1, vfs_per_pf: 4}}
    device_spec:
      - {{vendor_id: "8086", physical_network: physnet2}}
servers:
  - {{name: server-a, id: {SERVER_A}, project: demo, host: compute1,
     devices: ["0000:01:01.0", "0000:02:00.0"]}}
  - {{name: server-b, id: {SERVER_B}, project: demo, host: compute2,
     devices: ["0000:01:01.0"]}}
  - {{name: server-other, id: {SERVER_OTHER}, project: other, host: compute2,
     devices: ["0000:01:01.1"]}}
'''
# The real scenario's ports by (server, VNIC type); the fake has no unbound port.
NAMES = {('server-a', 'direct'): 'vf-a', ('server-a', 'direct-physical'): 'pf-a',
         ('server-a', 'normal'): 'normal-a', ('server-b', 'direct'): 'vf-b',
         ('server-other', 'direct'): 'vf-other'}
UNEXPRESSED = {'vf-free'}
STAND_INS = {'vf-free': 'vf-b'}  # a port the member may update, for the refused writes
PROFILE_KEYS = {'direct': {'pci_slot', 'pci_vendor_info', 'physical_network'},
                'direct-physical': {'pci_slot', 'pci_vendor_info', 'physical_network',
                                    'device_mac_address'}}


class Fake:
    """The fake cloud, a token per caller and the scenario in ``reference``'s form."""

    def __init__(self, tmp_path: Path) -> None:
        scenario = network_scenario(tmp_path, SCENARIO)
        self.cloud = FakeCloud(service_apis(scenario.store),
                               Directory(scenario.projects, scenario.users), TokenStore(ttl=300))
        self.tokens = {caller: self._login(caller) for caller in ('admin', 'member', 'service')}
        listed = self.get('admin', '/v2.0/ports').json['ports']
        ports = {NAMES[(SERVERS[p['device_id']], p['binding:vnic_type'])]: p for p in listed
                 if (SERVERS.get(p['device_id']), p['binding:vnic_type']) in NAMES}
        networks = {f'net{n}': p['network_id'] for n in (1, 2) for p in listed
                    if p['binding:profile'].get('physical_network') == f'physnet{n}'}
        subnets = {net: ports['vf-a' if net == 'net1' else 'vf-b']['fixed_ips'][0]['subnet_id']
                   for net in networks}
        self.scenario = {'ports': ports, 'networks': networks, 'subnets': subnets}
        self.extra = {p['id'] for p in listed} - {p['id'] for p in ports.values()}

    def _login(self, user: str) -> str:
        answer = call(self.cloud, '/identity/v3/auth/tokens', 'POST',
                      password_auth(user, f'{user}-pw', default_project(
                          'other' if user == 'service' else 'demo')))
        assert answer.status == 201, answer.raw
        return str(answer.headers['x-subject-token'])

    def get(self, caller: str, path: str, method: str = 'GET', body: Any = None) -> Any:
        path, _, query = path.partition('?')
        return call(self.cloud, '/network' + path, method, body,
                    {'X-Auth-Token': self.tokens[caller]}, query)

    def answer(self, request: Request) -> tuple[int, str, Any]:
        ids = dict(self.scenario, ports={**self.scenario['ports'], **{
            name: self.scenario['ports'][stand_in] for name, stand_in in STAND_INS.items()
            if f'{{port:{name}}}' in request.path}})
        response = self.get(request.caller, path_of(request, ids), request.method,
                            request.body)
        document = response.json
        if isinstance(document, dict) and 'ports' in document:  # ports the reference lacks
            document = {**_placed_markers(document), 'ports': [
                p for p in document['ports'] if p['id'] not in self.extra]}
        document = normalised(document, self.scenario)
        if 'sort_key' not in request.path:
            document = sorted_ports(document)
        return response.status, response.headers.get('content-type', ''), document


@pytest.fixture(scope='module')
def fake(tmp_path_factory: pytest.TempPathFactory) -> Fake:
    return Fake(tmp_path_factory.mktemp('neutron-reference'))


def _recorded(request: Request) -> dict[str, Any]:
    return json.loads((data_dir('neutron-29-ports') / f'{request.name}.json').read_text())


def shape(value: Any, key: str | None = None) -> Any:
    """Keys and value types, recursively; a list by its first item. The profile and VIF
    details are data whose keys the tests compare per port."""
    if key in ('binding:profile', 'binding:vif_details'):
        return 'dict'
    if isinstance(value, dict):
        return {k: shape(item, k) for k, item in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0], key)] if value else []
    return type(value).__name__


def _by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {port['id'].strip('<>').removeprefix('port:'): port for port in document['ports']}


def _placed_markers(document: dict[str, Any]) -> dict[str, Any]:
    """The paging links with each marker named by its place on the page (``FIRST``,
    ``LAST``): a page of the fake and of the recording hold different ports."""
    ids = [port['id'] for port in document['ports']]
    places = {ids[0]: 'FIRST', ids[-1]: 'LAST'} if ids else {}
    links = []
    for link in document.get('ports_links', []):
        url = urlsplit(link['href'])
        query = [(k, places.get(v, v) if k == 'marker' else v)
                 for k, v in parse_qsl(url.query, keep_blank_values=True)]
        links.append({'rel': link['rel'], 'path': url.path.removeprefix('/network'),
                      'query': query})
    return {**document, 'ports_links': links} if links else document


def _unmarked(link: dict[str, Any], short: bool) -> dict[str, Any]:
    if not short:
        return link
    return {**link, 'query': [(k, v) for k, v in link['query'] if k != 'marker']}


@pytest.mark.parametrize('request_', REQUESTS, ids=lambda r: r.name)
def test_fake_answers_as_the_real_neutron(request_: Request, fake: Fake) -> None:
    recorded = _recorded(request_)
    status, content_type, document = fake.answer(request_)
    assert (status, content_type) == (recorded['status'], recorded['content_type'])
    expected = recorded['answer']
    if status >= 300:
        assert document == expected  # NeutronError type and message, word for word
        return
    if 'port' in expected:
        document, expected = {'ports': [document['port']]}, {'ports': [expected['port']]}
    assert sorted(document) == sorted(expected)
    ours, theirs = _by_name(document), _by_name(expected)
    if 'limit' in request_.path:  # pages of a name order the fake's nameless ports lack
        assert len(ours) <= len(theirs)  # the rest of a fake page: ports the reference lacks
        # a short last page of the fake has no ``next``; what it has is as recorded
        theirs_links = {link['rel']: link for link in _placed_markers(expected)['ports_links']}
        assert 'previous' in theirs_links and document['ports_links']
        short = len(document['ports_links']) < len(theirs_links)  # its markers: other ports
        for link in document['ports_links']:
            assert _unmarked(link, short) == _unmarked(theirs_links[link['rel']], short)
        theirs = {name: theirs.get(name) or next(iter(theirs.values())) for name in ours}
    else:
        assert sorted(ours) == sorted(set(theirs) - UNEXPRESSED)
    for name, port in ours.items():
        assert shape(port) == shape(theirs[name]), name
        if 'binding:profile' in port and port['binding:vnic_type'] in PROFILE_KEYS:
            assert set(port['binding:profile']) == PROFILE_KEYS[port['binding:vnic_type']]
            assert set(port['binding:profile']) == set(theirs[name]['binding:profile'])
        if 'binding:vif_details' in port and port['binding:vnic_type'] != 'normal':
            assert set(port['binding:vif_details']) == set(theirs[name]['binding:vif_details'])


def test_a_member_sees_no_binding_but_the_vnic_type(fake: Fake) -> None:
    recorded = _recorded(next(r for r in REQUESTS if r.name == 'ports_member'))['answer']
    status, _, document = fake.answer(next(r for r in REQUESTS if r.name == 'ports_member'))
    hidden = {'binding:host_id', 'binding:profile', 'binding:vif_type', 'binding:vif_details'}
    assert status == 200
    for answer in (recorded, document):
        assert all(not hidden & set(p) and 'binding:vnic_type' in p for p in answer['ports'])


def test_fields_return_only_what_was_asked(fake: Fake) -> None:
    request = next(r for r in REQUESTS if r.name == 'ports_fields_admin')
    asked = {value for key, value in parse_qsl(urlsplit(request.path).query) if key == 'fields'}
    recorded = _recorded(request)['answer']
    _, _, document = fake.answer(request)
    assert {frozenset(p) for p in recorded['ports']} == {frozenset(asked)}
    assert {frozenset(p) for p in document['ports']} == {frozenset(asked)}


def test_the_recordings_name_the_scenario_the_fake_mirrors(fake: Fake) -> None:
    """Every port of the real scenario but the unbound one is in the fake."""
    recorded = _recorded(REQUESTS[0])['answer']
    assert set(_by_name(recorded)) - UNEXPRESSED == set(fake.scenario['ports'])
