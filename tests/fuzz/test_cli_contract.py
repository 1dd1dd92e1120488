"""The exit-code contract (README: 0 ok, 1 API or connection error, 2 usage error) for any
arguments: whatever follows a command name, pci-cli exits 0, 1 or 2, never with a
traceback; a usage error is one line on stderr, nothing on stdout, and asks no cloud."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import harness, known_bugs
from tests.fuzz import world as w
from tests.fuzz.commands import COMMANDS
from tests.fuzz.wrong_answers import Plan, plans

#: A cloud with nothing in it.
EMPTY = Plan(world=w.World([], [], [], [], {}, {}))

#: Options some command has, and values of every kind.
OPTIONS = ('--long', '--host', '--status', '--vendor-id', '--product-id', '--type',
           '--address', '--server', '--instance', '--limit', '--marker', '--all-projects',
           '--all-tenants', '-f', '--format', '-c', '--column', '--noindent', '--max-width',
           '--fit-width', '--print-empty', '--sort-column', '--quote', '--prefix',
           '--os-retries', '--bogus', '-x', '--')  # not --debug: it adds tracebacks
VALUES = ('json', 'table', 'csv', 'value', 'yaml', 'shell', 'xml', 'ID', 'Nope', '0', '1',
          '-1', '10', '99999999999999999999', 'pf', 'vf', 'available', 'nope', '8086',
          'compute1', 'vm1', '', ' ', '=', 'é', '💥')
TOKENS = st.one_of(st.sampled_from(OPTIONS), st.sampled_from(VALUES),
                   st.builds(lambda o, v: f'{o}={v}', st.sampled_from(OPTIONS),
                             st.sampled_from(VALUES)),
                   w.arg_texts())


@pytest.mark.parametrize('name', list(COMMANDS))
@given(plan=plans(('pci_list',), os_pci=True, mode='pristine'),
       tokens=st.lists(TOKENS, max_size=6), positional=w.arg_texts(min_size=1))
def test_any_arguments(name, plan, tokens, positional):
    argv = [name, *([positional] if COMMANDS[name].shape is dict else []), *tokens]
    outcome = harness.run(argv, plan)
    if known_bugs.tolerated(outcome, 'table'):
        return
    assert outcome.code in (0, 1, 2), outcome
    assert 'Traceback' not in outcome.err, outcome
    if outcome.code == 2:
        assert outcome.out == '', outcome
        assert outcome.err.count('\n') == 1 and '--help' in outcome.err, outcome
        assert outcome.requests == [], outcome
    elif outcome.code == 1:
        harness.check(outcome, 'table')


USAGE_ERRORS = [
    ['pci-list', '--limit', '0'],
    ['pci-list', '--limit', 'ten'],
    ['pci-list', '--status', 'free'],
    ['pci-list', '--type', 'gpu'],
    ['pci-list', '--bogus'],
    ['pci-list', '-f', 'xml'],
    ['pci-show'],
    ['pci-show', '1', '2'],
    ['hypervisor-show'],
    ['server-show', '-f', 'csv', 'vm1'],
    ['--os-retries', '11', 'pci-list'],
    ['--pci-source', 'nova', 'pci-list'],
    ['pci-list', '-c=json'],
    ['pci-list', '-c', 'ID', '-c', 'Nope'],
    ['hypervisor-list', '-c', 'vCPUs'],
    ['pci-lst'],
    ['--bogus', 'pci-list'],
    ['help', 'pci-lst'],
    ['--debug'],
]


@pytest.mark.parametrize('argv', USAGE_ERRORS, ids=' '.join)
def test_usage_errors(argv):
    outcome = harness.run(argv, EMPTY)
    assert outcome.code == 2, outcome
    assert outcome.out == '' and outcome.requests == [], outcome
    assert outcome.err.count('\n') == 1 and '(see pci-cli' in outcome.err, outcome


@pytest.mark.parametrize('argv, message', [
    pytest.param(['pci-lst'], "'pci-lst' is not a pci-cli command; did you mean pci-list?",
                 id='pci-lst'),
    pytest.param(['--bogus', 'pci-list'], 'unrecognized arguments: --bogus (',
                 id='--bogus pci-list'),
])
def test_an_unknown_command_is_a_usage_error(argv, message):
    outcome = harness.run([*argv, '-f', 'json'], EMPTY)
    assert outcome.code == 2, outcome
    assert outcome.out == '', outcome
    assert outcome.err.count('\n') == 1, outcome
    assert message in outcome.err, outcome


def test_a_stray_argument_with_a_line_break():
    outcome = harness.run(['hypervisor-list', 'a\nb'], EMPTY)
    assert outcome.code == 2, outcome
    assert outcome.err.count('\n') == 1, outcome
    assert 'unrecognized arguments: a\\nb (' in outcome.err, outcome
