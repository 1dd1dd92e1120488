"""A real Placement 16 answers ``GET /allocation_candidates`` as recorded in
``tests/data/placement-16-candidates`` (queries: ``candidates_reference.py``).

Each answer is kept with provider uuids put as provider names, so a rerun (new uuids)
and the fake cloud (its own uuids) compare with it: the same status and, for errors,
the same status, title and first lines of detail; for answers, the same candidates and
summarised providers, and the same shape of document. ``PCICLIENT_RECORD_REFERENCE=1``
writes the answers as the new reference instead (the test still checks what it can).
"""
from __future__ import annotations

import json
import os
from typing import Any

import pytest

from tests.realnova.capacity_reference import shape
from tests.realplacement.candidates_reference import QUERIES, Query, by_name, error_lines
from tests.support.data import DATA

REFERENCE = DATA / 'placement-16-candidates'
RECORD = os.environ.get('PCICLIENT_RECORD_REFERENCE') == '1'


def _names(session, url: str) -> dict[str, str]:
    answer = session.get(url + '/resource_providers', timeout=30,
                         headers={'OpenStack-API-Version': 'placement 1.14'})
    assert answer.status_code == 200, answer.text
    return {rp['uuid']: rp['name'] for rp in answer.json()['resource_providers']}


def digest(status: int, body: dict[str, Any], names: dict[str, str],
           chosen_freely: bool = False) -> dict[str, Any]:
    """What is kept of one answer (and compared): for a limited answer, whose candidates
    Placement picks from a set, how many candidates and trees rather than which."""
    if status >= 400:
        return {'status': status, 'error': error_lines(body)}
    kept = by_name(body, names)
    if chosen_freely:
        roots = {s['root_provider_uuid'] for s in body['provider_summaries'].values()}
        kept = {'candidates': len(kept['allocation_requests']), 'trees': len(roots)}
    return {'status': status, 'shape': shape(_renamed(body, names)), **kept}


def _renamed(value: Any, names: dict[str, str]) -> Any:
    """Uuid keys put as names, so the shape does not see data as keys."""
    if isinstance(value, dict):
        return {('PROVIDER' if key in names else key): _renamed(item, names)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_renamed(item, names) for item in value]
    return value


@pytest.mark.parametrize('query', QUERIES, ids=lambda q: q.name)
def test_candidates_match_reference(query: Query, real_placement, placement_http):
    roots = real_placement.population.roots
    answer = placement_http.get(
        real_placement.url + '/allocation_candidates', timeout=60,
        params=query.query.format(**roots),
        headers={'OpenStack-API-Version': f'placement {query.version}'})
    ours = digest(answer.status_code, answer.json(), _names(placement_http, real_placement.url),
                  query.chosen_freely)
    file = REFERENCE / f'{query.name}.json'
    if RECORD:
        REFERENCE.mkdir(exist_ok=True)
        file.write_text(json.dumps(ours, indent=1, sort_keys=True) + '\n')
        assert answer.status_code in (200, 400, 404)
        return
    assert ours == json.loads(file.read_text())
