"""Every command, in-process, against clouds whose answers are garbage in every way.

For each command and each PCI source, hypothesis draws a small cloud and then breaks it:
documents with keys dropped or set to any JSON value (wrong types, huge strings, unicode,
nested garbage, ``1e400``, lone surrogates, deep nesting), whole answers replaced by any
status, content type and body (non-JSON, truncated, binary), on the first page or a later
one. Whatever happens, ``pci-cli`` exits 0, or exits 1 with one line on stderr from a
pciclient error, never a traceback and nothing on stdout; with ``-f json`` stdout is
exactly one strict JSON document (no NaN or Infinity).
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import harness, known_bugs
from tests.fuzz.commands import COMMANDS, invocations

#: One field of one route wrong (any value), or anything wrong anywhere (see wrong_answers.plans).
MODES = ('field', 'any')


@pytest.mark.parametrize('source', ['os-pci', 'placement', 'auto'])
@pytest.mark.parametrize('name', list(COMMANDS))
@given(data=st.data())
def test_command_survives_any_answer(name, source, data):
    if source != 'os-pci' and not COMMANDS[name].placement:
        pytest.skip(f'{name} never reads Placement')
    if source not in COMMANDS[name].sources:
        pytest.skip(f'{name} does not depend on the PCI source')
    invocation = data.draw(invocations(name, source, data.draw(st.sampled_from(MODES))))
    outcome = harness.run(invocation.argv, invocation.plan, files=invocation.files)
    if known_bugs.tolerated(outcome, invocation.fmt):
        return
    harness.check(outcome, invocation.fmt, invocation.command.shape,
                  below_minimum=invocation.below_minimum)
    if invocation.broken_file:   # read before any request: no answer can hide it
        assert outcome.code == 1 and 'alias' in outcome.err.lower(), outcome
