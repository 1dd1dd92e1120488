"""``pci-cli`` against the real Nova of this tier, as a subprocess."""
from __future__ import annotations

import json
import os
import subprocess

from tests.realnova.cloud import RealNova
from tests.realservices.scripts import pci_cli_path


def run_cli(real_nova: RealNova, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(('OS_', 'PCI_CLI_'))}
    env['NO_PROXY'] = env['no_proxy'] = '127.0.0.1,localhost'
    argv = [pci_cli_path(), '--os-auth-type', 'none', '--os-endpoint', real_nova.url, *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


def cli_json(real_nova: RealNova, *args: str):
    done = run_cli(real_nova, *args, '-f', 'json')
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
