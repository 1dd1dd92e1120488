"""``--debug`` and ``-vv`` log what a hostile server sends (keystoneauth logs the headers
and bodies of answers) escaped as normal output is, and never a token that is no valid
header value (issue 18, item 6). Before: ESC, BEL, C1 and bidi characters reached stderr
raw, and the token appeared in requests' InvalidHeader message twice in the traceback."""
from __future__ import annotations

import json
import re

import pytest

from tests.faults import documents as docs
from tests.faults import identity
from tests.faults.cli import noauth, pci_cli
from tests.faults.servers import FaultServer, Reply, Request

#: What no line on stderr may hold: C0 controls but the line break, DEL, C1, bidi controls,
#: line/paragraph separators.
CONTROL = re.compile('[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]')
#: A request id with an escape sequence (set the title), BEL, CSI as C1, and the UTF-8
#: bytes of RIGHT-TO-LEFT OVERRIDE (headers are latin-1 on the wire: \x80 among them).
REQUEST_ID = ('req-\x1b]0;owned\x07-\x9b31m-' + '\u202e'.encode().decode('latin-1')
              + '-\x1b[2J')
#: JSON may carry C1 and bidi characters raw (only C0 must be escaped).
NAME = 'vm\u202e\u2066\x9b1m\x85'
TEXT_BODY = b'\x1b[2J\x1b]0;owned\x07 server error \xe2\x80\xae\xc2\x9b'


def _hostile(request: Request) -> Reply:
    headers = {'x-openstack-request-id': REQUEST_ID, 'x-compute-request-id': REQUEST_ID}
    if request.path == '/v2.1/servers/detail':
        body = json.dumps({'servers': [{**docs.server(), 'name': NAME}]},
                          ensure_ascii=False).encode()
        return Reply(body=body, headers={'Content-Type': 'application/json', **headers})
    if request.path.startswith('/v2.1/os-pci'):
        return Reply(status=500, body=TEXT_BODY, headers={'Content-Type': 'text/plain',
                                                          **headers})
    reply = identity.compute(request)
    reply.headers.update(headers)
    return reply


def _assert_clean(stderr: str) -> None:
    found = sorted({hex(ord(char)) for char in CONTROL.findall(stderr)})
    assert not found, f'raw control characters on stderr: {found}'


@pytest.mark.parametrize('verbosity', ['--debug', '-vv'])
@pytest.mark.parametrize('command', [['server-list'], ['pci-list']])
def test_hostile_headers_and_bodies_reach_stderr_escaped(verbosity: str, command: list[str]):
    with FaultServer(_hostile) as server:
        result = pci_cli(verbosity, *noauth(f'{server.url}/v2.1'), *command)
    assert 'RESP' in result.err      # keystoneauth did log the answers
    assert r'\x1b' in result.err    # shown, as its escape
    _assert_clean(result.err)
    if command == ['server-list']:
        assert result.code == 0
    else:
        assert result.code == 1


SECRET = 'Tok3n-s3cret-part'


@pytest.mark.parametrize('token', [f'abc-{SECRET}\ndef', f'{SECRET}\r', f' {SECRET}',
                                   f'{SECRET}\u20ac'])
def test_a_token_no_header_can_carry_is_never_shown(token: str):
    with FaultServer(identity.compute) as server:
        result = pci_cli('--debug', '--os-auth-type', 'admin_token',
                         '--os-endpoint', f'{server.url}/v2.1', '--os-token', token, 'pci-list')
        assert server.requests == []
    assert result.code == 1 and 'Traceback' in result.err
    assert SECRET not in result.err and SECRET not in result.out
    _assert_clean(result.err)


def test_a_password_is_never_in_the_debug_log():
    with identity.serve(identity.Identity()) as server:
        result = pci_cli('--debug', *identity.password_args(server), 'pci-list')
    assert result.code == 0, result.err
    assert identity.PASSWORD not in result.err
