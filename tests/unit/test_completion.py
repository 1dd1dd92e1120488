"""``pci-cli complete``: the script it prints, run in a real bash (and zsh when installed).

The shells run with no start-up files (``--norc``, ``-f``), so bash-completion's
``_get_comp_words_by_ref``, which cliff's own script calls, is never there.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pciclient import shell

pytestmark = pytest.mark.usefixtures('no_cloud_settings')
BASH = shutil.which('bash')
ZSH = shutil.which('zsh')


def script(capsys, *args: str) -> str:
    assert shell.main(['complete', *args]) == 0
    out, err = capsys.readouterr()
    assert err == ''
    return out


# Each case: the words on the line (the last one is being completed), what is offered.
CASES = [
    (['pci-cli', ''], 'capacity complete help hypervisor-list hypervisor-show pci-list '
                      'pci-pool-list pci-show server-list server-show sriov-port-list'),
    (['pci-cli', 'pci-p'], 'pci-pool-list'),
    (['pci-cli', 'pci-list', '--st'], '--status'),
    (['pci-cli', 'pci-list', '--status', 'a'], 'available allocated'),
    (['pci-cli', 'pci-list', '--type', ''], 'type-PCI type-PF type-VF vdpa'),
    (['pci-cli', 'pci-list', '-f', ''], 'csv json table value yaml'),
    (['pci-cli', 'pci-show', '--format', ''], 'json shell table value yaml'),
    (['pci-cli', 'pci-list', '--quote', 'n'], 'none nonnumeric'),
    (['pci-cli', 'capacity', '--pci-in-placement', ''], 'auto yes no'),
    (['pci-cli', 'complete', '--shell', ''], 'bash zsh none'),
    # pci-cli's own options, before the command (and their values are not the command).
    (['pci-cli', '--pci-s'], '--pci-source'),
    (['pci-cli', '--pci-source', ''], 'auto os-pci placement neutron'),
    (['pci-cli', '--os-interface', 'p'], 'public'),
    (['pci-cli', '--os-cloud', 'pci-list', 'pci-s'], 'pci-show'),
    (['pci-cli', '--os-cloud', 'mine', 'pci-list', '--type', 'type-V'], 'type-VF'),
    (['pci-cli', '--debug', 'hypervisor-list', '--lo'], '--long'),
    # bash splits --status=a at "=": a word of its own.
    (['pci-cli', 'pci-list', '--status', '=', ''],
     'available claimed allocated removed deleted unclaimable unavailable partial'),
    (['pci-cli', 'pci-list', '--status', '=', 'av'], 'available'),
    (['pci-cli', 'pci-list', '--status=av'], '--status=available'),
    (['pci-cli', 'help', 'server-'], 'server-list server-show'),
    # A value nobody can guess, a flag's next word, a positional argument: nothing.
    (['pci-cli', 'pci-list', '--host', ''], ''),
    (['pci-cli', 'pci-show', ''], ''),
]


def bash_complete(text: str, cases: list[tuple[list[str], str]]) -> list[str]:
    """What the completion function offers for each line, in one bash."""
    lines = ['source /dev/stdin <<"PCI_CLI_EOF"', text, 'PCI_CLI_EOF',
             'type _get_comp_words_by_ref >/dev/null 2>&1 && echo bash-completion is loaded']
    for words, _ in cases:
        quoted = ' '.join("'" + word + "'" for word in words)
        lines += [f'COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; _pci_cli',
                  'echo "${COMPREPLY[*]}"']
    result = subprocess.run([BASH, '--norc', '--noprofile', '-c', '\n'.join(lines)],
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0 and result.stderr == '', result.stderr
    return result.stdout.splitlines()


@pytest.mark.skipif(BASH is None, reason='bash is not installed')
def test_bash_completes_commands_options_and_choices(capsys):
    text = script(capsys)
    assert 'complete -F _pci_cli pci-cli' in text
    assert bash_complete(text, CASES) == [offered for _, offered in CASES]


@pytest.mark.skipif(BASH is None, reason='bash is not installed')
def test_bash_completes_files_for_options_that_name_one(capsys, tmp_path, monkeypatch):
    (tmp_path / 'pci.ids').write_text('')
    (tmp_path / 'sys').mkdir()
    monkeypatch.chdir(tmp_path)
    cases = [(['pci-cli', '--pci-ids', 'pci'], 'pci.ids'),
             (['pci-cli', '--local-sysfs-root', ''], 'sys'),
             (['pci-cli', 'pci-list', '--pci-ids', 'pc'], 'pci.ids')]
    assert bash_complete(script(capsys), cases) == [offered for _, offered in cases]


@pytest.mark.skipif(BASH is None, reason='bash is not installed')
def test_bash_without_programmable_completion_says_what_it_needs(capsys, tmp_path):
    (tmp_path / 'completion.bash').write_text(script(capsys))
    # As a shell built without programmable completion: no "complete" builtin.
    result = subprocess.run(
        [BASH, '--norc', '--noprofile', '-c',
         f'enable -n complete; source {tmp_path / "completion.bash"}; echo "rc=$?"'],
        capture_output=True, text=True, timeout=30, check=False)
    assert result.stdout == 'rc=1\n'
    assert result.stderr == ('pci-cli completion needs bash with programmable completion '
                             '(complete, compgen)\n')


@pytest.mark.skipif(ZSH is None, reason='zsh is not installed')
def test_zsh_through_bashcompinit(capsys, tmp_path):
    """zsh's bashcompinit runs the same function; zsh filters the offers by what is typed."""
    path = tmp_path / 'completion.zsh'
    path.write_text(script(capsys, '--shell', 'zsh'))
    cases = [(['pci-cli', ''], 'capacity complete help hypervisor-list hypervisor-show '
                               'pci-list pci-pool-list pci-show server-list server-show '
                               'sriov-port-list'),
             (['pci-cli', '--os-cloud', 'x', 'pci-list', '-f', ''], 'csv json table value yaml'),
             (['pci-cli', 'pci-list', '--type', ''], 'type-PCI type-PF type-VF vdpa')]
    lines = ['autoload -U compinit && compinit -u -D', f'source {path}',
             'print -r -- "${_comps[pci-cli]}"']
    for words, _ in cases:
        quoted = ' '.join("'" + word + "'" for word in words)
        lines += [f'COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; _pci_cli',
                  'print -r -- "${COMPREPLY[*]}"']
    result = subprocess.run([ZSH, '-f', '-c', '\n'.join(lines)], capture_output=True,
                            text=True, timeout=30, check=False, cwd=tmp_path,
                            env={'HOME': str(tmp_path), 'PATH': '/usr/bin:/bin'})
    assert result.returncode == 0 and result.stderr == '', result.stderr
    assert result.stdout.splitlines() == ['_bash_complete -F _pci_cli'] + [
        offered for _, offered in cases]
    # Without compinit, one line says what is missing.
    result = subprocess.run([ZSH, '-f', '-c', f'source {path}; echo "rc=$?"'],
                            capture_output=True, text=True, timeout=30, check=False)
    assert (result.stdout, result.stderr) == (
        'rc=1\n', 'pci-cli completion needs compinit first: autoload -U compinit && compinit\n')


def test_none_prints_the_data_only(capsys):
    text = script(capsys, '--shell', 'none')
    lines = text.splitlines()
    assert lines[0] == ("cmds='capacity complete help hypervisor-list hypervisor-show "
                        "pci-list pci-pool-list pci-show server-list server-show sriov-port-list'")
    assert "cmds_complete='-h --help --name --shell'" in lines
    assert 'complete -F' not in text


def test_name_completes_another_command_name(capsys):
    text = script(capsys, '--name', 'pci')
    assert text.rstrip().endswith('complete -F _pci pci')


@pytest.mark.parametrize('args', [['--shell', 'fish'], ['--name', 'a b'], ['--name', '$(x)']])
def test_bad_shell_or_name_is_one_line_usage_error(capsys, args):
    assert shell.main(['complete', *args]) == 2
    out, err = capsys.readouterr()
    assert out == '' and err.startswith('pci-cli complete: error: ') and err.count('\n') == 1


def test_complete_is_imported_only_when_asked():
    """cliff's complete scanned every installed distribution's entry points for its
    shells when the command was created (--help creates every command); ours is a
    module of its own, imported when ``complete`` runs."""
    code = ('import sys; from pciclient import shell; shell.PciShell(); '
            'print("pciclient.completion" in sys.modules)')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            timeout=60, check=True, cwd=Path(__file__).parents[2])
    assert result.stdout == 'False\n'
