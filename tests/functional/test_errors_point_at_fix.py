"""Errors that point at the fix, through the real ``pci-cli`` against ``pci-fake-server``:
a compute endpoint given without its version path (``…:PORT`` for ``…:PORT/v2.1``)."""
from __future__ import annotations

from tests.functional.helpers import run_cli


def test_a_version_root_endpoint_says_did_you_mean_v21(fake_server):
    for command in ('pci-list', 'hypervisor-list', 'server-list'):
        result = run_cli(command, endpoint=fake_server.root)
        assert (result.code, result.out) == (1, ''), result
        assert result.err == (f'The compute endpoint {fake_server.root} lists the API versions '
                              f'and is not an API: did you mean --os-endpoint '
                              f'{fake_server.url}?\n'), result
