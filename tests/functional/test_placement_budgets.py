"""The Placement budgets end to end: pci-cli against the fake cloud's Placement, the
requests counted in the server's access log, in a cloud of 3 hosts and one of 40.

A question about one device, one host or one server must cost the same in both.
"""
from __future__ import annotations

import pytest

from tests.functional.helpers import run_cli
from tests.support.fake_cloud import FakeServerProcess

SCENARIO = """\
rescan_interval: 0
os_pci: false
hosts:
  - hostname: "gpu-{{index:02d}}.example.com"
    count: {count}
    generate: {{pfs: 2, vfs_per_pf: 4, gpus: 2, numa_nodes: 1}}
servers:
  - {{name: vm1, project: admin, host: gpu-01.example.com, devices: [{device}]}}
"""


@pytest.fixture(scope='module')
def clouds(tmp_path_factory):
    """A small and a big cloud; their first host looks the same in both."""
    started = {}
    for count in (3, 40):
        workdir = tmp_path_factory.mktemp(f'budget-{count}')
        scenario = workdir / 'cloud.yaml'
        scenario.write_text(SCENARIO.format(count=count, device='"0000:03:00.0"'))
        started[count] = FakeServerProcess('--noauth', '--scenario', str(scenario),
                                           log=workdir / 'server.log')
    yield started
    for server in started.values():
        server.stop()


def placement_requests(server: FakeServerProcess) -> int:
    return sum(' /placement/' in line or ' /placement?' in line or ' /placement ' in line
               for line in server.log_text().splitlines() if '"GET ' in line)


def asked(server: FakeServerProcess, *argv: str) -> tuple[int, list]:
    before = placement_requests(server)
    result = run_cli('--pci-source', 'placement', '--os-placement-endpoint-override',
                     server.root + '/placement', *argv, '-f', 'json', endpoint=server.url)
    assert result.code == 0, result
    return placement_requests(server) - before, result.json()


QUESTIONS = {
    'pci-show HOST_ADDRESS': ('pci-show', 'gpu-01.example.com_0000:03:00.0'),
    'pci-list --host': ('pci-list', '--host', 'gpu-02.example.com'),
    'pci-list --host --long': ('pci-list', '--long', '--host', 'gpu-02.example.com'),
    'pci-pool-list --host': ('pci-pool-list', '--host', 'gpu-02.example.com'),
    'pci-list --server': ('pci-list', '--server', 'vm1'),
}


@pytest.mark.parametrize('question', QUESTIONS)
def test_a_question_costs_the_same_in_a_small_and_a_big_cloud(clouds, question):
    (small, small_answer), (big, big_answer) = (asked(clouds[n], *QUESTIONS[question])
                                                for n in (3, 40))
    assert small == big, (question, small, big)
    assert small_answer == big_answer or question.startswith('pci-show')  # ids differ
    if question == 'pci-show HOST_ADDRESS':
        assert small <= 8


def test_the_whole_listing_grows_with_the_cloud_by_two_requests_per_provider(clouds):
    small, rows_small = asked(clouds[3], 'pci-list')
    big, rows_big = asked(clouds[40], 'pci-list')
    assert (big - small) == 2 * (len(rows_big) - len(rows_small))
