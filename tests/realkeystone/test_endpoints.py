"""``--os-region-name`` and ``--os-interface`` pick the endpoint from a real catalog.

The catalog has the compute service in two regions, each with public, internal
and admin endpoints, every one a different URL form (``/v2.1``,
``/v2.1/{project}``, ``/v2/{project}``) of that region's own fake server: the
hypervisor hostname tells the region, the request URL in ``--debug`` the
interface.
"""
from __future__ import annotations

import pytest

from tests.realkeystone.cloud import REGIONS, RealCloud, password_args


@pytest.mark.parametrize('interface', ['public', 'internal', 'admin'])
@pytest.mark.parametrize('region', REGIONS)
def test_region_and_interface_choose_the_endpoint(cloud: RealCloud, run_cli, region: str,
                                                  interface: str) -> None:
    result = run_cli('--debug', *password_args(cloud, region=region),
                     '--os-interface', interface, 'hypervisor-list', '-f', 'json')
    expected = cloud.regions[region]
    assert [row['Hostname'] for row in result.json()] == [expected.hostname]
    url = expected.endpoint(interface, cloud.admin_project_id) + '/os-hypervisors'
    assert f'GET {url} ' in result.err
    others = [r.compute.root for name, r in cloud.regions.items() if name != region]
    assert not any(f'GET {root}' in result.err for root in others)


def test_region_without_compute_is_one_line(cloud: RealCloud, run_cli) -> None:
    result = run_cli(*password_args(cloud, region='RegionThree'), 'hypervisor-list')
    assert result.code == 1
    [line] = result.err_lines
    assert line.startswith('The service catalog has no compute endpoint for this region')
