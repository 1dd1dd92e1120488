"""Redirects: keystoneauth follows them itself, with the same headers and body, to any host.
pci-cli follows one only to the same host and port (or http → https on the same host);
any other is refused in one line naming both URLs, and the other host gets nothing: no
token from a compute or Placement GET, no password from the login POST."""
from __future__ import annotations

import json

import pytest

from pciclient import redirects
from tests.faults import documents as docs
from tests.faults import identity as fake_identity
from tests.faults.cli import noauth, pci_cli, pci_cli_here
from tests.faults.servers import FaultServer, Reply, json_reply

REDIRECTS = [301, 302, 303, 307, 308]
TOKEN = 'gAAAAA-admin-token-' + 'y' * 30
DEVICES = docs.page('pci_devices', [docs.device(1), docs.device(2)])


def moved(location: str, status: int = 302) -> Reply:
    return Reply(status, b'', {'Location': location})


def elsewhere() -> FaultServer:
    """Another port on the same machine: whatever it is asked, it answers well (a thief
    would), so a request that reaches it shows only in its request log."""
    return FaultServer(lambda request: json_reply(DEVICES))


def token_args(url: str) -> list[str]:
    return ['--os-auth-type', 'admin_token', '--os-token', TOKEN, '--os-endpoint', url]


@pytest.mark.parametrize('status', REDIRECTS)
def test_a_compute_redirect_to_another_port_is_refused(status):
    with elsewhere() as thief, FaultServer(
            lambda request: moved(f'{thief.url}/v2.1/os-pci', status)) as server:
        result = pci_cli_here(*token_args(server.url + '/v2.1'), 'pci-list')
    line = result.one_line_error()
    assert f'{server.url}/v2.1/os-pci' in line and f'{thief.url}/v2.1/os-pci' in line, line
    assert TOKEN not in line
    assert thief.requests == [], [r.headers for r in thief.requests]


def test_another_host_name_on_the_same_port_is_another_host():
    """localhost is 127.0.0.1 here, but a name is what a certificate and a token's
    audience go by: a redirect to another name is refused too."""
    def behaviour(request):
        if request.path == '/v2.1/os-pci':
            return moved(f'http://localhost:{server.port}/v2.1/os-pci-moved')
        return json_reply(DEVICES)
    server = FaultServer(behaviour)
    with server:
        result = pci_cli_here(*token_args(server.url + '/v2.1'), 'pci-list')
    assert 'localhost' in result.one_line_error()
    assert [r.path for r in server.requests] == ['/v2.1/os-pci']


@pytest.mark.parametrize('location', ['{url}/v2.1/os-pci-moved', '/v2.1/os-pci-moved',
                                      'os-pci-moved'])
def test_a_redirect_on_the_same_host_and_port_is_followed(location):
    """Absolute or relative (keystoneauth cannot follow a relative Location by itself)."""
    def behaviour(request):
        if request.path == '/v2.1/os-pci':
            return moved(location.format(url=server.url), 307)
        if request.path == '/v2.1/os-pci-moved':
            return json_reply(DEVICES)
        if request.path == '/v2.1/os-hypervisors':
            return json_reply(docs.page('hypervisors', [docs.hypervisor(1)]))
        return json_reply(docs.nova_404(), status=404)
    server = FaultServer(behaviour)
    with server:
        result = pci_cli_here(*token_args(server.url + '/v2.1'), 'pci-list', '-f', 'json')
    assert result.code == 0, result
    assert [row['ID'] for row in json.loads(result.out)] == [1, 2]
    moved_to = [r for r in server.requests if r.path == '/v2.1/os-pci-moved']
    assert len(moved_to) == 1 and moved_to[0].headers['x-auth-token'] == TOKEN


def test_a_placement_redirect_to_another_port_is_refused():
    with elsewhere() as thief:
        def behaviour(request):
            if request.path.startswith('/placement'):
                return moved(thief.url + request.target)
            return json_reply(docs.nova_404(), status=404)
        with FaultServer(behaviour) as server:
            result = pci_cli_here(*token_args(server.url + '/v2.1'), '--pci-source',
                                  'placement', '--os-placement-endpoint-override',
                                  server.url + '/placement', 'pci-list')
    line = result.one_line_error()
    assert f'{thief.url}/placement/resource_providers' in line, line
    assert thief.requests == []


@pytest.mark.parametrize('status', [307, 308])
def test_the_login_is_not_posted_to_another_port(status):
    """A 307/308 keeps the method and body: keystoneauth would POST the password there."""
    with elsewhere() as thief:
        identity = fake_identity.Identity(
            login=moved(f'{thief.url}/identity/v3/auth/tokens', status))
        with fake_identity.serve(identity) as server:
            result = pci_cli(*fake_identity.password_args(server), 'pci-list')
    line = result.one_line_error()
    assert f'{server.url}/identity/v3/auth/tokens' in line, line
    assert f'{thief.url}/identity/v3/auth/tokens' in line, line
    assert fake_identity.PASSWORD not in result.err
    assert thief.requests == [], [r.body for r in thief.requests]
    assert len(identity.logins) == 1


def test_a_redirect_loop_on_the_same_host_ends():
    with FaultServer(lambda request: moved(request.target)) as server:
        result = pci_cli_here(*noauth(server.url + '/v2.1'), 'pci-list')
    result.one_line_error()
    assert len(server.requests) <= 31   # keystoneauth's own limit: 30 redirects


@pytest.mark.parametrize('source, target, followed', [
    ('http://cloud:8774/v2.1', 'http://cloud:8774/v2.1/x', True),
    ('http://cloud/v2.1', 'http://CLOUD:80/x', True),
    ('http://cloud/v2.1', 'https://cloud/v2.1', True),              # 80 → 443
    ('http://cloud:8774/v2.1', 'https://cloud:8774/v2.1', True),    # TLS on the same port
    ('http://cloud:8774/v2.1', 'https://cloud/v2.1', False),        # another port
    ('https://cloud/v2.1', 'http://cloud/v2.1', False),             # no downgrade
    ('https://cloud/v2.1', 'https://cloud:8443/v2.1', False),
    ('http://cloud/v2.1', 'http://cloud.evil/v2.1', False),
    ('http://cloud/v2.1', 'http://user:pw@cloud/v2.1', False),
    ('http://cloud/v2.1', 'ftp://cloud/v2.1', False),
    ('http://cloud/v2.1', 'http://cloud:99999999/v2.1', False),
    ('http://cloud/v2.1', 'http://[::1/v2.1', False),
    ('http://[::1]:8774/v2.1', 'http://[::1]:8774/x', True),
])
def test_which_redirects_are_followed(source, target, followed):
    assert redirects.same_origin(source, target) is followed


def test_a_refusal_is_one_short_line():
    with pytest.raises(redirects.RedirectRefused) as caught:
        redirects.checked_location('http://cloud/v2.1', 'http://evil/\x1b[2J' + 'a' * 5000)
    line = str(caught.value)
    assert '\n' not in line and '\x1b' not in line and len(line) < 600, line


def test_a_shared_session_is_guarded_only_for_pciclient():
    """In the ``openstack`` CLI the session is shared: other clients' requests pass
    through as keystoneauth makes them; ours are guarded."""
    from keystoneauth1 import noauth, session

    from pciclient.client import Client

    with elsewhere() as thief, FaultServer(
            lambda request: moved(f'{thief.url}{request.target}')) as server:
        shared = session.Session(auth=noauth.NoAuth())
        client = Client('2', session=shared, endpoint_override=server.url + '/v2.1',
                        placement=False)
        other = shared.get(server.url + '/other', authenticated=False)
        with pytest.raises(redirects.RedirectRefused):
            client.http.get('os-pci')
    assert other.status_code == 200 and [r.path for r in thief.requests] == ['/other']
