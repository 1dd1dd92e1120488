"""Regular expressions compiled when first used, not when their module is imported.

Every ``pci-cli`` run imports the modules that parse provider names, PCI addresses,
UUIDs and error pages, but a run uses few of those expressions, often none.
Compiling one costs 0.05–1 ms (a character class of thousands of code points, the
most); at import they added several milliseconds to every start-up, which is a
measured goal (``benchmarks/results/startup.md``).
"""
from __future__ import annotations

import re
from collections.abc import Callable


class LazyRegex:
    """A :func:`re.compile` that waits for the first match; the methods are the
    :class:`re.Pattern` methods this project uses."""

    __slots__ = ('_pattern', '_source', '_flags')

    def __init__(self, source: str, flags: int = 0) -> None:
        self._source = source
        self._flags = flags
        self._pattern: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        if self._pattern is None:
            self._pattern = re.compile(self._source, self._flags)
        return self._pattern

    @property
    def pattern(self) -> str:
        return self._source

    def match(self, text: str) -> re.Match[str] | None:
        return self.compiled.match(text)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self.compiled.fullmatch(text)

    def search(self, text: str) -> re.Match[str] | None:
        return self.compiled.search(text)

    def sub(self, replacement: str | Callable[[re.Match[str]], str], text: str) -> str:
        return self.compiled.sub(replacement, text)

    def __repr__(self) -> str:
        return f'LazyRegex({self._source!r})'
