"""Read a YAML file as nodes that know their line, and take values out of them strictly.

A scenario mistake must be reported as ``FILE:LINE: what is wrong`` before
anything starts. PyYAML's constructed Python objects have lost their lines, so
the schema walks PyYAML's composed nodes instead. Scalars are taken as the text
the author wrote: YAML 1.1 would otherwise turn ``0000:04:10.0`` into a number
(base 60), ``0010`` into 8 and ``no`` into False, none of which anyone meant in
an address, an id or a password.
"""
from __future__ import annotations

import re
from collections.abc import Collection

import yaml

__all__ = ['MAX_FILE_BYTES', 'Problem', 'ScenarioError', 'boolean', 'compose_file',
           'free_mapping', 'integer', 'line_of', 'mapping', 'number', 'scalar_text', 'sequence',
           'string']

MAX_FILE_BYTES = 16 * 1024 * 1024
_NULL_TAG = 'tag:yaml.org,2002:null'
_WHOLE_RE = re.compile(r'^[0-9]{1,12}$')
_DECIMAL_RE = re.compile(r'^[0-9]{1,12}(?:\.[0-9]{1,9})?$')
# Switches are the one place YAML's booleans are meant; only the unambiguous spellings count.
_TRUE_WORDS = frozenset({'true', 'yes', 'on'})
_FALSE_WORDS = frozenset({'false', 'no', 'off'})
_Loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)


class ScenarioError(Exception):
    """A scenario file cannot be used; ``str()`` is one line: ``FILE:LINE: what is wrong``.

    ``line`` is 1-based; 0 means the file as a whole (it cannot be read at all).
    """

    def __init__(self, path: str, line: int, message: str) -> None:
        self.path = path
        self.line = line
        self.message = ' '.join(message.split())  # one line, whatever the message held
        super().__init__(f'{path}:{line}: {self.message}')


class Problem(Exception):
    """What is wrong and where, before the file name is known to the raiser."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message

    def at(self, path: str) -> ScenarioError:
        return ScenarioError(path, self.line, self.message)


def line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _read_text(path: str) -> str:
    try:
        with open(path, 'rb') as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(path, 0, f'cannot read the file: {exc.strerror or exc}') from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(path, 0, f'the file is larger than {MAX_FILE_BYTES // 2**20} MiB')
    try:
        return data.decode('utf-8-sig')
    except UnicodeDecodeError as exc:
        line = data.count(b'\n', 0, exc.start) + 1
        raise ScenarioError(path, line, 'the file is not UTF-8 text') from None


def compose_file(path: str) -> yaml.Node:
    """The file's single YAML document as a node tree; ScenarioError for anything unreadable."""
    text = _read_text(path)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        what = ': '.join(part for part in (exc.context, exc.problem) if part)
        raise ScenarioError(path, line, f'YAML syntax error: {what or exc}') from None
    except yaml.reader.ReaderError as exc:
        line = text.count('\n', 0, max(exc.position, 0)) + 1
        raise ScenarioError(path, line, f'YAML syntax error: {exc.reason} '
                                        f'(character #x{exc.character:04x})'
                            if isinstance(exc.character, int) else
                            f'YAML syntax error: {exc.reason}') from None
    except yaml.YAMLError as exc:
        raise ScenarioError(path, 0, f'YAML syntax error: {exc}') from None
    if node is None:
        raise ScenarioError(path, 1, 'the file is empty: expected a mapping with a hosts: list')
    return node


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return 'a mapping'
    if isinstance(node, yaml.SequenceNode):
        return 'a list'
    if isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG and node.style is None:
        return 'empty'
    return f'{node.value!r}'


def mapping(node: yaml.Node, what: str, allowed: Collection[str],
            required: Collection[str] = ()) -> dict[str, yaml.Node]:
    """A mapping's value nodes by key; unknown, duplicate or missing keys are Problems."""
    if not isinstance(node, yaml.MappingNode):
        raise Problem(line_of(node), f'{what} must be a mapping, not {_kind(node)}')
    found: dict[str, yaml.Node] = {}
    key_lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.value == '':
            raise Problem(line_of(key_node), f'keys of {what} must be plain names')
        key = key_node.value
        if key in found:
            raise Problem(line_of(key_node), f'duplicate key {key!r} in {what} '
                                             f'(first at line {key_lines[key]})')
        if key not in allowed:
            raise Problem(line_of(key_node), f'unknown key {key!r} in {what} '
                                             f'(expected {", ".join(sorted(allowed))})')
        found[key] = value_node
        key_lines[key] = line_of(key_node)
    for key in required:
        if key not in found:
            raise Problem(line_of(node), f'{what} needs {key!r}')
    return found


def free_mapping(node: yaml.Node, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key, key node, value node) of a mapping whose keys are the author's to choose."""
    if not isinstance(node, yaml.MappingNode):
        raise Problem(line_of(node), f'{what} must be a mapping, not {_kind(node)}')
    items: list[tuple[str, yaml.Node, yaml.Node]] = []
    seen: dict[str, int] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.value == '':
            raise Problem(line_of(key_node), f'keys of {what} must be plain names')
        key = key_node.value
        if key in seen:
            raise Problem(line_of(key_node), f'duplicate key {key!r} in {what} '
                                             f'(first at line {seen[key]})')
        seen[key] = line_of(key_node)
        items.append((key, key_node, value_node))
    return items


def sequence(node: yaml.Node, what: str) -> list[yaml.Node]:
    if not isinstance(node, yaml.SequenceNode):
        raise Problem(line_of(node), f'{what} must be a list, not {_kind(node)}')
    return list(node.value)


def scalar_text(node: yaml.Node, what: str) -> str:
    """The text of a scalar exactly as written (an empty plain scalar is a Problem)."""
    if not isinstance(node, yaml.ScalarNode):
        raise Problem(line_of(node), f'{what} must be a single value, not {_kind(node)}')
    if node.tag == _NULL_TAG and node.style is None:
        raise Problem(line_of(node), f'{what} is empty')
    return node.value


def string(node: yaml.Node, what: str, max_length: int = 255) -> str:
    """A non-empty one-line string of at most ``max_length`` characters."""
    text = scalar_text(node, what)
    if not text.strip():
        raise Problem(line_of(node), f'{what} is empty')
    if len(text) > max_length:
        raise Problem(line_of(node), f'{what} is longer than {max_length} characters')
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
        raise Problem(line_of(node), f'{what} contains control characters')
    return text


def integer(node: yaml.Node, what: str, low: int, high: int) -> int:
    text = scalar_text(node, what).strip()
    if not _WHOLE_RE.match(text) or not low <= int(text) <= high:
        raise Problem(line_of(node), f'{what} must be a whole number from {low} to {high}, '
                                     f'not {text!r}')
    return int(text)


def number(node: yaml.Node, what: str, low: float, high: float) -> float:
    text = scalar_text(node, what).strip()
    if not _DECIMAL_RE.match(text) or not low <= float(text) <= high:
        raise Problem(line_of(node), f'{what} must be a number from {low:.0f} to {high:.0f}, '
                                     f'not {text!r}')
    return float(text)


def boolean(node: yaml.Node, what: str) -> bool:
    """A switch: true/false (yes/no, on/off), unquoted or quoted."""
    text = scalar_text(node, what).strip().lower()
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    raise Problem(line_of(node), f'{what} must be true or false, not {text!r}')
