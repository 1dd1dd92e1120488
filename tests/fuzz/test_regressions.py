"""What the fuzzers found, as plain examples: each client bug the smallest way it shows.

Unfixed bugs are ``xfail(strict=True)`` and listed in ``known_bugs.py``; when one is fixed,
its test here passes (strict xfail then fails the run): drop the marker and the entry.
"""
from __future__ import annotations

import json

import pytest
from keystoneauth1 import noauth, session

from pciclient import client as pci_client
from pciclient import exceptions as exc
from tests.fuzz import harness
from tests.fuzz.documents import COMPUTE, PLACEMENT

SERVER = '0ff843f8-04ef-4729-bac5-edbd520ba004'
ROOT = '36e81c1a-6cb9-465f-919f-f2fd6abc0c58'
PROVIDER = '7dd44121-dd67-459f-993f-ab2d7d0c6db5'
DEVICE = {'id': 1, 'address': '0000:04:00.0', 'compute_node_id': 1, 'vendor_id': '8086',
          'product_id': '1520', 'status': 'available', 'dev_type': 'type-PF',
          'dev_id': 'pci_0000_04_00_0', 'label': 'label_8086_1520', 'numa_node': 0,
          'instance_uuid': None, 'extra_info': {}}
HYPERVISORS = {'hypervisors': [{'id': 1, 'hypervisor_hostname': 'compute1', 'state': 'up',
                                'status': 'enabled'}]}
PLACEMENT_ARGS = ['--pci-source', 'placement', '--os-placement-endpoint-override', PLACEMENT]


def text(body: str, status: int = 200) -> dict:
    return {'text': body, 'status_code': status, 'headers': {'Content-Type': 'application/json'}}


def doc(document, status: int = 200) -> dict:
    return {'json': document, 'status_code': status}


def cli(argv: list[str], answers: dict[str, dict], fmt: str = 'json') -> harness.Outcome:
    return harness.run([*argv, '-f', fmt], answers=answers)


def library(requests_mock, answers: dict[str, dict]):
    for url, response in answers.items():
        requests_mock.get(url, **response)
    return pci_client.Client('2', session=session.Session(auth=noauth.NoAuth()),
                             endpoint_override=COMPUTE)


def placement(providers: list[dict], details: dict[str, dict],
              roots: dict[str, dict] | None = None):
    """Placement answers: the provider listing, each provider's details, root providers."""
    answers = {f'{PLACEMENT}/resource_providers': doc({'resource_providers': providers})}
    for uuid, parts in details.items():
        for part, value in parts.items():
            answers[f'{PLACEMENT}/resource_providers/{uuid}/{part}'] = doc(
                {part: value, 'resource_provider_generation': 1})
    for uuid, root in (roots or {}).items():
        answers[f'{PLACEMENT}/resource_providers/{uuid}'] = doc(root)
    return answers


def provider(uuid: str = PROVIDER, name: str = 'compute1_0000:04:00.0', root=ROOT) -> dict:
    return {'uuid': uuid, 'name': name, 'generation': 1, 'parent_provider_uuid': root,
            'root_provider_uuid': root}


def details(allocations: dict) -> dict:
    return {'inventories': {'CUSTOM_PCI_8086_1520': {'total': 1, 'reserved': 0}},
            'usages': {'CUSTOM_PCI_8086_1520': 1},
            'traits': ['COMPUTE_MANAGED_PCI_DEVICE'], 'allocations': allocations}


# --- numbers beyond a float's range -------------------------------------------------
def test_huge_numbers_are_invalid_response(requests_mock):
    client = library(requests_mock, {f'{COMPUTE}/os-pci': text(
        '{"pci_devices": [{"id": 1, "compute_node_id": 1e400}]}')})
    with pytest.raises(exc.InvalidResponse):
        client.pci_devices.list(resolve_hosts=False)


@pytest.mark.parametrize('argv, url, body', [
    (['pci-list'], f'{COMPUTE}/os-pci', '{"pci_devices": [{"id": 1e400}]}'),
    (['hypervisor-list'], f'{COMPUTE}/os-hypervisors',
     '{"hypervisors": [{"id": -1e400, "hypervisor_hostname": "compute1"}]}'),
    (['server-list'], f'{COMPUTE}/servers/detail',
     '{"servers": [{"id": "a", "name": "vm1", "status": 1E999}]}'),
], ids=['pci-list', 'hypervisor-list', 'server-list'])
def test_huge_numbers_never_reach_json_output(argv, url, body):
    outcome = cli(argv, {url: text(body), f'{COMPUTE}/os-hypervisors': doc(HYPERVISORS)}
                  if 'hypervisor' not in url else {url: text(body)})
    harness.check(outcome, 'json', list)


# --- deep nesting -----------------------------------------------------------------------
DEEP = '[' * 100_000 + ']' * 100_000


def test_deep_nesting_is_invalid_response(requests_mock):
    client = library(requests_mock, {f'{COMPUTE}/os-hypervisors': text(DEEP)})
    with pytest.raises(exc.InvalidResponse):
        client.hypervisors.list()


@pytest.mark.parametrize('status, error', [(404, exc.NotFound), (500, exc.ServerError)])
def test_deep_nesting_in_an_error_body(requests_mock, status, error):
    client = library(requests_mock, {f'{COMPUTE}/os-hypervisors': text(DEEP, status)})
    with pytest.raises(error):
        client.hypervisors.list()


@pytest.mark.parametrize('fmt', ['json', 'yaml'])
def test_deep_nesting_never_breaks_the_output(fmt):
    nested = '[' * 500 + ']' * 500
    second = json.dumps({**DEVICE, 'id': 2})[:-1] + ', "extra_info": ' + nested + '}'
    body = f'{{"pci_devices": [{json.dumps(DEVICE)}, {second}]}}'
    outcome = cli(['pci-list', '--long'], {f'{COMPUTE}/os-pci/detail': text(body),
                                           f'{COMPUTE}/os-hypervisors': doc(HYPERVISORS)}, fmt)
    harness.check(outcome, fmt, list)


# --- wrong types --------------------------------------------------------------------------
@pytest.mark.parametrize('field', ['vendor_id', 'product_id'])
@pytest.mark.parametrize('argv, url, key', [
    (['pci-list', '--long'], f'{COMPUTE}/os-pci/detail', 'pci_devices'),
    (['pci-show', '1'], f'{COMPUTE}/os-pci/1', 'pci_device'),
], ids=['pci-list', 'pci-show'])
def test_vendor_id_that_is_not_a_string(argv, url, key, field):
    device = {**DEVICE, field: 8086}
    outcome = cli(argv, {url: doc({key: [device] if key == 'pci_devices' else device}),
                         f'{COMPUTE}/os-hypervisors': doc(HYPERVISORS)})
    harness.check(outcome, 'json')


@pytest.mark.parametrize('argv', [['pci-list', '--long'], ['server-list'],
                                  ['pci-show', PROVIDER]], ids=' '.join)
def test_placement_allocation_resources_not_an_object(argv):
    answers = placement([provider()], {PROVIDER: details(
        {SERVER: {'resources': ['CUSTOM_PCI_8086_1520']}})})
    answers[f'{COMPUTE}/servers/detail'] = doc({'servers': [{'id': SERVER, 'name': 'vm1'}]})
    outcome = cli([*PLACEMENT_ARGS, *argv], answers)
    harness.check(outcome, 'json')


@pytest.mark.parametrize('roots', [[['x']], [1, 'b']], ids=['list', 'mixed'])
def test_placement_root_provider_uuid_not_a_string(roots):
    providers = [provider(f'00000000-0000-0000-0000-00000000000{i}', 'custom-board', root)
                 for i, root in enumerate(roots)]
    answers = placement(providers, {p['uuid']: details({}) for p in providers})
    outcome = cli([*PLACEMENT_ARGS, 'pci-list'], answers)
    harness.check(outcome, 'json', list)


def test_server_without_id_with_placement():
    answers = placement([provider()], {PROVIDER: details({})})
    answers[f'{COMPUTE}/servers/detail'] = doc({'servers': [{'name': 'vm1'}]})
    outcome = cli([*PLACEMENT_ARGS, 'server-list'], answers)
    harness.check(outcome, 'json', list)


def test_hypervisor_search_match_without_id():
    outcome = cli(['hypervisor-show', 'compute1'], {
        f'{COMPUTE}/os-hypervisors/compute1/search': doc(
            {'hypervisors': [{'hypervisor_hostname': 'compute1'}]})})
    harness.check(outcome, 'json', dict)


@pytest.mark.parametrize('argv', [['pci-list', '--server', 'vm1'],
                                  ['server-show', 'vm1', '--long']], ids=' '.join)
def test_server_id_that_is_not_a_string(argv):
    outcome = cli(argv, {
        f'{COMPUTE}/servers/detail': doc({'servers': [
            {'id': 1.5, 'name': 'vm1', 'os-pci:pci_devices': [{'id': 1}]}]}),
        f'{COMPUTE}/os-pci/detail': doc({'pci_devices': [DEVICE]}),
        f'{COMPUTE}/os-hypervisors': doc(HYPERVISORS)})
    harness.check(outcome, 'json')


@pytest.mark.parametrize('field, value', [('pci_devices', 5), ('pci_stats', ['x'])])
def test_a_device_field_named_like_a_special_column(field, value):
    outcome = cli(['pci-show', '1'], {
        f'{COMPUTE}/os-pci/1': doc({'pci_device': {**DEVICE, field: value}}),
        f'{COMPUTE}/os-hypervisors': doc(HYPERVISORS)}, 'table')
    harness.check(outcome, 'table')


# --- text that cannot be shown as it is ----------------------------------------------------
@pytest.mark.parametrize('fmt', ['table', 'value', 'csv'])
def test_lone_surrogates_in_a_table(fmt):
    outcome = cli(['pci-list'], {
        f'{COMPUTE}/os-pci': text('{"pci_devices": [{"id": 1, "address": "\\ud800"}]}'),
        f'{COMPUTE}/os-hypervisors': doc(HYPERVISORS)}, fmt)
    harness.check(outcome, fmt)


@pytest.mark.parametrize('argv', [['pci-show', '1\n2'],
                                  [*PLACEMENT_ARGS, 'pci-show', 'x\ry']],
                         ids=['os-pci', 'placement'])
def test_an_id_with_a_line_break(argv):
    answers = placement([], {})
    outcome = cli(argv, answers)
    harness.check(outcome, 'json')


def test_a_marker_with_a_line_break():
    outcome = cli([*PLACEMENT_ARGS, 'pci-list', '--marker=a\nb'], placement([], {}))
    harness.check(outcome, 'json')


def test_several_servers_named_alike_with_odd_ids():
    outcome = cli(['server-show', 'vm1'], {f'{COMPUTE}/servers/detail': doc({'servers': [
        {'id': 'a\nb', 'name': 'vm1'}, {'id': 'c', 'name': 'vm1'}]})})
    harness.check(outcome, 'json')


@pytest.mark.parametrize('argv, answers, fmt', [
    (['pci-list'], {f'{COMPUTE}/os-pci': doc({'itemNotFound': {
        'code': 404, 'message': '\x1b]0;owned\x07\x1b[2J gone'}}, 404)}, 'json'),
    (['pci-list'], {f'{COMPUTE}/os-pci': doc({'pci_devices': [
        {**DEVICE, 'address': '\x1b[2J\x1b[31mred'}]}),
        f'{COMPUTE}/os-hypervisors': doc(HYPERVISORS)}, 'table'),
], ids=['error-message', 'table-cell'])
def test_control_characters_never_reach_the_terminal(argv, answers, fmt):
    outcome = cli(argv, answers, fmt)
    assert outcome.code in (0, 1), outcome
    for stream in (outcome.out, outcome.err):
        assert not any(ord(c) < 0x20 and c not in '\n\t' or c == '\x7f' for c in stream), \
            outcome


def test_table_output_grows_linearly_with_the_answer():
    device = {**DEVICE, 'address': '\n' * 3000, 'vendor_id': 'x' * 3000}
    body = json.dumps({'pci_devices': [device]})
    outcome = cli(['pci-list'], {f'{COMPUTE}/os-pci': text(body),
                                 f'{COMPUTE}/os-hypervisors': doc(HYPERVISORS)}, 'table')
    assert outcome.code == 0, outcome
    assert len(outcome.out) <= 50 * len(body), len(outcome.out)


# --- found by the deep profile -------------------------------------------------------------
def test_a_provider_uuid_with_a_lone_surrogate():
    """A Placement provider whose uuid is "\\ud800" made every per-provider request fail
    with UnicodeEncodeError (a URL path is UTF-8): now it is asked for escaped."""
    answers = placement([provider(uuid='\ud800')], {})
    outcome = cli([*PLACEMENT_ARGS, 'pci-pool-list'], answers, 'table')
    harness.check(outcome, 'table')


# --- capacity --------------------------------------------------------------------------------
NODE = 'compute1.example.org'
ROOT_INVENTORIES = {'VCPU': {'total': 4, 'reserved': 0, 'allocation_ratio': 1.0},
                    'MEMORY_MB': {'total': 4096, 'reserved': 0, 'allocation_ratio': 1.0}}


def capacity_cloud(*, service: dict | None = None, inventories: dict | None = None,
                   usages: dict | None = None, flavors: list | None = None) -> dict:
    """One compute node (named by its FQDN, its service by the short name) in Placement
    and the compute API: ``service`` is its compute service, the rest its root's."""
    root = {'uuid': ROOT, 'name': NODE, 'generation': 1, 'parent_provider_uuid': None,
            'root_provider_uuid': ROOT}
    service = service or {'id': 1, 'binary': 'nova-compute', 'host': 'compute1',
                          'state': 'up', 'status': 'enabled'}
    traits = ['OWNER_NOVA']

    def listing(request, context):
        wanted = request.qs.get('required', [''])[0].upper()
        return {'resource_providers': [root] if wanted in ('', *traits) else []}

    answers = {f'{PLACEMENT}/resource_providers': {'json': listing}}
    for part, value in (('inventories', inventories or ROOT_INVENTORIES),
                        ('usages', usages or {}), ('traits', traits)):
        answers[f'{PLACEMENT}/resource_providers/{ROOT}/{part}'] = doc(
            {part: value, 'resource_provider_generation': 1})
    answers[f'{COMPUTE}/os-services'] = doc({'services': [service]})
    answers[f'{COMPUTE}/os-services?host={NODE}'] = doc({'services': []})
    answers[f'{COMPUTE}/os-hypervisors/detail'] = doc({'hypervisors': [
        {'id': 1, 'hypervisor_hostname': NODE, 'state': service.get('state'),
         'status': 'enabled', 'service': {'host': service.get('host'), 'id': 1}}]})
    answers[f'{COMPUTE}/flavors/detail'] = doc({'flavors': flavors or [
        {'id': '1', 'name': 'small', 'vcpus': 1, 'ram': 512, 'disk': 0, 'swap': '',
         'OS-FLV-EXT-DATA:ephemeral': 0, 'extra_specs': {}}]})
    return answers


@pytest.mark.parametrize('where', [[], ['--host', NODE]], ids=['cloud', 'host'])
def test_capacity_down_service_named_otherwise_than_its_node(where):
    """A node named by its FQDN whose service (named by the short name) is down fits
    nothing, asked alone (``--host``) too: the services filtered by the node's name
    were none, so the host was counted as up."""
    answers = capacity_cloud(service={'id': 1, 'binary': 'nova-compute', 'host': 'compute1',
                                      'state': 'down', 'status': 'enabled'})
    outcome = cli([*PLACEMENT_ARGS, 'capacity', *where], answers)
    rows = harness.check(outcome, 'json', list)
    assert [(r['Host'], r['Fits'], r['Limited By']) for r in rows] == [(NODE, 0, 'down')]


@pytest.mark.parametrize('field, value', [
    ('vcpus', 'x' * 300), ('ram', '2048'), ('disk', 1.5), ('swap', '512'), ('vcpus', True),
    ('OS-FLV-EXT-DATA:ephemeral', -1)])
def test_capacity_flavor_size_that_is_not_a_whole_number(field, value):
    """A flavor whose vcpus was a string raised ValueError from int() (a traceback's
    message on stderr, no pciclient error): now the answer is refused in one line."""
    flavor = {'id': '1', 'name': 'small', 'vcpus': 1, 'ram': 512, 'disk': 0, 'swap': '',
              'OS-FLV-EXT-DATA:ephemeral': 0, 'extra_specs': {}, field: value}
    outcome = cli([*PLACEMENT_ARGS, 'capacity'], capacity_cloud(flavors=[flavor]))
    harness.check(outcome, 'json', list)
    assert outcome.code == 1 and f'with a {field} that is not a whole number' in outcome.err


def test_capacity_flavor_sizes_as_nova_sends_them():
    """swap "" (before 2.75) and 0 (from 2.75) are both no swap."""
    flavors = [{'id': str(n), 'name': f'f{n}', 'vcpus': 1, 'ram': 512, 'disk': 0,
                'swap': swap, 'OS-FLV-EXT-DATA:ephemeral': 0, 'extra_specs': {}}
               for n, swap in enumerate(['', 0, 1024])]
    outcome = cli([*PLACEMENT_ARGS, 'capacity'], capacity_cloud(flavors=flavors))
    rows = harness.check(outcome, 'json', list)
    assert [r['Fits'] for r in rows] == [4, 4, 0], rows


@pytest.mark.parametrize('inventories, usages, words', [
    ({'VCPU': {'total': 4, 'allocation_ratio': 1e308}}, {}, 'capacity beyond any number'),
    ({'VCPU': {'total': 10**30}}, {}, 'total (inventory VCPU) of 1000'),
    ({'VCPU': {'total': -4}}, {}, 'total (inventory VCPU) of -4'),
    ({'VCPU': {'total': 4, 'step_size': -2}}, {}, 'step_size (inventory VCPU) of -2'),
    ({'VCPU': {'total': 4}}, {'VCPU': -5}, 'usage of -5'),
    ({'VCPU': {'total': 4}}, {'VCPU': 10**30}, 'usage of 1000'),
], ids=['ratio-1e308', 'total-1e30', 'total-negative', 'step-negative', 'usage-negative',
        'usage-1e30'])
@pytest.mark.parametrize('where', [[], ['--host', NODE]], ids=['cloud', 'host'])
def test_capacity_inventory_beyond_what_placement_stores(inventories, usages, words, where):
    """An allocation ratio of 1e308 made the capacity infinite (OverflowError from
    math.floor, a traceback's message); a negative usage made more free than the
    capacity; totals beyond any float overflowed too: each is now one line."""
    answers = capacity_cloud(inventories={**ROOT_INVENTORIES, **inventories}, usages=usages)
    outcome = cli([*PLACEMENT_ARGS, 'capacity', *where], answers)
    harness.check(outcome, 'json', list)
    assert outcome.code == 1 and words in outcome.err, outcome


@pytest.mark.parametrize('aggregate', [{'availability_zone': ['az1']},
                                       {'metadata': {'availability_zone': {'a': 1}}}],
                         ids=['zone-list', 'metadata-zone-object'])
def test_capacity_aggregate_zone_that_is_not_text(aggregate):
    """An aggregate whose availability zone was a list made a set of zones fail with
    TypeError (unhashable type)."""
    answers = capacity_cloud()
    answers[f'{COMPUTE}/os-aggregates'] = doc({'aggregates': [
        {'id': 1, 'uuid': SERVER, 'name': 'agg1', 'hosts': ['compute1'], **aggregate}]})
    answers[f'{COMPUTE}/os-availability-zone'] = doc({'availabilityZoneInfo': [
        {'zoneName': 'az1', 'zoneState': {'available': True}, 'hosts': None}]})
    outcome = cli([*PLACEMENT_ARGS, 'capacity', '--availability-zone', 'az1'], answers)
    harness.check(outcome, 'json', list)
    assert outcome.code == 1 and 'availability zone that is not text' in outcome.err


@pytest.mark.parametrize('count', ['1' + '0' * 400, '-1', '1.5', 'true'])
def test_capacity_pool_count_that_is_no_number_of_devices(count):
    """A pool of 10**400 devices overflowed the float capacity (OverflowError); a pool of
    -1, 1.5 or true devices was silently counted as none ("no provider of")."""
    answers = capacity_cloud(flavors=[{'id': '1', 'name': 'gpu', 'vcpus': 1, 'ram': 512,
                                       'disk': 0, 'extra_specs': {
                                           'pci_passthrough:alias': 'gpu:1'}}])
    answers[f'{COMPUTE}/os-hypervisors/detail'] = text(
        f'{{"hypervisors": [{{"id": 1, "hypervisor_hostname": "{NODE}", "state": "up", '
        '"status": "enabled", "service": {"host": "compute1"}, "pci_stats": [{"vendor_id": '
        f'"10de", "product_id": "1eb8", "count": {count}}}]}}]}}')
    outcome = harness.run([*PLACEMENT_ARGS, 'capacity', '--pci-alias', '@aliases.conf@',
                           '-f', 'json'], answers=answers, files={'aliases.conf': (
                               b'[pci]\nalias = {"name": "gpu", "vendor_id": "10de", '
                               b'"product_id": "1eb8"}\n')})
    harness.check(outcome, 'json', list)
    assert outcome.code == 1 and 'count is no number of devices' in outcome.err, outcome


@pytest.mark.parametrize('content', [b'[' * 100_000 + b']' * 100_000,
                                     b'[pci]\nalias = ' + b'[' * 100_000 + b']' * 100_000],
                         ids=['json', 'nova.conf'])
def test_capacity_alias_file_nested_too_deeply(content):
    """A --pci-alias file of deeply nested JSON raised RecursionError (no pciclient error)."""
    outcome = harness.run([*PLACEMENT_ARGS, 'capacity', '--pci-alias', '@aliases.conf@',
                           '-f', 'json'], answers=capacity_cloud(),
                          files={'aliases.conf': content})
    harness.check(outcome, 'json', list)
    assert outcome.code == 1 and outcome.err.startswith('PCI alias'), outcome
