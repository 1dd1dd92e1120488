"""The fake cloud answers the capacity calls as the recorded real Nova 34 and Placement 16 did.

Compute: every request of ``tests/data/nova-34-capacity`` (flavors, extra specs,
aggregates, availability zones, services; admin and member; microversions 2.1 to
latest, and the 400/406 of bad ones) asked of a scenario of the same cloud gets the
same status and ``OpenStack-API-Version``, a document of the same shape (keys and
value types), and the same error bodies. Placement: every query of
``tests/data/placement-16-candidates`` asked of the real tier's population played by the
fake gets the same status, the same errors and the same candidates (by provider name).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakeserver.capacity_helpers import (
    ADMIN,
    MEMBER,
    NOVA_REFERENCE,
    apis,
    compute,
    placement,
    population_scenario,
    scenario,
)
from tests.realnova.capacity_reference import REQUESTS, Request, normalised, shape
from tests.realplacement.candidates_reference import QUERIES, Query
from tests.realplacement.test_real_placement_candidates_reference import digest
from tests.support.data import data_dir, data_json


def _recorded() -> dict[str, dict]:
    return {entry['name']: entry for entry in data_json('nova-34-capacity', '_index.json')}


@pytest.fixture(scope='module')
def nova_cloud(tmp_path_factory: pytest.TempPathFactory):
    return apis(scenario(tmp_path_factory.mktemp('nova'), NOVA_REFERENCE))


@pytest.mark.parametrize('request_', REQUESTS, ids=lambda r: r.name)
def test_compute_answers_like_nova_34(request_: Request, nova_cloud) -> None:
    expected = _recorded()[request_.name]
    path, _, query = request_.path.format(agg='1').partition('?')
    answer = compute(nova_cloud, path, request_.microversion, query,
                     caller=MEMBER if request_.caller == 'member' else ADMIN)
    assert answer.status == expected['status'], answer.raw
    assert answer.headers.get('openstack-api-version') == expected['openstack_api_version']
    ours = json.loads(normalised(answer.raw.decode().replace('cloud.example:8774',
                                                             '127.0.0.1:1')))
    theirs = json.loads((data_dir('nova-34-capacity') / expected['file']).read_text())
    if expected['status'] >= 400:
        assert ours == theirs
    else:
        assert shape(ours) == shape(theirs)


def test_listings_hold_the_same_objects(nova_cloud) -> None:
    """Beyond shapes: the same flavors in the same order, zones and services as recorded."""
    def ids(name: str, key: str, field: str) -> list:
        body = json.loads((data_dir('nova-34-capacity') / f'{name}.json').read_text())
        return [item[field] for item in body[key]]
    flavors = compute(nova_cloud, '/v2.1/flavors/detail', '2.61', 'is_public=none').json
    recorded = ids('flavors_detail_public_none', 'flavors', 'id')
    # The harness's PCI flavor has a random uuid id; ours is derived from its name.
    assert [f['id'] for f in flavors['flavors'] if f['name'] != 'pci.a1'] == \
        [i for i in recorded if i != 'UUID']
    zones = compute(nova_cloud, '/v2.1/os-availability-zone/detail').json
    assert [z['zoneName'] for z in zones['availabilityZoneInfo']] == \
        ids('availability_zones_detail', 'availabilityZoneInfo', 'zoneName')
    services = compute(nova_cloud, '/v2.1/os-services', '2.53').json['services']
    recorded_services = json.loads(
        (data_dir('nova-34-capacity') / 'services_2.53.json').read_text())['services']
    keep = ('binary', 'host', 'zone', 'status', 'state', 'disabled_reason', 'forced_down')
    assert [{k: s[k] for k in keep} for s in services] == \
        [{k: s[k] for k in keep} for s in recorded_services]


@pytest.fixture(scope='module')
def population_cloud(tmp_path_factory: pytest.TempPathFactory):
    return apis(population_scenario(tmp_path_factory.mktemp('population')))


def _names_and_roots(app) -> tuple[dict[str, str], dict[str, str]]:
    listing = placement(app, '/resource_providers', '1.14').json['resource_providers']
    names = {rp['uuid']: rp['name'] for rp in listing}
    roots = {rp['name']: rp['uuid'] for rp in listing if rp['parent_provider_uuid'] is None}
    return names, roots


@pytest.mark.parametrize('query', QUERIES, ids=lambda q: q.name)
def test_candidates_like_placement_16(query: Query, population_cloud) -> None:
    names, roots = _names_and_roots(population_cloud)
    answer = placement(population_cloud, '/allocation_candidates', query.version,
                       query.query.format(**roots))
    expected = json.loads((Path(data_dir('placement-16-candidates')) /
                           f'{query.name}.json').read_text())
    assert digest(answer.status, answer.json, names, query.chosen_freely) == expected
