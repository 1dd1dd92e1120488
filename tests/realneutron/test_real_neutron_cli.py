"""``pci-cli sriov-port-list``, ``pci-list --pci-source neutron`` and ``server-show --long``
against the real Neutron 29 of this tier, as admin and as a member.

The compute API is the real Nova tier's (its ``real_nova`` fixture, imported here: hosts
``compute1``/``compute2`` and one server). Besides the scenario's ports, the module binds one
more VF port to that Nova server, as Nova's service user would, so the Server column can
name a server Nova knows; it is deleted afterwards.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.realneutron.cli import SRIOV_PORT_COLUMNS, cli_json, run_cli
from tests.realneutron.cloud import http_session
from tests.realneutron.scenario import PORTS
from tests.realnova.conftest import real_nova  # noqa: F401 - the compute API of these runs

NOVA_VF = {'pci_vendor_info': '8086:154c', 'pci_slot': '0000:81:00.4',
           'physical_network': 'physnet1'}
SRIOV_TYPES = {'direct', 'direct-physical', 'macvtap', 'remote-managed', 'vdpa',
               'virtio-forwarder', 'accelerator-direct', 'accelerator-direct-physical'}


@pytest.fixture(scope='module')
def nova_port(real_neutron, real_nova) -> Iterator[dict]:  # noqa: F811
    """A VF port bound to the real Nova's server, on its host; deleted afterwards."""
    with http_session() as session:
        created = session.post(real_neutron.admin_url + '/v2.0/ports', timeout=60, json={
            'port': {'name': 'vf-nova', 'binding:vnic_type': 'direct',
                     'project_id': real_neutron.project_id,
                     'network_id': real_neutron.scenario['networks']['net1']}})
        assert created.status_code == 201, created.text
        port_id = created.json()['port']['id']
        try:
            bound = session.put(f'{real_neutron.service_url}/v2.0/ports/{port_id}', timeout=60,
                                json={'port': {'device_id': real_nova.server_id,
                                               'device_owner': 'compute:nova',
                                               'binding:host_id': real_nova.server_host,
                                               'binding:profile': NOVA_VF}})
            assert bound.status_code == 200, bound.text
            yield bound.json()['port']
        finally:
            session.delete(f'{real_neutron.admin_url}/v2.0/ports/{port_id}', timeout=60)


def _bound_sriov(real_neutron) -> dict[str, dict]:
    """The scenario's SR-IOV ports that Nova bound: port id -> the binding it wrote."""
    return {real_neutron.port(name)['id']: spec for name, spec in PORTS.items()
            if spec['vnic_type'] in SRIOV_TYPES and spec['bind']}


def test_sriov_port_list_as_admin(real_neutron, real_nova, nova_port):  # noqa: F811
    rows = cli_json(real_nova.url, real_neutron.admin_url, 'sriov-port-list')
    assert rows and list(rows[0]) == SRIOV_PORT_COLUMNS
    by_id = {row['Port ID']: row for row in rows}
    assert 'normal-a' not in {n for n, s in PORTS.items() if real_neutron.port(n)['id'] in by_id}
    for port_id, spec in _bound_sriov(real_neutron).items():
        row = by_id[port_id]
        server, host, profile = spec['bind']
        assert server in [holder['id'] for holder in row['Server']] and row['Host'] == host
        assert row['PCI Slot'] == profile['pci_slot']
        assert row['Physical Network'] == profile['physical_network']
        assert row['VNIC Type'] == spec['vnic_type']
        assert (row['Vendor ID'], row['Product ID']) == tuple(
            profile['pci_vendor_info'].split(':'))
    row = by_id[nova_port['id']]
    # Server: the shared holder field, a list of {"id", "name", "amount"} (name from Nova).
    assert [(h['id'], h['name']) for h in row['Server']] == [
        (real_nova.server_id, real_nova.server_name)]
    assert row['PCI Slot'] == NOVA_VF['pci_slot']


@pytest.mark.parametrize(('option', 'value', 'names'), [
    ('--vnic-type', 'direct-physical', {'pf-a'}),
    ('--physical-network', 'physnet2', {'vf-b', 'vf-other'}),
    ('--host', 'compute2', {'vf-b', 'vf-other'}),
])
def test_sriov_port_list_filters(real_neutron, real_nova, option, value, names):  # noqa: F811
    rows = cli_json(real_nova.url, real_neutron.admin_url, 'sriov-port-list', option, value)
    ids = {real_neutron.port(name)['id'] for name in names}
    assert ids <= {row['Port ID'] for row in rows}
    assert all(row['Port ID'] not in {real_neutron.port(n)['id'] for n in PORTS} - ids
               for row in rows)


def test_sriov_port_list_as_member_says_admin_is_needed(real_neutron, real_nova):  # noqa: F811
    done = run_cli(real_nova.url, real_neutron.member_url, 'sriov-port-list', '-f', 'json')
    assert done.returncode == 0, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert 'admin' in line
    assert 'Traceback' not in done.stderr


def test_pci_list_shows_the_vfs_from_neutron(real_neutron, real_nova, nova_port):  # noqa: F811
    rows = cli_json(real_nova.url, real_neutron.admin_url, 'pci-list', '--pci-source', 'neutron')
    neutron_rows = [row for row in rows if row.get('Source') == 'neutron']
    addresses = {str(row.get('Address')) for row in neutron_rows}
    assert NOVA_VF['pci_slot'] in ' '.join(addresses)
    assert all(row.get('Status') == 'allocated' for row in neutron_rows)


def test_server_show_long_lists_its_sriov_ports(real_neutron, real_nova, nova_port):  # noqa: F811
    done = run_cli(real_nova.url, real_neutron.admin_url, 'server-show', '--long',
                   real_nova.server_id)
    assert done.returncode == 0, done.stderr
    assert nova_port['id'] in done.stdout and NOVA_VF['pci_slot'] in done.stdout
