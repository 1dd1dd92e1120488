"""The library's decoders under fuzzing: every manager call, every route, any answer.

A call either returns resources whose normalised model is strict JSON (no NaN, no
Infinity, nothing JSON cannot hold), or raises a :class:`pciclient.exceptions.ClientException`
with a one-line message. A 2xx answer that is not JSON is always ``InvalidResponse``;
an error status is always an ``HttpError`` (a ``ServerError`` for 5xx).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests_mock
from hypothesis import assume, given
from hypothesis import strategies as st
from keystoneauth1 import noauth, session

from pciclient import client as pci_client
from pciclient import exceptions as exc
from tests.fuzz import jsontext, known_bugs
from tests.fuzz import world as w
from tests.fuzz.documents import COMPUTE, COMPUTE_KINDS, PLACEMENT, PLACEMENT_KINDS
from tests.fuzz.harness import Router, plain
from tests.fuzz.wrong_answers import Answer, Plan, Replacement, answers, plans


def make_client(source: str) -> Any:
    return pci_client.Client('2', session=session.Session(auth=noauth.NoAuth()),
                             endpoint_override=COMPUTE, pci_source=source,
                             placement_endpoint_override=PLACEMENT)


@dataclass(frozen=True)
class Operation:
    """A library call on a client and a world (for the names and ids it may ask for)."""

    name: str
    kinds: tuple[str, ...]
    call: Callable[[Any, w.World, Any], Any]   # (client, world, data) -> result


def _key(strategy_of: Callable[[w.World], Any]) -> Callable[[w.World, Any], str]:
    return lambda world, data: data.draw(strategy_of(world))


_FILTERS = st.fixed_dictionaries({}, optional={
    'host': w.HOSTNAMES, 'status': st.sampled_from(w.STATUSES), 'vendor_id': w.hex4,
    'product_id': w.hex4, 'dev_type': st.sampled_from(w.DEV_TYPES), 'address': w.addresses,
    'instance_uuid': w.uuids})
_PROVIDERS = ('rp_list', 'rp_get', 'rp_inventories', 'rp_usages', 'rp_traits',
              'rp_allocations')


def _held_by(client: Any, world: w.World, data: Any) -> Any:
    server = client.servers.get(data.draw(w.server_names(world)))
    return client.pci_devices.held_by(server, detailed=data.draw(st.booleans()))


def _annotate(client: Any, world: w.World, data: Any) -> Any:
    servers = client.servers.list()
    client.pci_devices.annotate_servers(servers)
    return servers


OPERATIONS = [
    Operation('pci_devices.list', ('pci_list', 'pci_detail', 'hyp_list', *_PROVIDERS),
              lambda c, world, data: c.pci_devices.list(
                  detailed=data.draw(st.booleans()),
                  limit=data.draw(st.none() | st.integers(1, 4)), **data.draw(_FILTERS))),
    Operation('pci_devices.get', ('pci_get', 'hyp_list', *_PROVIDERS),
              lambda c, world, data: c.pci_devices.get(data.draw(w.device_keys(world)))),
    Operation('pci_devices.held_by', ('srv_get', 'srv_detail', 'pci_detail', 'hyp_list',
                                      *_PROVIDERS, 'allocs'), _held_by),
    Operation('pci_devices.annotate_servers', ('srv_detail', *_PROVIDERS), _annotate),
    Operation('pci_pools.list', ('hyp_detail', *_PROVIDERS),
              lambda c, world, data: c.pci_pools.list(
                  host=data.draw(st.none() | w.HOSTNAMES))),
    Operation('hypervisors.list', ('hyp_list', 'hyp_detail'),
              lambda c, world, data: c.hypervisors.list(detailed=data.draw(st.booleans()))),
    Operation('hypervisors.get', ('hyp_get', 'hyp_search'),
              lambda c, world, data: c.hypervisors.get(data.draw(w.hypervisor_keys(world)))),
    Operation('servers.list', ('srv_detail',), lambda c, world, data: c.servers.list()),
    Operation('servers.get', ('srv_get', 'srv_detail'),
              lambda c, world, data: c.servers.get(data.draw(w.server_names(world)))),
    Operation('placement.consumer_devices', (*_PROVIDERS, 'allocs'),
              lambda c, world, data: c.placement.consumer_devices(
                  data.draw(w.server_names(world)))),
    Operation('placement.pools', _PROVIDERS, lambda c, world, data: c.placement.pools()),
]
BY_NAME = {op.name: op for op in OPERATIONS}
SOURCES = ('os-pci', 'placement', 'auto')


def attempt(operation: Operation, plan: Plan, source: str, data: Any) -> tuple[Any, Any]:
    """(result, error) of ``operation`` against ``plan``."""
    result, error, _ = attempt_asking(operation, plan, source, data)
    return result, error


def attempt_asking(operation: Operation, plan: Plan, source: str,
                   data: Any) -> tuple[Any, Any, bool]:
    """(result, error, whether the cloud was asked at all) of ``operation``."""
    router = Router(plan)
    with requests_mock.Mocker() as mocker:
        mocker.get(requests_mock.ANY, content=router.answer)
        try:
            return operation.call(make_client(source), plan.world, data), None, mocker.called
        except Exception as error:  # noqa: BLE001 - what the test judges
            return None, error, mocker.called


def unaskable(error: Any, asked: bool) -> bool:
    """A key that can name no Placement provider (neither a UUID nor HOST_ADDRESS) is
    not found without asking: no answer of the cloud is read, so none is judged."""
    if asked:
        return False
    assert isinstance(error, exc.NotFound), repr(error)
    return True


def check_result(result: Any, error: Any) -> None:
    if error is not None:
        assert isinstance(error, exc.ClientException), repr(error)
        text = str(error)
        assert text.strip() and '\n' not in text and '\r' not in text, repr(text)
        return
    json.dumps(plain(result), allow_nan=False)


@pytest.mark.parametrize('name', list(BY_NAME))
@given(data=st.data())
def test_call_decodes_or_raises_client_exception(name, data):
    operation = BY_NAME[name]
    plan = data.draw(plans(operation.kinds, mode=data.draw(st.sampled_from(['field', 'any']))))
    result, error = attempt(operation, plan, data.draw(st.sampled_from(SOURCES)), data)
    if known_bugs.library_tolerated(result, error):
        return
    check_result(result, error)


def _finite(text: str) -> float:
    number = float(text)
    if number in (float('inf'), float('-inf')):
        raise ValueError(f'{text} is too large for a float')
    return number


def _decodes(body: bytes) -> bool:
    """Whether ``body`` is a JSON document Python holds as it is (not NaN, not 1e400)."""
    try:
        json.loads(body.decode('utf-8'), parse_float=_finite,
                   parse_constant=lambda name: _finite('inf'))
    except (ValueError, RecursionError):
        return False
    return True


def everywhere(answer: Answer, data: st.DataObject) -> Plan:
    """A drawn cloud whose every compute and Placement route gives ``answer``."""
    return Plan(world=data.draw(w.worlds()),
                replacements={kind: Replacement(answer) for kind in
                              (*COMPUTE_KINDS, *PLACEMENT_KINDS)})


@pytest.mark.parametrize('name', list(BY_NAME))
@given(data=st.data())
def test_a_2xx_answer_that_is_not_json_is_invalid_response(name, data):
    """Every route answers 2xx with a body that is not JSON (or not JSON that Python can
    hold): the call fails with InvalidResponse, whatever route it reads first."""
    operation = BY_NAME[name]
    body = data.draw(jsontext.body_bytes())
    assume(not _decodes(body))
    answer = Answer(status=data.draw(st.sampled_from(jsontext.SUCCESS)), body=body,
                    content_type=data.draw(st.sampled_from(jsontext.CONTENT_TYPES)))
    result, error, asked = attempt_asking(operation, everywhere(answer, data),
                                          data.draw(st.sampled_from(SOURCES)), data)
    if known_bugs.library_tolerated(result, error) or unaskable(error, asked):
        return
    assert isinstance(error, exc.InvalidResponse), (result, error)
    check_result(None, error)


@pytest.mark.parametrize('name', list(BY_NAME))
@given(data=st.data())
def test_an_error_status_is_an_http_error(name, data):
    """Every route answers 4xx/5xx with any body: the call fails with an HttpError (for 5xx
    a ServerError with that status), or, where a 404 means "none", goes on to one."""
    operation = BY_NAME[name]
    status = data.draw(st.one_of(st.sampled_from(jsontext.ERRORS), st.integers(400, 599)))
    answer = data.draw(answers(success=False))
    answer.status = status
    result, error, asked = attempt_asking(operation, everywhere(answer, data),
                                          data.draw(st.sampled_from(SOURCES)), data)
    if known_bugs.library_tolerated(result, error) or unaskable(error, asked):
        return
    assert isinstance(error, exc.HttpError), (result, error)
    if status >= 500:
        assert isinstance(error, exc.ServerError) and error.http_status == status, error
    check_result(None, error)
