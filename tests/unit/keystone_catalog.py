"""A Keystone v3 token with a compute catalog, for the unit tests."""
from __future__ import annotations

from keystoneauth1 import fixture

AUTH_URL = 'http://keystone.test/identity/v3'
PUBLIC = 'http://nova-public.test/v2.1'
INTERNAL = 'http://nova-internal.test/compute/v2/abc123'


def token_fixture() -> fixture.V3Token:
    token = fixture.V3Token(project_name='admin', project_domain_name='Default',
                            user_name='admin', user_domain_name='Default')
    token.set_project_scope()
    compute = token.add_service('compute', name='nova')
    compute.add_standard_endpoints(public=PUBLIC, internal=INTERNAL, region='RegionOne')
    return token
