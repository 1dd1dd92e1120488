"""Nova 34's own Placement query for flavors: runs inside the Nova venv, never imported by
the test process.

Reads a JSON document on stdin::

    {"aliases": ["{json alias}", ...], "pci_in_placement": true, "owner_nova": true,
     "flavors": [{"name": "f", "vcpus": 2, "ram": 512, "disk": 1, "OS-FLV-EXT-DATA:ephemeral": 0,
                  "swap": 0, "extra_specs": {...}, "boot_from_volume": false,
                  "image_properties": {...}}, ...]}

(a flavor may carry its own ``aliases``, ``pci_in_placement`` and ``owner_nova``), and prints a
JSON list, one item per flavor: ``query`` (``ResourceRequest.to_querystring`` of
``resources_from_request_spec``), ``pci_suffixes`` (the PCI request groups' requester
ids in request order, device by device) and ``error`` (what Nova raised, where it refuses
the flavor). For each flavor it does what Nova's API, conductor and scheduler do with it:
``numa_get_constraints`` (the API's check), ``get_pci_requests_from_flavor`` with
``[pci] alias`` set, ``generate_request_groups_from_pci_requests`` with
``[filter_scheduler] pci_in_placement``, the request filters a flavor decides (with
``owner_nova_filter``'s compute version check answered by ``owner_nova``), then
``resources_from_request_spec``.
"""
from __future__ import annotations

import json
import os
import sys
from unittest import mock

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import nova.conf  # noqa: E402
from nova import context as nova_context  # noqa: E402
from nova import objects  # noqa: E402
from nova.pci import request as pci_request  # noqa: E402
from nova.scheduler import request_filter  # noqa: E402
from nova.scheduler import utils as scheduler_utils  # noqa: E402
from nova.virt import hardware  # noqa: E402

CONF = nova.conf.CONF
FILTERS = (
    request_filter.compute_status_filter,
    request_filter.accelerators_filter,
    request_filter.packed_virtqueue_filter,
    request_filter.ephemeral_encryption_filter,
    request_filter.virtio_sound_filter,
    request_filter.tpm_secret_security_filter,
    request_filter.owner_nova_filter,
)


def nova_query(ctxt, item: dict, owner_nova: bool) -> dict:
    flavor = objects.Flavor(
        name=item['name'], flavorid=item['name'], vcpus=item['vcpus'],
        memory_mb=item['ram'], root_gb=item['disk'],
        ephemeral_gb=item.get('OS-FLV-EXT-DATA:ephemeral', 0),
        swap=item.get('swap') or 0, extra_specs=dict(item.get('extra_specs', {})))
    image = objects.ImageMeta.from_dict({'properties': item.get('image_properties', {})})
    hardware.numa_get_constraints(flavor, image)
    policy = hardware.get_pci_numa_policy_constraint(flavor, image)
    pci_requests = pci_request.get_pci_requests_from_flavor(flavor, affinity_policy=policy)
    spec = objects.RequestSpec(flavor=flavor, image=image,
                               is_bfv=bool(item.get('boot_from_volume')),
                               pci_requests=pci_requests, requested_resources=[])
    spec.generate_request_groups_from_pci_requests()
    with mock.patch.object(request_filter, '_should_filter_by_owner',
                           return_value=owner_nova):
        for request_filter_fn in FILTERS:
            request_filter_fn(ctxt, spec)
    resources = scheduler_utils.resources_from_request_spec(ctxt, spec, None)
    return {'query': resources.to_querystring(),
            'pci_suffixes': [group.requester_id for group in spec.requested_resources]}


def main() -> int:
    document = json.load(sys.stdin)
    objects.register_all()
    CONF([], project='nova', default_config_files=[])
    ctxt = nova_context.get_admin_context()
    answers = []
    for item in document['flavors']:
        in_placement = item.get('pci_in_placement', document.get('pci_in_placement'))
        CONF.set_override('pci_in_placement', bool(in_placement), group='filter_scheduler')
        CONF.set_override('alias', item.get('aliases', document.get('aliases', [])),
                          group='pci')
        pci_request.get_alias_from_config.cache_clear()
        owner_nova = bool(item.get('owner_nova', document.get('owner_nova', True)))
        try:
            answer = nova_query(ctxt, item, owner_nova)
            answer['error'] = None
        except Exception as exc:  # Nova refusing the flavor is an answer too
            answer = {'query': None, 'pci_suffixes': [],
                      'error': f'{type(exc).__name__}: {exc}'}
        answer['name'] = item['name']
        answers.append(answer)
    json.dump(answers, sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(main())
