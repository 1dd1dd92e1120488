"""Client bugs the fuzzers found that are not fixed yet.

Each has deterministic ``xfail(strict=True)`` reproducers in ``test_regressions.py``
(named in ``tests``). While a bug is listed here, the property tests let an outcome with
exactly its signature pass, counted as a hypothesis event (``--hypothesis-show-statistics``
shows how often each was met), so that they keep guarding everything else.

When a bug is fixed: drop the xfail markers of its reproducers and its entry here.
"""
from __future__ import annotations

import json
import math
import re
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from hypothesis import event

from pciclient import exceptions as exc
from tests.fuzz.harness import plain


def raised_in(error: BaseException | None, filename: str, function: str | None = None) -> bool:
    """Whether the innermost pciclient frame of ``error``'s traceback is in ``filename``
    (and, when given, ``function`` is among its pciclient frames)."""
    if error is None or error.__traceback__ is None:
        return False
    frames = [f for f in traceback.extract_tb(error.__traceback__) if '/pciclient/' in f.filename]
    if not frames or not frames[-1].filename.endswith(filename):
        return False
    return function is None or any(frame.name == function for frame in frames)


def _infinite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isinf(value)
    if isinstance(value, dict):
        return any(_infinite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_infinite(v) for v in value)
    return False


def _json_but_for_infinity(text: str) -> bool:
    """Whether ``text`` is JSON except for Infinity/-Infinity (which JSON does not have)."""
    def constant(name: str) -> Any:
        if name == 'NaN':
            raise ValueError('NaN')
        return float(name)
    try:
        json.loads(text, parse_constant=constant)
    except (ValueError, RecursionError):
        return False
    return bool(re.search(r'-?Infinity', text))


_ECHOES = ('No PCI device with ID', 'More than one server is named',
           'More than one hypervisor is named', 'Marker ')


@dataclass(frozen=True)
class KnownBug:
    tests: tuple[str, ...]
    #: (exit code, stdout, stderr, error, fmt) of a CLI run → whether it is this bug
    cli: Callable[[int, str, str, BaseException | None, str], bool]
    #: (result, error) of a library call → whether it is this bug
    library: Callable[[Any, BaseException | None], bool] = lambda result, error: False


KNOWN: dict[str, KnownBug] = {
    'numbers beyond float range decode to Infinity': KnownBug(
        ('test_huge_numbers_are_invalid_response', 'test_huge_numbers_never_reach_json_output'),
        cli=lambda code, out, err, error, fmt: code == 0 and fmt == 'json'
        and _json_but_for_infinity(out),
        library=lambda result, error: error is None and _infinite(result)),
    'deep nesting raises RecursionError': KnownBug(
        ('test_deep_nesting_is_invalid_response', 'test_deep_nesting_in_an_error_body',
         'test_deep_nesting_never_breaks_the_output'),
        cli=lambda code, out, err, error, fmt: isinstance(error, RecursionError),
        library=lambda result, error: isinstance(error, RecursionError)),
    'vendor or product id that is not a string breaks names': KnownBug(
        ('test_vendor_id_that_is_not_a_string',),
        cli=lambda code, out, err, error, fmt: isinstance(error, AttributeError)
        and raised_in(error, 'pciclient/pciids.py')),
    'placement allocation resources that are not an object': KnownBug(
        ('test_placement_allocation_resources_not_an_object',),
        cli=lambda code, out, err, error, fmt: isinstance(error, AttributeError)
        and raised_in(error, 'pciclient/v2/placement.py'),
        library=lambda result, error: isinstance(error, AttributeError)
        and raised_in(error, 'pciclient/v2/placement.py')),
    'placement root_provider_uuid of another type': KnownBug(
        ('test_placement_root_provider_uuid_not_a_string',),
        cli=lambda code, out, err, error, fmt: isinstance(error, TypeError)
        and raised_in(error, 'pciclient/v2/placement.py', '_resolve_hosts'),
        library=lambda result, error: isinstance(error, TypeError)
        and raised_in(error, 'pciclient/v2/placement.py', '_resolve_hosts')),
    'a resource without an id': KnownBug(
        ('test_server_without_id_with_placement', 'test_hypervisor_search_match_without_id'),
        cli=lambda code, out, err, error, fmt: isinstance(error, AttributeError)
        and "has no attribute 'id'" in str(error),
        library=lambda result, error: isinstance(error, AttributeError)
        and "has no attribute 'id'" in str(error)),
    'a server id that is not a string': KnownBug(
        ('test_server_id_that_is_not_a_string',),
        cli=lambda code, out, err, error, fmt: isinstance(error, TypeError)
        and raised_in(error, 'pciclient/v2/pci_devices.py', '_as_list'),
        library=lambda result, error: isinstance(error, TypeError)
        and raised_in(error, 'pciclient/v2/pci_devices.py', '_as_list')),
    'a field named pci_devices or pci_stats gets their column whatever it holds': KnownBug(
        ('test_a_device_field_named_like_a_special_column',),
        cli=lambda code, out, err, error, fmt: isinstance(error, (TypeError, AttributeError))
        and raised_in(error, 'pciclient/commands/columns.py')),
    'Retry-After: nan reaches time.sleep': KnownBug(
        ('tests/faults/test_retries.py::test_a_retry_after_that_is_not_a_number',),
        cli=lambda code, out, err, error, fmt: isinstance(error, ValueError)
        and 'NaN' in str(error) and raised_in(error, 'pciclient/http.py', '_get')),
    'lone surrogates cannot be written to stdout': KnownBug(
        ('test_lone_surrogates_in_a_table',),
        cli=lambda code, out, err, error, fmt: isinstance(error, UnicodeEncodeError)),
    'line breaks echoed into one-line errors': KnownBug(
        ('test_an_id_with_a_line_break', 'test_several_servers_named_alike_with_odd_ids',
         'test_a_stray_argument_with_a_line_break', 'test_a_marker_with_a_line_break'),
        cli=lambda code, out, err, error, fmt: ('\n' in err[:-1] or '\r' in err) and (
            code == 1 and isinstance(error, exc.ClientException)
            and str(error).startswith(_ECHOES)
            or code == 2 and ': error: unrecognized arguments: ' in err),
        library=lambda result, error: isinstance(error, exc.ClientException)
        and str(error).startswith(_ECHOES) and ('\n' in str(error) or '\r' in str(error))),
}


def tolerated(outcome: Any, fmt: str) -> bool:
    """Whether a CLI ``outcome`` shows a known, unfixed bug (recorded as an event)."""
    for name, bug in KNOWN.items():
        if bug.cli(outcome.code, outcome.out, outcome.err, outcome.error, fmt):
            event(f'known bug: {name}')
            return True
    return False


def library_tolerated(result: Any, error: BaseException | None) -> bool:
    """Whether a library call's ``(result, error)`` shows a known, unfixed bug."""
    for name, bug in KNOWN.items():
        if bug.library(plain(result) if error is None else None, error):
            event(f'known bug: {name}')
            return True
    return False
