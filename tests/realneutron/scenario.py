"""The ports a cloud with SR-IOV has, made through the real Neutron's API as Nova makes them.

The admin creates two shared provider networks (``net1``: flat on ``physnet1``; ``net2``:
VLAN 201 on ``physnet2``) with a subnet each, owned by ``NETWORK_PROJECT`` (a network's
owner would see every port on it). A member of that project
creates the ports with their ``binding:vnic_type`` (as a user does before booting a server
with ``--nic port-id=``); then Nova's service user binds each port of a server as Nova's
``_update_port_binding_for_instance`` does: ``device_id``, ``device_owner``
``compute:nova``, ``binding:host_id`` and a ``binding:profile`` with the VF's ``pci_slot``,
``pci_vendor_info`` and ``physical_network`` (plus ``device_mac_address`` for a
``direct-physical`` port). One ``direct`` port stays unbound (no server yet), and one bound
port belongs to another project (a member of ``PROJECT_ID`` does not see it).
"""
from __future__ import annotations

from typing import Any

from tests.realneutron.cloud import http_session

SERVER_A = '5b1b0c2e-6f0a-4d0e-9a51-3c2f1e0d9a01'
SERVER_B = '7d2e4f60-1a2b-4c3d-8e9f-0a1b2c3d4e02'
SERVER_OTHER = '9f8e7d6c-5b4a-4321-8fed-cba987654303'
NETWORK_PROJECT = 'c0ffee00c0ffee00c0ffee00c0ffee00'
SERVERS = {SERVER_A: 'server-a', SERVER_B: 'server-b', SERVER_OTHER: 'server-other'}
NETWORKS = {
    'net1': {'provider:network_type': 'flat', 'provider:physical_network': 'physnet1',
             'cidr': '10.1.0.0/24'},
    'net2': {'provider:network_type': 'vlan', 'provider:physical_network': 'physnet2',
             'provider:segmentation_id': 201, 'cidr': '10.2.0.0/24'},
}
# name -> network, vnic type, owner project ('other' or ours), and the binding Nova writes
# (server, host, profile) or None for a port no server holds yet.
PORTS: dict[str, dict[str, Any]] = {
    'vf-a': {'network': 'net1', 'vnic_type': 'direct', 'bind': (SERVER_A, 'compute1', {
        'pci_vendor_info': '8086:154c', 'pci_slot': '0000:81:00.2',
        'physical_network': 'physnet1'})},
    'pf-a': {'network': 'net1', 'vnic_type': 'direct-physical', 'bind': (SERVER_A, 'compute1', {
        'pci_vendor_info': '8086:1572', 'pci_slot': '0000:81:00.1',
        'physical_network': 'physnet1', 'device_mac_address': '3c:fd:fe:00:81:01'})},
    'normal-a': {'network': 'net1', 'vnic_type': 'normal', 'bind': (SERVER_A, 'compute1', {})},
    'vf-b': {'network': 'net2', 'vnic_type': 'direct', 'bind': (SERVER_B, 'compute2', {
        'pci_vendor_info': '8086:154c', 'pci_slot': '0000:82:00.5',
        'physical_network': 'physnet2'})},
    'vf-free': {'network': 'net2', 'vnic_type': 'direct', 'bind': None},
    'vf-other': {'network': 'net2', 'vnic_type': 'direct', 'project': 'other',
                 'bind': (SERVER_OTHER, 'compute2', {
                     'pci_vendor_info': '8086:154c', 'pci_slot': '0000:82:00.6',
                     'physical_network': 'physnet2'})},
}


def _call(session, url: str, method: str, path: str, body: dict | None = None) -> dict:
    answer = session.request(method, url + path, json=body, timeout=60)
    assert answer.status_code < 300, f'{method} {path}: {answer.status_code} {answer.text}'
    return answer.json()


def create_scenario(info: dict) -> dict:
    """Make the networks and ports; answer names -> ids and each port as last answered."""
    admin, member, service = info['admin_url'], info['member_url'], info['service_url']
    networks: dict[str, str] = {}
    subnets: dict[str, str] = {}
    ports: dict[str, dict] = {}
    with http_session() as session:
        for name, spec in NETWORKS.items():
            attrs = {k: v for k, v in spec.items() if k != 'cidr'}
            net = _call(session, admin, 'POST', '/v2.0/networks', {'network': {
                'name': name, 'project_id': NETWORK_PROJECT, 'shared': True, **attrs}})
            networks[name] = net['network']['id']
            subnet = _call(session, admin, 'POST', '/v2.0/subnets', {'subnet': {
                'name': f'{name}-subnet', 'network_id': networks[name], 'ip_version': 4,
                'cidr': spec['cidr'], 'project_id': NETWORK_PROJECT}})
            subnets[name] = subnet['subnet']['id']
        for name, spec in PORTS.items():
            body = {'name': name, 'network_id': networks[spec['network']],
                    'binding:vnic_type': spec['vnic_type']}
            if spec.get('project') == 'other':
                body['project_id'] = info['other_project_id']
                port = _call(session, admin, 'POST', '/v2.0/ports', {'port': body})['port']
            else:
                port = _call(session, member, 'POST', '/v2.0/ports', {'port': body})['port']
            if spec['bind']:
                server, host, profile = spec['bind']
                port = _call(session, service, 'PUT', f'/v2.0/ports/{port["id"]}', {'port': {
                    'device_id': server, 'device_owner': 'compute:nova',
                    'binding:host_id': host, 'binding:profile': profile}})['port']
            ports[name] = _call(session, admin, 'GET', f'/v2.0/ports/{port["id"]}')['port']
    return {'networks': networks, 'subnets': subnets, 'ports': ports,
            'servers': dict(SERVERS)}
