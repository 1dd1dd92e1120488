"""``pci-cli`` against this tier's real Neutron (and the real Nova tier's compute API), as a
subprocess, with no authentication and the endpoints given on the command line."""
from __future__ import annotations

import json
import os
import subprocess

from tests.realservices.scripts import pci_cli_path

#: The columns of ``sriov-port-list`` (issue 16), in order.
SRIOV_PORT_COLUMNS = ['Port ID', 'Server', 'Host', 'PCI Slot', 'Physical Network',
                      'VNIC Type', 'Vendor ID', 'Product ID', 'Status']


def run_cli(compute_url: str, network_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('OS_', 'PCI_CLI_'))}
    env['NO_PROXY'] = env['no_proxy'] = '127.0.0.1,localhost'
    argv = [pci_cli_path(), '--os-auth-type', 'none', '--os-endpoint', compute_url,
            '--os-network-endpoint-override', network_url, *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


def cli_json(compute_url: str, network_url: str, *args: str):
    done = run_cli(compute_url, network_url, *args, '-f', 'json')
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
