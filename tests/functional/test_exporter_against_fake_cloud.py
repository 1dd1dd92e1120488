"""pci-exporter against the fake cloud (os-pci, and Placement only): every series says
what `pci-cli pci-list --long` and `capacity -f json` say of the same cloud; serving
/metrics and /healthz as a process, stopped at the end."""
from __future__ import annotations

import os
import selectors
import subprocess
import urllib.request
from collections import defaultdict

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.functional.helpers import run_cli, run_tool
from tests.support.cli_process import clean_env, console_script
from tests.support.fake_cloud import FakeServerProcess

SCENARIO = """\
rescan_interval: 0
hosts:
  - hostname: "c{index}"
    count: 2
    generate: {pfs: 1, vfs_per_pf: 3, gpus: 2, numa_nodes: 2}
    device_spec:
      - {vendor_id: "8086", physical_network: physnet1}
      - {vendor_id: "10de"}
flavors:
  - {name: small, vcpus: 1, ram: 2048, disk: 20}
  - {name: gpu, vcpus: 2, ram: 1024, disk: 10, extra_specs: {"pci_passthrough:alias": "gpu:1"}}
  - {name: vf2, vcpus: 1, ram: 512, disk: 1, extra_specs: {"pci_passthrough:alias": "vf:2"}}
pci_aliases:
  - {name: gpu, vendor_id: "10de", product_id: "1eb8", device_type: type-PCI}
  - {name: vf, vendor_id: "8086", product_id: "1889", device_type: type-VF}
servers:
  - {name: vm-a, project: admin, host: c1, devices: ["0000:02:00.0"]}
  - {name: vm-b, project: admin, host: c2, devices: ["0000:01:01.0", "0000:01:01.1"]}
"""
ALIASES = """\
[pci]
alias = {"name": "gpu", "vendor_id": "10de", "product_id": "1eb8", "device_type": "type-PCI"}
alias = {"name": "vf", "vendor_id": "8086", "product_id": "1889", "device_type": "type-VF"}
"""


@pytest.fixture(scope='module', params=['os-pci', 'placement'])
def cloud(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f'exporter-{request.param}')
    (workdir / 'cloud.yaml').write_text(SCENARIO)
    (workdir / 'nova.conf').write_text(ALIASES)
    extra = ('--no-os-pci',) if request.param == 'placement' else ()
    server = FakeServerProcess('--noauth', '--scenario', str(workdir / 'cloud.yaml'), *extra,
                               log=workdir / 'server.log')
    server.source = request.param
    server.aliases = str(workdir / 'nova.conf')
    yield server
    server.stop()


def _options(server) -> list[str]:
    return ['--os-auth-type', 'none', '--os-endpoint', server.url,
            '--os-placement-endpoint-override', server.root + '/placement']


def _series(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    got: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            got[sample.name].append((sample.labels, sample.value))
    return got


def _once(server, *argv: str):
    result = run_tool('pci-exporter', *_options(server), '--once', '--per-device',
                      '--pci-alias', server.aliases, *argv)
    assert result.code == 0, result
    return _series(result.out)


def test_every_device_series_is_what_pci_list_says(cloud):
    got = _once(cloud)
    rows = run_cli(*_options(cloud), 'pci-list', '--long', '-f', 'json').json()
    assert {r['Source'] for r in rows} == {cloud.source}
    per_device = {(s['host'], s['address']): s for s, _ in got['pci_device_capacity_units']}
    assert len(per_device) == len(rows) == len(got['pci_device_free_units'])
    values = {name: {(s['host'], s['address']): v for s, v in got[f'pci_device_{name}_units']}
              for name in ('capacity', 'used', 'reserved', 'free')}
    for row in rows:
        key = (row['Host'], row['Address'])
        labels = per_device[key]
        assert (labels['vendor_id'], labels['product_id'], labels['source']) == \
            (row['Vendor ID'], row['Product ID'], row['Source'])
        assert (labels['vendor_name'], labels['product_name']) == \
            (row['Vendor Name'], row['Product Name'])
        assert labels['dev_type'] == (row['Type'] or '')
        if cloud.source == 'placement':
            assert labels['resource_class'] == row['Resource Class']
            assert [values[n][key] for n in ('capacity', 'used', 'reserved', 'free')] == \
                [row['Total'], row['Used'], row['Reserved'], row['Free']]
        else:
            assert labels['numa_node'] == str(row['NUMA Node'])
            assert values['used'][key] == (row['Status'] in ('claimed', 'allocated'))
            assert values['free'][key] == (row['Status'] == 'available')
            if row['Vendor ID'] == '8086':
                assert labels['physical_network'] == 'physnet1'
    # holders: one series per (server, device), named as pci-list names them
    holders = {(s['server_id'], s['host'], s['address']): (s['server_name'], v)
               for s, v in got['pci_server_device_units']}
    expected = {(h['id'], r['Host'], r['Address']): (h['name'], h['amount'])
                for r in rows for h in r['Servers'] or ()}
    assert holders == expected and expected   # Placement: VFs tagged physnet are Neutron's
    assert {s['project_id'] for s, _ in got['pci_server_device_units']} != {''}
    # per host and class: the sums of the devices
    for name in ('capacity', 'used', 'reserved', 'free'):
        sums: dict[tuple[str, str], float] = defaultdict(float)
        for labels, value in got[f'pci_device_{name}_units']:
            sums[labels['host'], labels['resource_class']] += value
        assert {(s['host'], s['resource_class']): v for s, v in got[f'pci_host_{name}_units']} \
            == sums


def test_every_capacity_series_is_what_capacity_says(cloud):
    got = _once(cloud)
    rows = run_cli(*_options(cloud), 'capacity', '--pci-alias', cloud.aliases,
                   '-f', 'json').json()
    asked = {r['Flavor'] for r in rows} - {'small'}   # only flavors asking for devices
    expected = {(r['Flavor'], r['Host']): (r['Fits'], r['Limited By'] or 'none')
                for r in rows if r['Flavor'] in asked}
    assert {(s['flavor'], s['host']): (v, s['limited_by'])
            for s, v in got['pci_flavor_host_fits']} == expected
    summary = run_cli(*_options(cloud), 'capacity', '--pci-alias', cloud.aliases, '--summary',
                      '-f', 'json').json()
    assert {s['flavor']: (v, s['limited_by']) for s, v in got['pci_flavor_fits']} == {
        r['Flavor']: (r['Fits'], r['Limited By'] or 'none') for r in summary
        if r['Flavor'] in asked}
    assert {s['flavor']: v for s, v in got['pci_flavor_hosts_fitting']} == {
        r['Flavor']: r['Hosts'] for r in summary if r['Flavor'] in asked}
    assert got['pci_exporter_up'] == [({}, 1.0)]
    assert got['pci_exporter_requests_total'][0][1] > 0


def test_serving_metrics_and_healthz(cloud, tmp_path):
    log = open(tmp_path / 'exporter.log', 'wb')
    proc = subprocess.Popen([console_script('pci-exporter'), *_options(cloud), '--listen',
                             '127.0.0.1:0', '--interval', '3600', '--pci-alias', cloud.aliases],
                            stdout=subprocess.PIPE, stderr=log, env=clean_env(),
                            stdin=subprocess.DEVNULL)
    try:
        url = _first_line(proc)
        assert url.startswith('http://127.0.0.1:') and url.endswith('/metrics')
        with urllib.request.urlopen(url.replace('/metrics', '/healthz'), timeout=10) as answer:
            assert answer.read() == b'ok\n'
        series = {}
        for _ in range(200):   # the first refresh runs in the background
            with urllib.request.urlopen(url, timeout=10) as answer:
                series = _series(answer.read().decode())
            if series['pci_exporter_refreshes_total'] and sum(
                    v for _, v in series['pci_exporter_refreshes_total']):
                break
            selectors.DefaultSelector().select(0.1)
        assert series['pci_exporter_up'] == [({}, 1.0)]
        once = _once(cloud)
        for name in ('pci_host_free_units', 'pci_flavor_host_fits'):
            assert sorted(map(repr, series[name])) == sorted(map(repr, once[name]))
        assert 'pci_device_free_units' not in series   # only with --per-device
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
        log.close()


def _first_line(proc: subprocess.Popen) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        assert selector.select(60), 'pci-exporter printed no URL'
        return os.read(proc.stdout.fileno(), 4096).decode().splitlines()[0]
