"""Nova's ``name`` query filter, a regular expression, matched without backtracking.

Nova hands ``?name=`` to its database as a regular expression (``REGEXP`` on MySQL, ``~`` on
PostgreSQL, Python's ``re`` on SQLite; nova/db/main/api.py ``_regex_instance_filter``), after
checking only that it compiles (``format: regex`` in the query schema). Python's ``re``
backtracks and holds the GIL while it does: ``(.*){9}X`` against one 30-character name ran for
tens of seconds and froze every thread of the server, identity included.

So the fake cloud matches the pattern itself: the pattern is parsed into a Thompson NFA, which
runs as a DFA built lazily (one state set per step, cached), so the time is linear in the
name's length whatever the pattern, and the matcher is Python code that the interpreter
interrupts like any other (no thread waits on it for more than a switch interval).

The syntax is Python's, case-sensitive as before, for this subset:

* literals, escaped metacharacters (``\\.``), ``\\n \\t \\r``, ``\\d \\D \\w \\W \\s \\S``;
* ``.`` (any character but a newline), ``[...]`` and ``[^...]`` with ranges and the escapes above;
* ``^`` and ``\\A`` (start), ``$`` and ``\\Z`` (end; ``$`` does not match before a final newline);
* alternation ``|``, groups ``(...)``, ``(?:...)``, ``(?P<name>...)``;
* quantifiers ``* + ? {m} {m,} {,n} {m,n}``, greedy or lazy (the same for a yes/no match).

Anything else that ``re`` accepts (back-references, look-arounds, ``\\b``, inline flags,
possessive quantifiers, ...) is a clear 400 naming this subset. So is a pattern longer than
:data:`MAX_PATTERN_LENGTH` characters, one whose automaton exceeds :data:`MAX_PROGRAM` steps
(``(.{100}){100}``), and a query whose lazily built DFA needs more than
:data:`MAX_DFA_TRANSITIONS` transitions (MySQL has its ``regexp_time_limit`` for the same
reason).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ['MAX_DFA_TRANSITIONS', 'MAX_PATTERN_LENGTH', 'MAX_PROGRAM', 'NameFilterError',
           'NamePattern']

MAX_PATTERN_LENGTH = 255  # Nova's limit on a server name: no longer pattern is needed
MAX_PROGRAM = 1000        # NFA instructions after counted repetitions are unrolled
MAX_DFA_TRANSITIONS = 20000  # each costs at most MAX_PROGRAM steps: ~20M steps, seconds

_METACHARACTERS = frozenset('.^$*+?{}[]\\|()')
_SUBSET = ('the fake cloud matches literals, . [...] ^ $ \\A \\Z \\d \\w \\s, '
           '| (...) (?:...) and the quantifiers * + ? {m,n}')

Predicate = Callable[[str], bool]
Item = TypeVar('Item')


class NameFilterError(ValueError):
    """The pattern is not valid, not in the subset, or too costly: a 400 with this text."""


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == '_'


_CLASS_ESCAPES: dict[str, Predicate] = {
    'd': str.isdecimal, 'D': lambda ch: not ch.isdecimal(),
    'w': _word, 'W': lambda ch: not _word(ch),
    's': str.isspace, 'S': lambda ch: not ch.isspace(),
}
_CHAR_ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', 'f': '\f', 'v': '\v'}

# AST nodes: ('char', predicate) ('cat', [nodes]) ('alt', [nodes]) ('rep', node, min, max|None)
# ('bol',) ('eol',). Instructions: the same 'char' 'bol' 'eol', plus ('split', a, b),
# ('jmp', a) and ('match',).
Node = tuple
Instruction = tuple


class _Parser:
    """A recursive-descent parser of the subset; its input already compiled under ``re``."""

    def __init__(self, pattern: str) -> None:
        self.text = pattern
        self.pos = 0

    def unsupported(self, what: str) -> NameFilterError:
        return NameFilterError(f"Unsupported regular expression for 'name' ({what} at "
                               f'position {self.pos}): {_SUBSET}')

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ''

    def take(self) -> str:
        ch = self.peek()
        self.pos += 1
        return ch

    def parse(self) -> Node:
        node = self.alternation()
        if self.pos != len(self.text):
            raise self.unsupported(f'{self.peek()!r}')
        return node

    def alternation(self) -> Node:
        branches = [self.concatenation()]
        while self.peek() == '|':
            self.take()
            branches.append(self.concatenation())
        return branches[0] if len(branches) == 1 else ('alt', branches)

    def concatenation(self) -> Node:
        items = []
        while self.peek() not in ('', '|', ')'):
            items.append(self.quantified(self.atom()))
        return ('cat', items)

    def quantified(self, node: Node) -> Node:
        while True:
            bounds = self.quantifier()
            if bounds is None:
                return node
            if self.peek() == '?':  # lazy: the same yes/no answer as greedy
                self.take()
            elif self.peek() == '+':
                raise self.unsupported('a possessive quantifier')
            node = ('rep', node, *bounds)

    def quantifier(self) -> tuple[int, int | None] | None:
        ch = self.peek()
        simple = {'*': (0, None), '+': (1, None), '?': (0, 1)}
        if ch in simple:
            self.take()
            return simple[ch]
        if ch != '{':
            return None
        found = re.compile(r'\{(\d*)(,?)(\d*)\}').match(self.text, self.pos)
        if found is None or (not found.group(1) and not found.group(2)):
            return None  # a literal '{', as in re
        low = int(found.group(1) or 0)
        high = None if found.group(2) and not found.group(3) else int(found.group(3) or low)
        if low > MAX_PROGRAM or (high is not None and high > MAX_PROGRAM):
            raise self.unsupported(f'a repetition count over {MAX_PROGRAM}')
        self.pos = found.end()
        return low, high

    def atom(self) -> Node:
        ch = self.take()
        if ch == '(':
            return self.group()
        if ch == '[':
            return ('char', self.char_class())
        if ch == '\\':
            return self.escape()
        if ch == '.':
            return ('char', lambda c: c != '\n')
        if ch == '^':
            return ('bol',)
        if ch == '$':
            return ('eol',)
        if ch in '*+?{':
            if ch == '{':
                return ('char', ch.__eq__)
            raise self.unsupported('nothing to repeat')
        return ('char', ch.__eq__)

    def group(self) -> Node:
        if self.peek() == '?':
            found = re.compile(r'\?(?::|P<[A-Za-z_]\w*>)').match(self.text, self.pos)
            if found is None:
                raise self.unsupported('a (?...) construct')
            self.pos = found.end()
        node = self.alternation()
        if self.take() != ')':
            raise self.unsupported('an unclosed group')
        return node

    def escape(self) -> Node:
        ch = self.take()
        if ch == 'A':
            return ('bol',)
        if ch == 'Z':
            return ('eol',)
        if ch in _CLASS_ESCAPES:
            return ('char', _CLASS_ESCAPES[ch])
        return ('char', self.escaped_literal(ch).__eq__)

    def escaped_literal(self, ch: str) -> str:
        if ch in _CHAR_ESCAPES:
            return _CHAR_ESCAPES[ch]
        if ch and not ch.isalnum() and ch != '_':
            return ch
        raise self.unsupported(f'the escape \\{ch}')

    def char_class(self) -> Predicate:
        negated = self.peek() == '^'
        if negated:
            self.take()
        singles: set[str] = set()
        ranges: list[tuple[str, str]] = []
        tests: list[Predicate] = []
        first = True
        while True:
            ch = self.take()
            if ch == '':
                raise self.unsupported('an unclosed [')
            if ch == ']' and not first:
                break
            first = False
            if ch == '\\':
                escaped = self.take()
                if escaped in _CLASS_ESCAPES:
                    tests.append(_CLASS_ESCAPES[escaped])
                    continue
                ch = self.escaped_literal(escaped)
            if self.peek() == '-' and self.text[self.pos + 1:self.pos + 2] not in ('', ']'):
                self.take()
                end = self.take()
                if end == '\\':
                    end = self.escaped_literal(self.take())
                ranges.append((ch, end))
            else:
                singles.add(ch)
        frozen = frozenset(singles)
        spans = tuple(ranges)
        checks = tuple(tests)

        def member(c: str) -> bool:
            inside = (c in frozen or any(low <= c <= high for low, high in spans)
                      or any(check(c) for check in checks))
            return inside != negated
        return member


class _Compiler:
    """AST to NFA program, counted repetitions unrolled, size capped as it grows."""

    def __init__(self) -> None:
        self.program: list[list] = []

    def emit(self, *instruction: object) -> int:
        if len(self.program) >= MAX_PROGRAM:
            raise NameFilterError(f"Regular expression for 'name' too large: over {MAX_PROGRAM}"
                                  ' automaton steps once its repetitions are unrolled')
        self.program.append(list(instruction))
        return len(self.program) - 1

    def node(self, node: Node) -> None:
        kind = node[0]
        if kind in ('char', 'bol', 'eol'):
            self.emit(*node)
        elif kind == 'cat':
            for item in node[1]:
                self.node(item)
        elif kind == 'alt':
            self.alternatives(node[1])
        else:
            self.repeat(node[1], node[2], node[3])

    def alternatives(self, branches: list[Node]) -> None:
        jumps = []
        for branch in branches[:-1]:
            split = self.emit('split', 0, 0)
            self.program[split][1] = split + 1
            self.node(branch)
            jumps.append(self.emit('jmp', 0))
            self.program[split][2] = len(self.program)
        self.node(branches[-1])
        for jump in jumps:
            self.program[jump][1] = len(self.program)

    def repeat(self, body: Node, low: int, high: int | None) -> None:
        for _ in range(low):
            self.node(body)
        if high is None:
            loop = self.emit('split', 0, 0)
            self.program[loop][1] = loop + 1
            self.node(body)
            self.emit('jmp', loop)
            self.program[loop][2] = len(self.program)
            return
        splits = []
        for _ in range(high - low):
            split = self.emit('split', 0, 0)
            self.program[split][1] = split + 1
            splits.append(split)
            self.node(body)
        for split in splits:
            self.program[split][2] = len(self.program)


@dataclass(frozen=True)
class NamePattern:
    """A compiled ``name`` filter; :meth:`filter` keeps the items whose name matches."""

    pattern: str
    program: tuple[Instruction, ...]

    @classmethod
    def compile(cls, pattern: str) -> NamePattern:
        """Check the pattern as Nova does (it must compile), then build it for the subset."""
        try:
            re.compile(pattern)
        except (re.error, RecursionError, OverflowError) as exc:
            raise NameFilterError(f"Invalid regular expression for 'name': {exc}") from None
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise NameFilterError(f"Regular expression for 'name' too long: over "
                                  f'{MAX_PATTERN_LENGTH} characters')
        if not _METACHARACTERS.intersection(pattern):
            return cls(pattern, ())
        compiler = _Compiler()
        compiler.node(_Parser(pattern).parse())
        compiler.emit('match')
        return cls(pattern, tuple(tuple(step) for step in compiler.program))

    def filter(self, items: Iterable[Item], name: Callable[[Item], str]) -> list[Item]:
        """The items whose ``name(item)`` matches, searching as ``re.search`` does."""
        if not self.program:
            return [item for item in items if self.pattern in name(item)]
        matcher = _Matcher(self.program)
        return [item for item in items if matcher.search(name(item))]


class _Matcher:
    """The DFA of one query, built lazily: its transitions cached for every name searched."""

    def __init__(self, program: tuple[Instruction, ...]) -> None:
        self.program = program
        self.match = len(program) - 1
        self.first = self.closure((0,), at_start=True, at_end=False)
        self.again = self.closure((0,), at_start=False, at_end=False)
        self.transitions: dict[tuple[frozenset[int], str], frozenset[int]] = {}

    def closure(self, pcs: Iterable[int], at_start: bool, at_end: bool) -> frozenset[int]:
        """The instructions reachable without reading a character: 'char', 'match', and the
        anchors that do not hold here (kept, so the end check can follow them later)."""
        seen: set[int] = set()
        stack = list(pcs)
        found = set()
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            step = self.program[pc]
            kind = step[0]
            if kind == 'jmp':
                stack.append(step[1])
            elif kind == 'split':
                stack.extend((step[2], step[1]))
            elif (kind == 'bol' and at_start) or (kind == 'eol' and at_end):
                stack.append(pc + 1)
            else:
                found.add(pc)
        return frozenset(found)

    def step(self, state: frozenset[int], ch: str) -> frozenset[int]:
        key = (state, ch)
        following = self.transitions.get(key)
        if following is None:
            if len(self.transitions) >= MAX_DFA_TRANSITIONS:
                raise NameFilterError(f"Regular expression for 'name' too costly: over "
                                      f'{MAX_DFA_TRANSITIONS} automaton states for this query')
            moved = [pc + 1 for pc in state
                     if self.program[pc][0] == 'char' and self.program[pc][1](ch)]
            following = self.closure(moved, at_start=False, at_end=False) | self.again
            self.transitions[key] = following
        return following

    def search(self, text: str) -> bool:
        state = self.first
        for ch in text:
            if self.match in state:
                return True
            state = self.step(state, ch)
        return self.match in self.closure(state, at_start=not text, at_end=True)
