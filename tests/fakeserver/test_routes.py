"""The declarative route tables: one row per path and method gives the 404, the 405's
Allow header and the policy rule, for compute, Placement and identity alike."""
from __future__ import annotations

import pytest

from pciclient.fakeserver.compute import routes as compute_routes
from pciclient.fakeserver.identity.app import ROUTES as IDENTITY_ROUTES
from pciclient.fakeserver.placement.routes import ROUTES as PLACEMENT_ROUTES
from pciclient.fakeserver.wsgi.routes import (
    MethodNotAllowed,
    NoRoute,
    Route,
    RouteTable,
    read_routes,
)

TABLE = RouteTable([
    *read_routes('/things/detail', 'detail', 'things:detail'),
    *read_routes('/things/{id}', 'show', 'things:show'),
    Route('/things/{id}', 'DELETE', 'delete', 'things:delete'),
    Route('/new', 'GET', 'new', 'new:get', since=5),
])


def test_literal_rows_come_before_placeholders() -> None:
    assert TABLE.match('/things/detail', 'GET').route.handler == 'detail'
    found = TABLE.match('/things/42', 'GET')
    assert found.route.handler == 'show' and found.params == {'id': '42'}


def test_allow_lists_the_methods_of_the_path_rows() -> None:
    with pytest.raises(MethodNotAllowed) as wrong:
        TABLE.match('/things/42', 'POST')
    assert wrong.value.allowed == ('GET', 'HEAD', 'DELETE')
    assert wrong.value.allow_header == ('Allow', 'GET, HEAD, DELETE')


@pytest.mark.parametrize('path', ['/things', '/things/42/more', '//things/42', 'things/42',
                                  '/things/42/', '/../things/42'])
def test_other_paths_are_no_route(path: str) -> None:
    with pytest.raises(NoRoute):
        TABLE.match(path, 'GET')


def test_rows_newer_than_the_version_do_not_exist() -> None:
    with pytest.raises(NoRoute):
        TABLE.match('/new', 'GET', version=4)
    assert TABLE.match('/new', 'GET', version=5).route.handler == 'new'
    assert TABLE.match('/new', 'GET').route.handler == 'new'


def test_policies_come_from_the_rows() -> None:
    assert TABLE.policies() == ('things:detail', 'things:show', 'things:delete', 'new:get')


def test_compute_policies_are_novas_names() -> None:
    assert compute_routes.API_ROUTES.policies() == (
        'os_compute_api:os-pci:index', 'os_compute_api:os-pci:detail',
        'os_compute_api:os-pci:show', 'os_compute_api:os-hypervisors:list',
        'os_compute_api:os-hypervisors:list-detail', 'os_compute_api:os-hypervisors:show',
        'os_compute_api:os-hypervisors:search', 'os_compute_api:os-hypervisors:uptime',
        'os_compute_api:servers:index',
        'os_compute_api:servers:detail', 'os_compute_api:servers:show',
        'os_compute_api:os-flavor-extra-specs:index', 'os_compute_api:os-aggregates:index',
        'os_compute_api:os-aggregates:show', 'os_compute_api:os-availability-zone:list',
        'os_compute_api:os-availability-zone:detail', 'os_compute_api:os-services:list')


@pytest.mark.parametrize('path, prefix, arg', [
    ('/v2.1/os-pci/7', '/v2.1', '7'),
    ('/v2.1/p1/os-pci/7/', '/v2.1/p1', '7'),
    ('/v2/p1/servers/detail', '/v2/p1', None),
])
def test_compute_prefixes(path: str, prefix: str, arg: str | None) -> None:
    route, target = compute_routes.match(path, 'GET')
    assert (target.prefix, target.arg) == (prefix, arg)
    assert route.policy is not None


def test_compute_without_os_pci_has_no_such_rows() -> None:
    with pytest.raises(NoRoute):
        compute_routes.match('/v2.1/os-pci', 'GET', os_pci=False)
    assert compute_routes.match('/v2.1/servers', 'GET', os_pci=False)[0].policy


def test_compute_is_read_only() -> None:
    with pytest.raises(MethodNotAllowed) as wrong:
        compute_routes.match('/v2.1/servers', 'POST')
    assert wrong.value.allowed == ('GET', 'HEAD')


def test_placement_is_get_only_and_rules_are_placements() -> None:
    with pytest.raises(MethodNotAllowed) as wrong:
        PLACEMENT_ROUTES.match('/resource_providers', 'HEAD')
    assert wrong.value.allowed == ('GET',)
    assert all(rule.startswith('placement:') for rule in PLACEMENT_ROUTES.policies())
    with pytest.raises(NoRoute):
        PLACEMENT_ROUTES.match('/resource_providers/u/traits', 'GET', version=5)


def test_identity_tokens_rows() -> None:
    with pytest.raises(MethodNotAllowed) as wrong:
        IDENTITY_ROUTES.match('/v3/auth/tokens', 'DELETE')
    assert wrong.value.allow_header == ('Allow', 'GET, HEAD, POST')
    assert IDENTITY_ROUTES.policies() == ('identity:validate_token',)
