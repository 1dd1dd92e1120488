"""Flavors and their extra specs on the fake compute API, as Nova 34 serves them."""
from __future__ import annotations

import pytest

from tests.fakeserver.capacity_helpers import ADMIN, MEMBER, NOVA_REFERENCE, apis, compute, scenario


@pytest.fixture(scope='module')
def cloud(tmp_path_factory: pytest.TempPathFactory):
    return apis(scenario(tmp_path_factory.mktemp('flavors'), NOVA_REFERENCE))


def _ids(body: dict) -> list[str]:
    return [flavor['id'] for flavor in body['flavors']]


def test_listing_sorts_on_flavorid_as_a_string(cloud) -> None:
    ids = _ids(compute(cloud, '/v2.1/flavors').json)
    assert ids[:6] == ['1', '2', '3', '4', '5', '6']
    assert ids == sorted(ids)
    assert 'cap-private' not in ids  # public ones unless an admin asks otherwise


@pytest.mark.parametrize('version, present, absent', [
    (None, {'swap', 'rxtx_factor', 'OS-FLV-DISABLED:disabled'}, {'description', 'extra_specs'}),
    ('2.55', {'description'}, {'extra_specs'}),
    ('2.61', {'description', 'extra_specs'}, set()),
    ('2.102', {'description', 'extra_specs'}, {'rxtx_factor', 'OS-FLV-DISABLED:disabled'}),
])
def test_detail_keys_follow_the_microversion(cloud, version, present, absent) -> None:
    answer = compute(cloud, '/v2.1/flavors/cap-gpu', version)
    assert answer.status == 200
    assert answer.headers['openstack-api-version'] == f'compute {version or "2.1"}'
    flavor = answer.json['flavor']
    assert present <= set(flavor) and not absent & set(flavor)


def test_swap_is_an_empty_string_until_2_75(cloud) -> None:
    assert compute(cloud, '/v2.1/flavors/1', '2.74').json['flavor']['swap'] == ''
    assert compute(cloud, '/v2.1/flavors/1', '2.75').json['flavor']['swap'] == 0
    assert compute(cloud, '/v2.1/flavors/cap-small').json['flavor']['swap'] == 512


def test_extra_specs_in_the_flavor_and_on_their_own(cloud) -> None:
    specs = {'pci_passthrough:alias': 'a1:1', 'hw:cpu_policy': 'shared'}
    assert compute(cloud, '/v2.1/flavors/cap-gpu', '2.61').json['flavor']['extra_specs'] == specs
    for version in (None, '2.61', 'latest'):
        answer = compute(cloud, '/v2.1/flavors/cap-gpu/os-extra_specs', version, caller=MEMBER)
        assert answer.status == 200 and answer.json == {'extra_specs': specs}
    assert compute(cloud, '/v2.1/flavors/1/os-extra_specs').json == {'extra_specs': {}}


def test_index_is_brief(cloud) -> None:
    flavor = compute(cloud, '/v2.1/flavors', '2.55').json['flavors'][0]
    assert set(flavor) == {'id', 'name', 'links', 'description'}
    assert [link['href'] for link in flavor['links']] == [
        'http://cloud.example:8774/v2.1/flavors/1', 'http://cloud.example:8774/flavors/1']


@pytest.mark.parametrize('query, ids', [
    ('is_public=none', 'all'),
    ('is_public=false', ['cap-private']),
    ('is_public=True', 'public'),
    ('minRam=4096', ['3', '4', '5']),
    ('minDisk=40&minRam=8192', ['4', '5']),
    ('name=^cap', ['cap-gpu', 'cap-small']),
])
def test_admin_filters(cloud, query, ids) -> None:
    found = _ids(compute(cloud, '/v2.1/flavors', '2.61', query).json)
    public = _ids(compute(cloud, '/v2.1/flavors', '2.61').json)
    expected = {'all': sorted([*public, 'cap-private']), 'public': public}.get(ids, ids) \
        if isinstance(ids, str) else ids
    assert found == expected


def test_members_never_see_private_flavors(cloud) -> None:
    listed = _ids(compute(cloud, '/v2.1/flavors/detail', '2.61', 'is_public=none',
                          caller=MEMBER).json)
    assert 'cap-private' not in listed and '1' in listed
    answer = compute(cloud, '/v2.1/flavors/cap-private', '2.61', caller=MEMBER)
    assert answer.status == 404
    assert answer.json == {'itemNotFound': {'code': 404,
                                            'message': 'Flavor cap-private could not be found.'}}
    assert compute(cloud, '/v2.1/flavors/cap-private', caller=ADMIN).status == 200


@pytest.mark.parametrize('query, message', [
    ('is_public=maybe', 'Invalid is_public filter [maybe]'),
    ('minRam=big', 'Invalid minRam filter [big]'),
    ('marker=nonesuch', 'marker [nonesuch] not found'),
    ('limit=-1', "Invalid input for query parameters limit. Value: -1. '-1' does not match "
                 "'^[0-9]*$'"),
    ('sort_dir=up', "Invalid input for query parameters sort_dir. Value: up. 'up' is not one of "
                    "['asc', 'desc']"),
])
def test_bad_queries_are_400(cloud, query, message) -> None:
    answer = compute(cloud, '/v2.1/flavors/detail', '2.61', query)
    assert answer.status == 400
    assert answer.json == {'badRequest': {'code': 400, 'message': message}}
    assert answer.headers['openstack-api-version'] == 'compute 2.61'


def test_paging_as_nova(cloud) -> None:
    first = compute(cloud, '/v2.1/flavors/detail', '2.61', 'limit=4').json
    assert _ids(first) == ['1', '2', '3', '4']
    [link] = first['flavors_links']
    assert link == {'rel': 'next', 'href': 'http://cloud.example:8774/v2.1/flavors/detail?'
                                           'limit=4&marker=4'}
    second = compute(cloud, '/v2.1/flavors/detail', '2.61', 'limit=4&marker=4').json
    everything = _ids(compute(cloud, '/v2.1/flavors/detail', '2.61').json)
    assert _ids(second) == everything[4:8]
    last = compute(cloud, '/v2.1/flavors/detail', '2.61',
                   f'limit={len(everything) + 1}').json
    assert 'flavors_links' not in last
    assert compute(cloud, '/v2.1/flavors', None, 'limit=0').json == {'flavors': []}
    backwards = _ids(compute(cloud, '/v2.1/flavors', None, 'sort_dir=desc&limit=2').json)
    assert backwards == everything[::-1][:2]


def test_unknown_flavor_is_novas_404(cloud) -> None:
    for path in ('/v2.1/flavors/nope', '/v2.1/flavors/nope/os-extra_specs'):
        answer = compute(cloud, path)
        assert answer.status == 404
        assert answer.json['itemNotFound']['message'] == 'Flavor nope could not be found.'


def test_read_only_routes_answer_405(cloud) -> None:
    answer = compute(cloud, '/v2.1/flavors', method='POST')
    assert answer.status == 405
    assert answer.headers['allow'] == 'GET, HEAD'
    assert compute(cloud, '/v2.1/flavors/1/os-extra_specs/x').status == 404


@pytest.mark.parametrize('version, status, message', [
    ('2.105', 406, 'Version 2.105 is not supported by the API. Minimum is 2.1 and maximum '
                   'is 2.104.'),
    ('2.x', 400, 'API Version String 2.x is of invalid format. Must be of format '
                 'MajorNum.MinorNum.'),
])
def test_bad_microversions(cloud, version, status, message) -> None:
    answer = compute(cloud, '/v2.1/flavors', version)
    assert answer.status == status
    assert message in str(answer.json)


def test_legacy_header_and_latest(cloud) -> None:
    from tests.fakeserver.cloud_helpers import call
    answer = call(cloud, '/v2.1/flavors/1', headers={'X-OpenStack-Nova-API-Version': '2.61'})
    assert answer.headers['x-openstack-nova-api-version'] == '2.61'
    assert 'extra_specs' in answer.json['flavor']
    latest = compute(cloud, '/v2.1/flavors/1', 'latest')
    assert latest.headers['openstack-api-version'] == 'compute 2.104'


def test_the_pci_api_speaks_2_1_only(cloud) -> None:
    """Hypervisors, servers and os-pci refuse another version (Nova's 406) rather than
    answer in 2.1's shape; ``latest`` is their 2.1 (see test_app_microversions.py)."""
    answer = compute(cloud, '/v2.1/os-hypervisors', '2.61')
    assert answer.status == 406
    assert answer.headers['openstack-api-version'] == 'compute 2.61'
    assert compute(cloud, '/v2.1/os-hypervisors', 'latest').headers[
        'openstack-api-version'] == 'compute 2.1'
