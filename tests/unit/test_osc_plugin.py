"""The OSC plugin: make_client on an OSC-like client manager, and a light import."""
from __future__ import annotations

import argparse
import subprocess
import sys

import pytest
from keystoneauth1 import noauth, session

from pciclient.osc import plugin

URL = 'http://nova.test:8774/v2.1'


class FakeClientManager:
    """What osc-lib's ClientManager offers a plugin's make_client."""

    def __init__(self, api_version: dict, config: dict | None = None) -> None:
        self.session = session.Session(auth=noauth.NoAuth(endpoint=URL))
        self.region_name = 'RegionOne'
        self.interface = 'internal'
        self._api_version = api_version
        self._config = config or {}

    def get_configuration(self) -> dict:
        return dict(self._config)


def test_make_client_uses_osc_session_region_interface(requests_mock):
    route = requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': []})
    client = plugin.make_client(FakeClientManager({'pci': '2', 'compute': '2.1'}))
    assert client.adapter.region_name == 'RegionOne'
    assert client.adapter.interface == 'internal'
    assert client.hypervisors.list() == []
    assert 'OpenStack-API-Version' not in route.last_request.headers


def test_make_client_sends_osc_compute_microversion(requests_mock):
    route = requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': []})
    plugin.make_client(FakeClientManager({'pci': '2', 'compute': '2.53'})).hypervisors.list()
    assert route.last_request.headers['OpenStack-API-Version'] == 'compute 2.53'


def test_make_client_honours_compute_endpoint_override(requests_mock):
    other = 'http://override.test/compute/v2.1'
    route = requests_mock.get(f'{other}/os-pci/1', json={'pci_device': {'id': 1}})
    manager = FakeClientManager({'pci': '2'}, {'compute_endpoint_override': other})
    assert plugin.make_client(manager).pci_devices.get(1, resolve_host=False).id == 1
    assert route.called


def test_option_parser_adds_only_a_pci_option(monkeypatch):
    monkeypatch.delenv('OS_PCI_API_VERSION', raising=False)
    parser = plugin.build_option_parser(argparse.ArgumentParser())
    options = {opt for action in parser._actions for opt in action.option_strings}
    assert options == {'-h', '--help', '--os-pci-api-version', '--pci-source', '--pci-ids',
                       '--placement-concurrency'}
    assert parser.parse_args([]).os_pci_api_version == '2'


@pytest.mark.parametrize('code', [
    'import pciclient.osc.plugin',
    'from pciclient import shell; shell.main(["--version"])',
])
def test_imports_stay_light(code):
    probe = (f'import sys\nbefore = set(sys.modules)\n{code}\n'
             'print("\\n".join(sorted(set(sys.modules) - before)))')
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True,
                         check=True).stdout.split()
    assert not [name for name in out if name.startswith(('openstackclient', 'openstack.'))]
    if code.startswith('import pciclient.osc'):
        heavy = [name for name in out if name.split('.')[0] in
                 ('keystoneauth1', 'osc_lib', 'cliff', 'requests', 'yaml', 'stevedore')]
        assert heavy == []


def test_version_imports_nothing_heavy():
    probe = ('import sys\nfrom pciclient import main\nmain.main(["--version"])\n'
             'print(" ".join(sorted(sys.modules)))')
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True,
                         check=True).stdout
    version, modules = out.splitlines()
    assert version.startswith('pci-cli ')
    assert not {'cliff', 'keystoneauth1', 'requests', 'yaml'} & set(modules.split())
