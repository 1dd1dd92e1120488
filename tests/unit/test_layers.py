"""The library is a library: it knows nothing of the CLI above it.

Imports are read from the source (module level and inside functions alike), so a lazy
``import`` in a function cannot slip a CLI concern back into the library unseen.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / 'pciclient'
LIBRARY = sorted([*PACKAGE.glob('v2/*.py'),
                  *(PACKAGE / name for name in ('http.py', 'connection_failures.py',
                                                'exceptions.py', 'client.py', 'jsondoc.py',
                                                'text.py'))])
#: The CLI and the plugin: option parsing, output, error wording for a terminal.
ABOVE = ('pciclient.commands', 'pciclient.shell', 'pciclient.options', 'pciclient.osc',
         'pciclient.clientmanager', 'pciclient.main', 'cliff', 'osc_lib', 'openstackclient')


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f'{node.module}.{alias.name}' for alias in node.names)
    return names


@pytest.mark.parametrize('path', LIBRARY, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_library_imports_nothing_above_it(path):
    upwards = sorted(name for name in _imported(path)
                     if any(name == top or name.startswith(top + '.') for top in ABOVE))
    assert upwards == []
