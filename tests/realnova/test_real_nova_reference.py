"""The real Nova of this tier answers like the recorded Nova 34 reference, request by request.

``tests/data/nova-34-responses`` holds what a real Nova 34.0.0 answered (two fake
PCI computes, one server); the unit tests decode those files as if they were Nova. This
checks that the live harness still agrees with them: status, content type, microversion
header and the shape of every JSON document (keys and value types, recursively); error
bodies and non-JSON bodies exactly, once our ids are put in place of the recorded ones.
Known, intended difference: our server's flavor carries ``pci_passthrough:alias`` in its
``extra_specs`` (the recorded server had none), so ``extra_specs`` are compared as "an
object". Without the reference directory the tier fails (the data is in the repository).
"""
from __future__ import annotations

import json

import pytest

from tests.support.data import data_dir

REFERENCE = data_dir('nova-34-responses')
REF_COMPUTE1 = 'a90ccda7-6d8c-4dd6-8d4c-4765aac93dfd'
REF_SERVER = 'c1423755-d754-46fc-a6d8-4d8f8eccd287'
OPAQUE_KEYS = {'extra_specs'}


def entries() -> list[dict]:
    return json.loads((REFERENCE / '_index.json').read_text())


def shape(value, key: str | None = None):
    """Keys and value types, recursively; a list by its first item."""
    if key in OPAQUE_KEYS and isinstance(value, dict):
        return 'object'
    if isinstance(value, dict):
        return {k: shape(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0], key)] if value else []
    return type(value).__name__


@pytest.mark.parametrize('entry', entries(), ids=lambda entry: entry['name'])
def test_answer_matches_reference(entry, real_nova, nova_http):
    compute1 = {h['hypervisor_hostname']: h['id'] for h in real_nova.hypervisors}['compute1']
    path = entry['path'].replace(REF_COMPUTE1, compute1).replace(REF_SERVER, real_nova.server_id)
    headers = {'Accept': entry['accept']} if entry['accept'] else {}
    if entry['microversion_requested']:
        headers['OpenStack-API-Version'] = f'compute {entry["microversion_requested"]}'
    answer = nova_http.get(real_nova.root + path, headers=headers, timeout=30)

    assert answer.status_code == entry['status'], answer.text
    assert answer.headers.get('Content-Type') == entry['content_type']
    assert answer.headers.get('OpenStack-API-Version') == entry['openstack_api_version']
    recorded = (REFERENCE / entry['file']).read_text()
    ours = answer.text.replace(compute1, REF_COMPUTE1).replace(real_nova.server_id, REF_SERVER)
    if not entry['file'].endswith('.json'):
        assert ours == recorded
    elif entry['status'] >= 400:
        assert json.loads(ours) == json.loads(recorded)
    else:
        assert shape(json.loads(ours)) == shape(json.loads(recorded))
