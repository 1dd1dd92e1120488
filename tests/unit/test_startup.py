"""What ``pci-cli`` does before a command runs: which modules it imports, and the garbage
collector paused for start-up (see :mod:`pciclient.main`). Each check runs in a fresh
interpreter, so that nothing the test run imported counts. (Speed itself is measured by
``python -m benchmarks``, never asserted here.)"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def fresh(code: str) -> list:
    """Run ``code`` in a new interpreter with no cloud settings; its stdout's lines that
    are JSON lists."""
    env = {'PATH': '/usr/bin:/bin', 'HOME': '/nonexistent'}
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            timeout=60, check=False, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith('[')]


def test_the_collector_is_paused_for_start_up_and_runs_for_the_command():
    seen = fresh("""
import gc, json, sys
from pciclient import completion, main

def take_action(self, parsed_args):
    print(json.dumps(['command', gc.isenabled(), gc.get_freeze_count() > 1000]))
    return 0

completion.CompleteCommand.take_action = take_action
runs = [['first', main.main(['complete']), gc.isenabled()]]
frozen = gc.get_freeze_count()
runs.append(['again', main.main(['complete']), gc.isenabled(),
             gc.get_freeze_count() <= frozen])
print(json.dumps(runs))
""")
    # Frozen and collecting again when the command runs; a second run in the same
    # process (a program calling main() again) freezes nothing of its own.
    assert seen == [['command', True, True], ['command', True, True],
                    [['first', 0, True], ['again', 0, True, True]]]


def test_the_collector_resumes_when_no_command_runs():
    seen = fresh("""
import gc, json
from pciclient import main
codes = [main.main(['no-such-command'])]
enabled = gc.isenabled()
print(json.dumps([codes, enabled, gc.get_freeze_count() > 1000]))
""")
    assert seen == [[[2], True, True]]


def test_the_collector_is_left_alone_when_it_was_off():
    assert fresh("""
import gc, json
from pciclient import main
gc.disable()
code = main.main(['no-such-command'])
print(json.dumps([code, gc.isenabled(), gc.get_freeze_count()]))
""") == [[2, False, 0]]


def test_what_start_up_does_not_import():
    """The app, before a command: no completion script generator, no clouds.yaml
    machinery, no YAML, no table formatter, no fake cloud; ``--version``: not even cliff."""
    loaded = fresh("""
import json, sys
from pciclient import main
main.main(['--version'])
version = sorted(sys.modules)
from pciclient import shell
shell.PciShell()
print(json.dumps([version, sorted(sys.modules)]))
""")
    version, app = (set(names) for names in loaded[0])
    assert not {name for name in version if name.split('.')[0] in
                ('cliff', 'keystoneauth1', 'requests', 'stevedore')}
    unexpected = ('pciclient.completion', 'pciclient.fakeserver', 'yaml', 'prettytable',
                  'osc_lib', 'openstack', 'cliff.formatters.table', 'cmd2')
    assert not {name for name in app if name.startswith(unexpected)}


def test_a_json_listing_parses_its_options_without_the_yaml_formatter():
    """``-f json`` builds the parser of every formatter's options: cliff's YAML formatter
    has none, and is imported only when YAML is printed."""
    loaded = fresh("""
import json, sys
from pciclient import shell
from pciclient.commands.pci_device import ListPciDevice
app = shell.PciShell()
ListPciDevice(app, None).get_parser('pci-list').parse_args(['-f', 'json'])
print(json.dumps(sorted(sys.modules)))
""")
    assert 'cliff.formatters.yaml_format' not in loaded[0]
    assert 'yaml' not in loaded[0]


def test_cliffs_yaml_formatter_still_has_no_options():
    """Ours declares none (see ``YAMLFormatter.add_argument_group``): were cliff to give
    its YAML formatter options, this says they must be declared."""
    import argparse

    from cliff.formatters.yaml_format import YAMLFormatter as CliffYAML

    parser = argparse.ArgumentParser()
    before = [action.dest for action in parser._actions]
    CliffYAML().add_argument_group(parser)
    assert [action.dest for action in parser._actions] == before
    assert len(parser._action_groups) == 2   # argparse's own two


def test_keystoneauth_and_urllib3_are_imported_before_our_modules():
    """From :func:`pciclient.main.main` itself, at a depth our own modules do not change
    (CPython < 3.13 re-maps a frame-stack chunk on every call across its boundary:
    see :mod:`pciclient.main`)."""
    started = fresh("""
import json, sys

class Recorder:
    seen = []
    def find_spec(self, name, path=None, target=None):
        self.seen.append(name)
        return None

sys.meta_path.insert(0, Recorder())
from pciclient import main
main.main(['no-such-command'])
print(json.dumps(Recorder.seen))
""")[0]
    ours = started.index('pciclient.shell')
    assert started.index('keystoneauth1.loading') < ours
    assert started.index('urllib3') < ours
