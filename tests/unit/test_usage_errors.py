"""The usage-error contract of pci-cli for any arguments (README: exit 2, one line on
stderr pointing at --help, nothing on stdout, no request), and -c names that must be
columns."""
from __future__ import annotations

import argparse
import io
import sys

import pytest

from pciclient import exceptions as exc
from pciclient import shell
from pciclient.commands import common
from pciclient.commands.hypervisor import ListHypervisor
from pciclient.commands.pci_device import ListPciDevice
from pciclient.commands.registry import COMMANDS
from pciclient.v2 import resource_fields as fields
from tests.unit import samples
from tests.unit.placement_cloud import NOVA, PLACEMENT

URL = 'http://nova.test:8774/v2.1'
NOAUTH = ['--os-auth-type', 'none', '--os-endpoint', URL]
LISTERS = [name for name, _, target in COMMANDS if ':List' in target]


pytestmark = pytest.mark.usefixtures('no_cloud_settings')


@pytest.fixture
def cloud(requests_mock):
    requests_mock.get(f'{URL}/servers/{samples.SERVER_UUID}', json={'server': samples.SERVER})
    requests_mock.get(f'{URL}/os-hypervisors', json={'hypervisors': samples.HYPERVISORS})
    requests_mock.get(f'{URL}/os-hypervisors/detail', json={'hypervisors': [
        samples.BLUEPRINT_HYPERVISOR, samples.MERGED_HYPERVISOR]})
    requests_mock.get(f'{URL}/os-pci', json={'pci_devices': [
        samples.brief(samples.BLUEPRINT_DEVICE), samples.brief(samples.FREE_GPU)]})
    requests_mock.get(f'{URL}/os-pci/detail', json={'pci_devices': [
        samples.BLUEPRINT_DEVICE, samples.FREE_GPU]})
    requests_mock.get(f'{URL}/os-pci/1', json={'pci_device': samples.BLUEPRINT_DEVICE})
    requests_mock.get(f'{URL}/os-hypervisors/1', json={'hypervisor': samples.BLUEPRINT_HYPERVISOR})
    requests_mock.get(f'{URL}/servers/detail', json={'servers': [samples.SERVER]})
    return requests_mock


def run(capsys, *argv, auth=NOAUTH):
    code = shell.main([*auth, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def usage_error(capsys, *argv, auth=NOAUTH):
    """The one line of a usage error (checked: exit 2, nothing on stdout)."""
    code, out, err = run(capsys, *argv, auth=auth)
    assert (code, out) == (2, ''), (code, out, err)
    assert err.endswith('\n') and err.count('\n') == 1 and '--help)' in err, err
    return err.rstrip('\n')


def command_error(capsys, *argv):
    """The one line of a CommandError after the answer (exit 1, nothing on stdout)."""
    code, out, err = run(capsys, *argv)
    assert (code, out) == (1, ''), (code, out, err)
    assert err.endswith('\n') and err.count('\n') == 1, err
    return err.rstrip('\n')


# --- unknown commands and options, no command ------------------------------------------

def test_an_unknown_command_names_the_likely_one(requests_mock, capsys):
    assert usage_error(capsys, 'pci-lst', '-f', 'json') == (
        "pci-cli: error: 'pci-lst' is not a pci-cli command; did you mean pci-list? "
        '(see pci-cli --help)')
    assert requests_mock.request_history == []


def test_an_unknown_command_alike_to_none_lists_the_commands(capsys):
    line = usage_error(capsys, 'frobnicate')
    assert "'frobnicate' is not a pci-cli command; the commands are: pci-list, " in line


def test_a_prefix_of_several_commands_names_them(capsys):
    assert 'did you mean hypervisor-list or hypervisor-show?' in usage_error(capsys, 'hyper')


def test_a_prefix_of_one_command_still_runs_it(cloud, capsys):
    code, out, err = run(capsys, 'hypervisor-l', '-f', 'value', '-c', 'ID')
    assert (code, out, err) == (0, '1\n2\n', '')


def test_an_unknown_option_before_the_command(requests_mock, capsys):
    assert usage_error(capsys, '--bogus', 'pci-list') == (
        'pci-cli: error: unrecognized arguments: --bogus (see pci-cli --help)')
    assert requests_mock.request_history == []


@pytest.mark.parametrize('argv', [[], ['--debug'], ['--insecure'], ['-v']], ids=repr)
def test_no_command_is_a_usage_error_never_the_interactive_shell(monkeypatch, capsys, argv):
    monkeypatch.setattr(sys, 'stdin', io.StringIO('pci-list\n'))
    line = usage_error(capsys, *argv)
    assert line.startswith('pci-cli: error: no command given; the commands are: pci-list, ')
    assert sys.stdin.read() == 'pci-list\n'   # nothing read


def test_no_arguments_at_all_is_a_usage_error(capsys):
    usage_error(capsys, auth=[])


def test_help_alone_still_lists_the_commands(capsys):
    code, out, err = run(capsys, '--help')
    assert code == 0 and err == ''
    assert 'pci-list' in out and 'hypervisor-show' in out


def test_help_for_an_unknown_command(capsys):
    assert "'pci-lst' is not a pci-cli command; did you mean pci-list?" in usage_error(
        capsys, 'help', 'pci-lst')


def test_help_and_complete_options_are_one_line_too(capsys):
    assert usage_error(capsys, 'help', '--bogus').startswith('pci-cli help: error: ')
    assert usage_error(capsys, 'complete', '--bogus').startswith('pci-cli complete: error: ')


def test_help_for_a_command_still_works(capsys):
    code, out, err = run(capsys, 'help', 'pci-list')
    assert code == 0 and err == '' and '--long' in out


def test_errors_are_named_pci_cli_whatever_argv0_says(monkeypatch, capsys):
    monkeypatch.setattr(sys, 'argv', ['/usr/lib/python3/something.py'])
    assert usage_error(capsys, '--os-retries', '11', 'pci-list').startswith('pci-cli: error: ')


# --- control characters never break the line ---------------------------------------------

@pytest.mark.parametrize('typed, shown', [
    ('a\nb', 'a\\nb'), ('a\rb', 'a\\rb'), ('a\x1b[2Jb', 'a\\x1b[2Jb'), ('a\x7fb', 'a\\x7fb'),
    ('a\x85b', 'a\\x85b'), ('a\x00b', 'a\\x00b'), ('a\tb', 'a\\tb'), ('é💥', 'é💥'),
], ids=repr)
def test_a_stray_argument_is_echoed_escaped(capsys, typed, shown):
    line = usage_error(capsys, 'hypervisor-list', typed)
    assert line == (f'pci-cli hypervisor-list: error: unrecognized arguments: {shown} '
                    '(see pci-cli hypervisor-list --help)')


def test_an_unknown_command_with_a_line_break_is_escaped(capsys):
    assert "'pci\\nlist' is not a pci-cli command" in usage_error(capsys, 'pci\nlist')


def test_an_unknown_global_option_with_a_line_break_is_escaped(capsys):
    assert 'unrecognized arguments: --a\\nb ' in usage_error(capsys, '--a\nb', 'pci-list')


# --- -c/--column ----------------------------------------------------------------------------

def test_a_column_that_does_not_exist_asks_no_cloud(requests_mock, capsys):
    assert usage_error(capsys, 'pci-list', '-c=json') == (
        "pci-cli pci-list: error: no column named 'json'; the columns are: ID, Address, Host, "
        'Vendor ID, Product ID, Status, Source, Address Of (see pci-cli pci-list --help)')
    assert requests_mock.request_history == []


def test_one_wrong_column_among_right_ones_is_an_error_too(requests_mock, capsys):
    line = usage_error(capsys, 'pci-list', '-c', 'ID', '-c', 'Adress', '-c', 'Hots')
    assert "no columns named 'Adress', 'Hots'; the columns are: ID, " in line
    assert requests_mock.request_history == []


def test_long_columns_need_long(cloud, capsys):
    line = usage_error(capsys, 'hypervisor-list', '-c', 'vCPUs')
    assert line == ("pci-cli hypervisor-list: error: column 'vCPUs' needs --long "
                    '(see pci-cli hypervisor-list --help)')
    code, out, err = run(capsys, 'pci-list', '--long', '-c', 'dev_id', '-c', 'ID', '-f', 'csv')
    assert (code, err) == (0, '')
    assert out.splitlines()[0] == '"ID","Dev ID"'


@pytest.mark.parametrize('argv, expected', [
    (['-c', 'Type'], "column 'Type' needs --long"),
    (['-c', 'type', '-c', 'Extra Info'], "columns 'type', 'Extra Info' need --long"),
    (['--sort-column', 'Type'], "column 'Type' needs --long"),
    (['-c', 'Type', '-c', 'Adress'],
     "column 'Type' needs --long; no column named 'Adress'; the columns are: ID, Address"),
])
def test_a_long_column_without_long_says_add_long(cloud, capsys, argv, expected):
    """-c Type names a column of pci-list --long: without --long the fix is --long, not a
    spelling; the names no view has are still "no column named"."""
    line = usage_error(capsys, 'pci-list', *argv)
    assert line.startswith(f'pci-cli pci-list: error: {expected}'), line
    assert cloud.request_history == []


# capacity's view follows its flags (--summary, --explain, --verify): test_capacity_cli.py
# checks each of its views the same way; sriov-port-list needs Neutron: test_sriov_ports.py.
@pytest.mark.parametrize('name', [name for name in LISTERS
                                  if name not in ('capacity', 'sriov-port-list')])
def test_every_column_a_lister_announces_is_the_one_it_shows(cloud, capsys, name):
    """A lister's ``views``/``long_views`` say what its rows hold: every label they name
    must select exactly that column of the real output."""
    command = _command_class(name)
    plain, long = command.views, command.long_views
    for args, views in (([], plain), (['--long'], long)):
        for label in common._labels(views) if views else ():
            if label in _placement_only():
                continue
            code, out, err = run(capsys, name, *args, '-c', label, '-f', 'csv')
            assert (code, err) == (0, ''), (name, args, label, err)
            assert out.splitlines()[0] == f'"{label}"'


@pytest.mark.parametrize('name', LISTERS)
def test_every_lister_declares_its_views(name):
    assert _command_class(name).views, f'{name} checks no -c names before asking the cloud'



def test_a_column_of_the_other_source_fails_after_the_answer(placement, capsys):
    code, out, err = run(capsys, 'pci-list', '--long', '-c', 'Dev ID', '-c', 'ID',
                         auth=['--os-auth-type', 'none', '--os-endpoint', NOVA,
                               '--pci-source', 'placement',
                               '--os-placement-endpoint-override', PLACEMENT])
    assert (code, out) == (1, '')
    assert err.startswith("No column named 'Dev ID' in this answer; the columns are: ID, ")
    assert 'Resource Class' in err and err.count('\n') == 1


def test_a_show_field_the_answer_lacks_is_a_one_line_error(cloud, capsys):
    line = command_error(capsys, 'pci-show', '1', '-c', 'address', '-c', 'adress')
    assert line.startswith("No column named 'adress' in this answer; the columns are: "
                           'address, compute_node_id, ')


def test_a_show_field_the_cloud_added_can_be_chosen(cloud, capsys):
    code, out, err = run(capsys, 'hypervisor-show', '1', '-c', 'vcpus', '-c', 'State',
                         '-f', 'value')
    assert (code, out, err) == (0, 'up\n4\n', '')


def test_inside_openstack_a_long_column_says_add_long_too(capsys):
    parser = ListHypervisor(_OtherApp(), None).get_parser('openstack pci hypervisor list')
    with pytest.raises(SystemExit) as stop:
        parser.parse_args(['-c', 'Running VMs'])
    assert stop.value.code == 2
    assert capsys.readouterr().err == ("openstack pci hypervisor list: error: column "
                                       "'Running VMs' needs --long (see "
                                       'openstack pci hypervisor list --help)\n')


def test_strict_columns_raise_a_client_exception():
    """Inside openstack too: a CommandError, which OSC shows as one line (exit 1)."""
    command = ListPciDevice(_OtherApp(), None)
    with pytest.raises(exc.CommandError, match=r"^No column named 'Dev ID' in this answer"):
        command._generate_columns_and_selector(argparse.Namespace(columns=['Dev ID']),
                                               fields.PCI_DEVICE_LIST_LONG_PLACEMENT.labels)


def test_the_parser_checks_columns_inside_openstack_too(capsys):
    parser = ListHypervisor(_OtherApp(), None).get_parser('openstack pci hypervisor list')
    with pytest.raises(SystemExit) as stop:
        parser.parse_args(['-c', 'Nope'])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        "openstack pci hypervisor list: error: no column named 'Nope'; the columns are: ID, "
        'Hostname, State, Status (see openstack pci hypervisor list --help)\n')


def test_the_column_help_says_names_are_checked(capsys):
    code, out, _ = run(capsys, 'help', 'pci-list')
    text = ' '.join(out.split())
    assert code == 0
    assert ('ID, Address, Host, Vendor ID, Product ID, Status, Source, Address Of; with --long '
            'also Type,') in text
    assert 'never ignored' in text
    code, out, _ = run(capsys, 'help', 'server-show')
    assert 'never ignored' in ' '.join(out.split())


def _command_class(command: str) -> type:
    import importlib

    module, _, cls = dict((name, target) for name, _, target in COMMANDS)[command].partition(':')
    return getattr(importlib.import_module(module), cls)


def _placement_only() -> set[str]:
    """Columns the os-pci cloud of these tests cannot show (pci-list --long from Placement)."""
    return (set(fields.PCI_DEVICE_LIST_LONG_PLACEMENT.labels)
            - set(fields.PCI_DEVICE_LIST_LONG.labels))


class _OtherApp:
    """An app that is not pci-cli (as openstack is to the command classes)."""

    stdout = sys.stdout
    options = argparse.Namespace(debug=False)
