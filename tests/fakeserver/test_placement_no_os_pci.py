"""``--no-os-pci`` / ``os_pci: false``: compute as a modern Nova answers it, Placement unchanged."""
from __future__ import annotations

from pathlib import Path

import pytest

from pciclient.fakeserver.cli import _os_pci, build_parser
from pciclient.fakeserver.cloud import service_apis
from pciclient.fakeserver.compute.app import FakeComputeApp
from pciclient.fakeserver.model.inventory import Inventory
from pciclient.fakeserver.scenario.loader import ScenarioError, load_scenario
from tests.fakeserver.helpers import SERVER_UUID, call_app
from tests.fakeserver.placement_helpers import get, write_scenario

ROUTER_404 = {'message': 'The resource could not be found.<br /><br />\n\n\n',
              'code': '404 Not Found', 'title': 'Not Found'}
OS_PCI_PATHS = ['/v2.1/os-pci', '/v2.1/os-pci/detail', '/v2.1/os-pci/3',
                '/v2.1/os-pci/detail?status=allocated', '/v2/some-project/os-pci',
                '/v2.1/some-project/os-pci/1']


@pytest.fixture(params=['blueprint', 'merged-nova'])
def modern(request: pytest.FixtureRequest, busy_inventory: Inventory) -> FakeComputeApp:
    return FakeComputeApp(busy_inventory, shapes=request.param, os_pci=False)


@pytest.mark.parametrize('target', OS_PCI_PATHS)
def test_os_pci_is_the_routers_404(modern: FakeComputeApp, target: str) -> None:
    path, _, query = target.partition('?')
    response = call_app(modern, path, query=query)
    assert response.status == 404
    assert response.json == ROUTER_404


def test_hypervisors_carry_no_pci_stats(modern: FakeComputeApp,
                                        busy_inventory: Inventory) -> None:
    with_pci = FakeComputeApp(busy_inventory, shapes=modern.shapes)
    for path in ('/v2.1/os-hypervisors/detail', '/v2.1/os-hypervisors/1'):
        ours, old = call_app(modern, path).json, call_app(with_pci, path).json
        documents = ours.get('hypervisors') or [ours['hypervisor']]
        old_documents = old.get('hypervisors') or [old['hypervisor']]
        for document, old_document in zip(documents, old_documents, strict=True):
            assert 'pci_stats' not in document and 'os-pci:pci_stats' not in document
            pci_key = 'pci_stats' if modern.shapes == 'blueprint' else 'os-pci:pci_stats'
            assert set(old_document) - set(document) == {pci_key}


def test_servers_carry_no_pci_devices(modern: FakeComputeApp) -> None:
    listing = call_app(modern, '/v2.1/servers/detail').json['servers']
    assert listing and all('os-pci:pci_devices' not in s for s in listing)
    shown = call_app(modern, f'/v2.1/servers/{SERVER_UUID}').json['server']
    assert shown['id'] == SERVER_UUID and 'os-pci:pci_devices' not in shown
    assert 'flavor' in shown and 'image' in shown


def test_os_pci_stays_on_by_default(busy_inventory: Inventory) -> None:
    app = FakeComputeApp(busy_inventory)
    assert call_app(app, '/v2.1/os-pci').status == 200
    shown = call_app(app, f'/v2.1/servers/{SERVER_UUID}').json['server']
    assert shown['os-pci:pci_devices'] == [{'id': 3}]


def test_placement_is_served_either_way(busy_inventory: Inventory) -> None:
    for os_pci in (True, False):
        apis = service_apis(busy_inventory, os_pci=os_pci)
        response = get(apis, '/resource_providers', '1.18', 'required=COMPUTE_MANAGED_PCI_DEVICE')
        assert len(response.json['resource_providers']) == 3
        assert (call_app(apis, '/v2.1/os-pci').status == 200) is os_pci


def test_scenario_switch(tmp_path: Path) -> None:
    def load(line: str) -> bool:
        return load_scenario(str(write_scenario(tmp_path, f'''\
{line}
hosts:
  - {{hostname: gen, generate: {{gpus: 1}}}}
'''))).os_pci
    assert load('') is True
    assert load('os_pci: false') is False
    assert load('os_pci: no') is False
    assert load('os_pci: true') is True
    with pytest.raises(ScenarioError) as caught:
        load('os_pci: maybe')
    assert str(caught.value).endswith(":1: os_pci must be true or false, not 'maybe'")


def test_command_line_switch(tmp_path: Path) -> None:
    on = load_scenario(str(write_scenario(tmp_path, 'hosts: [{hostname: g, generate: {}}]')))
    off = load_scenario(str(write_scenario(tmp_path, 'os_pci: false\nhosts: [{hostname: g, '
                                                     'generate: {}}]')))
    parser = build_parser()
    assert _os_pci(on, parser.parse_args([])) is True
    assert _os_pci(on, parser.parse_args(['--no-os-pci'])) is False
    assert _os_pci(off, parser.parse_args([])) is False
    assert '--no-os-pci' in parser.format_help()
