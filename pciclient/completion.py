"""``pci-cli complete``: a completion script for bash, and for zsh through bashcompinit.

cliff's own script calls ``_get_comp_words_by_ref``, a function of the bash-completion
package: without that package every Tab printed "command not found". This script reads
bash's ``COMP_WORDS``/``COMP_CWORD`` itself, so it needs nothing but a shell with
programmable completion. Besides command names and options it completes the values of
options that take one of a fixed set (``-f``, ``--type``, ``--status``, ``--pci-source``,
``--os-interface``…), files for the options that name one, and command names after
``help``. ``--shell none`` prints cliff's data-only format.

Imported only when ``complete`` runs or ``--help`` lists the commands: it stays light.
"""
from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cliff import command

from pciclient.commands.common import _OwnApp, one_line_errors

SHELLS = ('bash', 'zsh', 'none')

# What follows an option, as the script's lookup function returns it.
CHOICES, FLAG, FILE, DIRECTORY, VALUE = 0, 1, 2, 3, 4

#: Options whose value is a file or a directory (completed from the file system).
_FILES = frozenset({'--log-file', '--os-cacert', '--os-cert', '--os-key', '--pci-ids'})
_DIRECTORIES = frozenset({'--local-sysfs-root'})
#: A word the script may hold unquoted: anything else is left out of the choices.
_PLAIN = re.compile(r'^[A-Za-z0-9_.,:+/@%-]+$')
_NAME = re.compile(r'^[A-Za-z0-9_.+-]+$')


def _extra_choices() -> dict[tuple[str, str], tuple[str, ...]]:
    """Values of options whose parser checks them with a function, not ``choices``
    (``''`` is pci-cli itself: its options come before the command)."""
    from pciclient.options import AUTH_PLUGINS
    from pciclient.v2.pci_devices import ALL_STATUSES
    from pciclient.v2.sources import SOURCES

    interfaces = ('public', 'internal', 'admin')
    extra: dict[tuple[str, str], tuple[str, ...]] = {
        ('pci-list', '--status'): tuple(ALL_STATUSES), ('', '--pci-source'): SOURCES}
    for option in ('--os-interface', '--os-compute-interface', '--os-placement-interface',
                   '--os-network-interface'):
        extra['', option] = interfaces
    for option in ('--os-auth-type', '--os-auth-plugin'):
        extra['', option] = tuple(AUTH_PLUGINS)
    return extra


@dataclass(frozen=True)
class Option:
    """One option as the script sees it: its spellings, what follows it, its choices."""

    names: tuple[str, ...]
    kind: int
    choices: tuple[str, ...] = ()


def options_of(parser: argparse.ArgumentParser, command_name: str,
               extra: dict[tuple[str, str], tuple[str, ...]]) -> list[Option]:
    """The optional arguments of ``parser`` (``command_name`` ``''``: pci-cli's own)."""
    found = []
    for action in parser._actions:   # noqa: SLF001 - argparse keeps no public list
        names = tuple(action.option_strings)
        if not names:
            continue
        choices: Iterable[Any] = action.choices or next(
            (extra[command_name, name] for name in names if (command_name, name) in extra), ())
        plain = tuple(str(c) for c in choices if c is not None and _PLAIN.match(str(c)))
        if action.nargs == 0:
            kind = FLAG
        elif plain:
            kind = CHOICES
        elif _FILES.intersection(names):
            kind = FILE
        elif _DIRECTORIES.intersection(names):
            kind = DIRECTORY
        else:
            kind = VALUE
        found.append(Option(names, kind, plain if kind == CHOICES else ()))
    return found


def _quote(words: Iterable[str]) -> str:
    return "'" + ' '.join(words) + "'"


def bash_script(prog: str, own: Sequence[Option], commands: Mapping[str, Sequence[Option]],
                zsh: bool = False) -> str:
    """The completion script for ``prog``: its own options ``own`` (before a command),
    and each command's options."""
    function = '_' + re.sub(r'[^A-Za-z0-9_]', '_', prog)
    names = sorted(commands)
    options_cases = [f"    '') echo {_quote(n for o in own for n in o.names)};;"]
    options_cases += [f"    '{name}') echo {_quote(n for o in commands[name] for n in o.names)};;"
                      for name in names]
    value_cases = []
    for name, opts in [('', own)] + [(name, commands[name]) for name in names]:
        for kind in (CHOICES, FILE, DIRECTORY, VALUE):
            for option in (o for o in opts if o.kind == kind):
                pattern = '|'.join(f"'{name} {spelling}'" for spelling in option.names)
                echo = f'echo {_quote(option.choices)}; ' if kind == CHOICES else ''
                value_cases.append(f'    {pattern}) {echo}return {kind};;')
    head = _ZSH_HEAD if zsh else _BASH_HEAD
    body = _BODY.format(function=function, prog=prog, commands=_quote(names),
                        options='\n'.join(options_cases), values='\n'.join(value_cases))
    return head.format(prog=prog) + body


_BASH_HEAD = """\
# Completion of {prog} for bash: source <({prog} complete), e.g. from ~/.bashrc.
# Needs no bash-completion package; zsh: {prog} complete --shell zsh.
if ! type complete >/dev/null 2>&1; then
  echo '{prog} completion needs bash with programmable completion (complete, compgen)' >&2
  return 1 2>/dev/null || exit 1
fi
"""

_ZSH_HEAD = """\
# Completion of {prog} for zsh, through bashcompinit: source <({prog} complete --shell zsh)
# in ~/.zshrc, after compinit.
if ! (( $+functions[compdef] )); then
  echo '{prog} completion needs compinit first: autoload -U compinit && compinit' >&2
  return 1
fi
autoload -U +X bashcompinit && bashcompinit
"""

# Indices count from 0 in bash and from 1 in zsh: the words are walked, never indexed.
_BODY = """\
{function}_commands={commands}

# The options of command $1 ('' for {prog}'s own, before the command).
{function}_options()
{{
  case "$1" in
{options}
  esac
}}

# What follows option $2 of command $1: 0 one of the choices it prints, 2 a file,
# 3 a directory, 4 any value; 1: nothing (a flag, or no such option).
{function}_value()
{{
  case "$1 $2" in
{values}
  esac
  return 1
}}

# What takes option $2 after command $1, whose own options come first.
{function}_takes()
{{
  local kind
  {function}_value "$1" "$2"; kind=$?
  if (( kind == 1 )) && [[ -n $1 ]]; then
    {function}_value '' "$2"; kind=$?
  fi
  return $kind
}}

{function}()
{{
  local cur='' cmd='' want='' last='' word='' list='' prefix='' kind=1 i=0
  COMPREPLY=()
  for word in "${{COMP_WORDS[@]}}"; do
    if (( i == COMP_CWORD )); then
      cur=$word
      break
    fi
    if (( i > 0 )); then
      if [[ $word == '=' && $last == -* ]]; then   # bash splits --opt=value at '='
        want=$last
      elif [[ -n $want ]]; then                   # the value of the option before
        want=''
      elif [[ $word == -* ]]; then
        if [[ $word != *=* ]]; then
          {function}_takes "$cmd" "$word" >/dev/null
          (( $? != 1 )) && want=$word
        fi
      elif [[ -z $cmd ]]; then
        cmd=$word
      fi
    fi
    last=$word
    i=$((i + 1))
  done
  if [[ $cur == '=' ]]; then
    cur=''
  elif [[ -z $want && $cur == -*=* ]]; then       # zsh keeps --opt=value in one word
    want=${{cur%%=*}}
    prefix="$want="
    cur=${{cur#*=}}
  fi
  if [[ -n $want ]]; then
    list=$({function}_takes "$cmd" "$want"); kind=$?
    case $kind in
      0) COMPREPLY=( $(compgen -P "$prefix" -W "$list" -- "$cur") );;
      2|3)
        type compopt >/dev/null 2>&1 && compopt -o filenames 2>/dev/null
        local IFS=$'\\n'
        if (( kind == 2 )); then
          COMPREPLY=( $(compgen -P "$prefix" -f -- "$cur") )
        else
          COMPREPLY=( $(compgen -P "$prefix" -d -- "$cur") )
        fi;;
    esac
  elif [[ $cur == -* ]]; then
    COMPREPLY=( $(compgen -W "$({function}_options "$cmd")" -- "$cur") )
  elif [[ -z $cmd || $cmd == help ]]; then
    COMPREPLY=( $(compgen -W "${function}_commands" -- "$cur") )
  fi
  return 0
}}
complete -F {function} {prog}
"""


def data_only(commands: Mapping[str, Sequence[Option]]) -> str:
    """cliff's ``--shell none`` format: the commands, then each command's options."""
    names = sorted(commands)
    lines = [f"cmds={_quote(names)}"]
    lines += [f"cmds_{name.replace('-', '_')}={_quote(n for o in commands[name] for n in o.names)}"
              for name in names]
    return '\n'.join(lines) + '\n'


class CompleteCommand(_OwnApp, command.Command):
    """Print a completion script: source <(pci-cli complete) in ~/.bashrc (zsh: --shell zsh)"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument('--name', metavar='<command_name>',
                            help='The command to complete (default: the name of this one, '
                                 'e.g. for an alias).')
        parser.add_argument('--shell', default='bash', choices=SHELLS,
                            help='bash (the default), zsh (through bashcompinit), or none '
                                 '(the data only, as cliff prints it).')
        return one_line_errors(parser, f'{prog_name} --help')

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        prog = parsed_args.name or self.app.NAME
        if not _NAME.match(prog):
            self.get_parser(f'{self.app.NAME} complete').error(
                f'--name {prog!r}: only letters, digits, ".", "_", "+" and "-"')
        extra = _extra_choices()
        commands: dict[str, Sequence[Option]] = {}
        for name, entry in self.app.command_manager:
            cmd = entry.load()(self.app, None, cmd_name=name)
            parser = cmd.get_parser(f'{self.app.NAME} {name}')
            commands[name] = options_of(parser, name, extra)
        if parsed_args.shell == 'none':
            self.app.stdout.write(data_only(commands))
            return 0
        own = options_of(self.app.parser, '', extra)
        self.app.stdout.write(bash_script(prog, own, commands, zsh=parsed_args.shell == 'zsh'))
        return 0
