"""A real Nova compute API and its Placement on loopback ports, from Nova's functional harness.

Runs inside the dedicated Nova venv (never imported by the test process). It starts
Nova's in-process services the way Nova's functional tests do (conductor, scheduler, an
in-process Placement, two computes ``compute1``/``compute2`` on a subclass of
``fake.FakeDriverWithPciResources``), with PCI in Placement switched on: the computes
report their PCI devices to Placement (``[pci] report_in_placement``) and the scheduler
allocates PCI devices there (``[filter_scheduler] pci_in_placement``). It boots one
server on ``compute1`` that holds a PCI device (a type-PCI device through the flavor alias
``a1``; a plain server if that fails, which the tests then report), then serves Nova's
compute WSGI application and the very Placement WSGI application Nova's services talk to,
each with a threaded ``wsgiref`` server on 127.0.0.1, in Nova's native-threading mode (no
eventlet). Every compute request gets admin identity headers unless it brings its own,
so clients can use ``--os-auth-type none``; every Placement request without a token gets
``X-Auth-Token: admin`` (Placement's noauth2 makes that an admin).

The device_spec differs from the fake driver's own (see ``DEVICE_SPECS``): Nova ignores
devices tagged with a ``physical_network`` when it reports to Placement, and it refuses
(PlacementPciDependentDeviceException, the compute does not report) a PF and one of its
VFs both matched. So no ``physical_network`` tags, and per PF either the PF or its VFs.

With ``--capacity`` it runs the capacity scenario instead (issue 13, "the decision"): no
demo server, explicit root inventories (2 vCPUs at ``cpu_allocation_ratio`` 4.0, 8 GiB of
RAM with 512 MiB reserved, 1028 GiB of disk: the numbers of the fake driver's
``SmallFakeDriver`` base, pinned in nova.conf so no default can move them), the PCI aliases
of ``CAPACITY_ALIAS_SPECS`` and a device_spec that gives every host two type-PCI GPUs and
four VFs behind two PF providers (one VF and three VFs). The tests create the flavors and
boot the servers through the API.

Once Nova's services are up the warning filters of Nova's test fixtures are reset: they
turn some warnings into errors (a SQLAlchemy deprecation on the NoValidHost path would
surface as a 500 ``SADeprecationWarning``), which a real deployment never does.

Protocol: once everything is ready, the compute endpoint (``http://127.0.0.1:PORT/v2.1``)
is the first line on stdout and the Placement endpoint
(``http://127.0.0.1:PORT2/placement``) the second; ``--info-file`` additionally receives
a JSON document (url, placement_url, project, server, the PCI devices Nova's database
tracks and which of them the server holds, hypervisors) written atomically at the same
moment. Logs go to stderr. SIGTERM or SIGINT stops the HTTP servers and runs the harness
cleanups (services stopped), then the process exits 0.

    <nova-venv>/bin/python tests/realnova/nova_harness.py [--port 0] [--placement-port 0]
        [--info-file F] [--capacity]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import warnings

# Native threading instead of eventlet: wsgiref's request threads then are real
# threads like the ones Nova's services use. Must be set before any nova import.
os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')
# oslotest would swallow stdout/stderr or impose a test timeout if these were set.
for _name in ('OS_STDOUT_CAPTURE', 'OS_STDERR_CAPTURE', 'OS_LOG_CAPTURE', 'OS_TEST_TIMEOUT'):
    os.environ.pop(_name, None)

import logging  # noqa: E402
import socketserver  # noqa: E402
import urllib.parse  # noqa: E402
from wsgiref import simple_server  # noqa: E402

import nova.conf  # noqa: E402
import nova.tests.functional  # noqa: E402,F401 - applies the concurrency mode first
import wsgi_intercept  # noqa: E402
from nova import context as nova_context  # noqa: E402
from nova import objects  # noqa: E402
from nova.pci import devspec  # noqa: E402
from nova.tests.functional import integrated_helpers  # noqa: E402
from nova.virt import fake as fake_virt  # noqa: E402

CONF = nova.conf.CONF
STDOUT = sys.__stdout__
HOSTS = ('compute1', 'compute2')
SERVER_NAME = 'demo-server-pci'
FLAVOR_NAME = 'pci.a1'
# Nova's fake PCI driver reports ``fake-vendor_id``/``fake-product_id``, which no PCI
# alias can match (the alias schema wants 4 hex digits) and which would make resource
# classes like CUSTOM_PCI_FAKE_VENDOR_ID_FAKE_PRODUCT_ID. The harness driver keeps that
# driver's devices (PFs 0000:0{1,2,3}:00.0, each with one VF at function 1) and its
# config fixture (the sysfs mocks) but reports real ids: Intel X540 PFs/VFs
# (8086:1528 / 8086:1515), plus two type-PCI GPUs (10de:1eb8) that the alias ``a1``
# hands to the server (the same ids as the recorded Placement reference in
# tests/data/nova-34-placement). One GPU address has hex letters, so the provider name
# Nova builds upper-cases it. PF 02:00.0 gets two more VFs: its provider then holds 3 VFs
# (the fake driver has one VF per PF).
PF_IDS = ('8086', '1528')
VF_IDS = ('8086', '1515')
GPU_IDS = ('10de', '1eb8')
GPU_ADDRESSES = ('0000:04:00.0', '0000:af:00.0')
EXTRA_PF2_VFS = ('0000:02:00.2', '0000:02:00.3')
PCI_ALIAS = 'a1'
PCI_ALIAS_SPEC = {'name': PCI_ALIAS, 'vendor_id': GPU_IDS[0], 'product_id': GPU_IDS[1],
                  'device_type': 'type-PCI'}
# Replaces the fake driver's device_spec, which tags every device with a
# physical_network (Nova leaves such devices out of Placement: they are Neutron's) and
# matches each PF together with its VF (Nova's Placement view refuses that). Addresses
# are globs with a wildcard and ids are given: an exact address makes Nova look into /sys.
GOLD_TRAIT = 'gold'  # a device_spec trait; Nova normalises it to CUSTOM_GOLD
DEVICE_SPECS = [
    # PF 01:00.0 as a whole (its VF has another product id): a type-PF provider.
    {'vendor_id': PF_IDS[0], 'product_id': PF_IDS[1], 'address': '0000:01:00.*'},
    # Only the VFs of PF 02:00.0: the provider is named after the PF and holds the VFs.
    {'vendor_id': VF_IDS[0], 'product_id': VF_IDS[1], 'address': '0000:02:00.*'},
    # PF 03:00.0 as a whole, with an operator trait.
    {'vendor_id': PF_IDS[0], 'product_id': PF_IDS[1], 'address': '0000:03:00.*',
     'traits': GOLD_TRAIT},
    # The GPUs, by ids.
    {'vendor_id': GPU_IDS[0], 'product_id': GPU_IDS[1]},
]
# The capacity scenario (--capacity). Its device_spec keeps PF 03:00.0 and the GPUs as
# above but takes the VFs of two PFs: PF 01:00.0's one VF and PF 02:00.0's three, two
# providers of CUSTOM_PCI_8086_1515 per host (groups can compete for them).
CAPACITY_DEVICE_SPECS = [
    {'vendor_id': VF_IDS[0], 'product_id': VF_IDS[1], 'address': '0000:01:00.*'},
    {'vendor_id': VF_IDS[0], 'product_id': VF_IDS[1], 'address': '0000:02:00.*'},
    DEVICE_SPECS[2],
    DEVICE_SPECS[3],
]
CAPACITY_ALIAS_SPECS = [
    {'name': 'gpu', 'vendor_id': GPU_IDS[0], 'product_id': GPU_IDS[1],
     'device_type': 'type-PCI'},
    {'name': 'vf', 'vendor_id': VF_IDS[0], 'product_id': VF_IDS[1], 'device_type': 'type-VF'},
]
# [DEFAULT] options of the capacity scenario: with the driver's 2 vCPUs, 8192 MiB and
# 1028 GiB, the roots hold VCPU 2 x 4.0, MEMORY_MB 8192 - 512, DISK_GB 1028.
CAPACITY_CONF = {'cpu_allocation_ratio': 4.0, 'ram_allocation_ratio': 1.0,
                 'disk_allocation_ratio': 1.0, 'reserved_host_cpus': 0,
                 'reserved_host_memory_mb': 512, 'reserved_host_disk_mb': 0}
ADMIN_ROLES = 'reader,member,admin'
PLACEMENT_PREFIX = '/placement'
PLACEMENT_TOKEN = 'admin'  # what the fixture's noauth2 Placement takes as an admin


def _log(message: str, *args) -> None:
    sys.stderr.write('nova_harness: ' + (message % args if args else message) + '\n')
    sys.stderr.flush()


def _api_paste_config() -> str:
    # The wheel installs api-paste.ini under <prefix>/etc/nova/, not where Nova's
    # test config fixture looks for it (next to the source tree).
    path = os.path.join(sys.prefix, 'etc', 'nova', 'api-paste.ini')
    if not os.path.exists(path):
        raise RuntimeError(f'api-paste.ini not found at {path}')
    return path


def admin_identity(app, project_id: str):
    """WSGI middleware: requests without identity headers act as the admin of the project.

    The stubbed keystone context of Nova's API fixture builds the request context from
    X-Auth-User/X-Auth-Project-Id/X-Roles (user ``admin`` is ``is_admin``).
    """
    def wrapped(environ, start_response):
        environ.setdefault('HTTP_X_AUTH_USER', 'admin')
        environ.setdefault('HTTP_X_USER_ID', 'admin')
        environ.setdefault('HTTP_X_AUTH_PROJECT_ID', project_id)
        environ.setdefault('HTTP_X_PROJECT_ID', project_id)
        environ.setdefault('HTTP_X_ROLES', ADMIN_ROLES)
        return app(environ, start_response)
    return wrapped


def placement_mount(app, prefix: str = PLACEMENT_PREFIX, token: str = PLACEMENT_TOKEN):
    """WSGI middleware: Placement under ``prefix`` (as devstack mounts it), 404 elsewhere;
    a request without ``X-Auth-Token`` gets ``token`` (noauth2 answers 401 otherwise)."""
    def wrapped(environ, start_response):
        path = environ.get('PATH_INFO', '')
        if path != prefix and not path.startswith(prefix + '/'):
            start_response('404 Not Found', [('Content-Type', 'text/plain')])
            return [b'Not Found: Placement is at ' + prefix.encode() + b'\n']
        environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + prefix
        environ['PATH_INFO'] = path[len(prefix):]
        environ.setdefault('HTTP_X_AUTH_TOKEN', token)
        return app(environ, start_response)
    return wrapped


def intercepted_app(endpoint: str):
    """The WSGI application wsgi-intercept serves at ``endpoint`` (the Placement fixture
    installs its app there and keeps no other reference to it)."""
    parsed = urllib.parse.urlsplit(endpoint)
    port = parsed.port or (443 if parsed.scheme == 'https' else 80)
    try:
        app_create, _script_name = wsgi_intercept._wsgi_intercept[(parsed.hostname, port)]
    except KeyError:
        raise RuntimeError(f'no wsgi-intercept installed for {endpoint}') from None
    return app_create()


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver listens with a backlog of 5: pci-cli opens 8 connections to Placement
    # at once, and a connection dropped from a full backlog costs a 1 s SYN retry.
    request_queue_size = 64


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        _log('%s %s', self.address_string(), format % args)


class HarnessPciDriver(fake_virt.FakeDriverWithPciResources):
    """The fake PCI driver with hex vendor/product ids, two more VFs on PF 02:00.0 and
    two type-PCI devices."""

    def get_available_resource(self, nodename):
        status = super().get_available_resource(nodename)
        devices = json.loads(status['pci_passthrough_devices'])
        for device in devices:
            ids = PF_IDS if device['dev_type'] == 'type-PF' else VF_IDS
            device['vendor_id'], device['product_id'] = ids
        pf2_vf = next(d for d in devices if d['address'] == self.PCI_ADDR_PF2_VF1)
        for address in EXTRA_PF2_VFS:
            devices.append(dict(pf2_vf, address=address))
        for address in GPU_ADDRESSES:
            devices.append({'address': address, 'vendor_id': GPU_IDS[0],
                            'product_id': GPU_IDS[1], 'status': 'available',
                            'dev_type': 'type-PCI', 'parent_addr': None, 'numa_node': 0,
                            'label': 'label_10de_1eb8'})
        status['pci_passthrough_devices'] = json.dumps(devices)
        return status


# Nova loads the driver by name from nova.virt only.
fake_virt.HarnessPciDriver = HarnessPciDriver


class RealNovaHarness(integrated_helpers._IntegratedTestBase):
    """Nova's integrated functional base with two PCI-capable fake computes."""

    ADMIN_API = True
    microversion = 'latest'

    # Filled in by main() before the case runs.
    port = 0
    placement_port = 0
    info_file: str | None = None
    capacity = False
    stop_event: threading.Event

    def setUp(self):
        self.flags(api_paste_config=_api_paste_config(), group='wsgi')
        self.flags(compute_driver='fake.HarnessPciDriver')
        # pci_in_placement: the scheduler asks Placement for the alias's resource class
        # and claims the device there, as Nova does once every compute reports to
        # Placement. (Without it the allocation lands there too: the compute heals it
        # in when it claims the device; tried, same provider tree and consumers.)
        self.flags(enabled_filters=['ComputeFilter', 'ComputeCapabilitiesFilter',
                                    'ImagePropertiesFilter', 'PciPassthroughFilter'],
                   pci_in_placement=True, group='filter_scheduler')
        # Keeps its sysfs mocks; its device_spec is replaced below.
        self.useFixture(
            fake_virt.FakeDriverWithPciResources.FakeDriverWithPciResourcesConfigFixture())
        if self.capacity:
            self.flags(**CAPACITY_CONF)
            self.flags(device_spec=[json.dumps(spec) for spec in CAPACITY_DEVICE_SPECS],
                       alias=[json.dumps(spec) for spec in CAPACITY_ALIAS_SPECS],
                       report_in_placement=True, group='pci')
        else:
            self.flags(device_spec=[json.dumps(spec) for spec in DEVICE_SPECS],
                       alias=[json.dumps(PCI_ALIAS_SPEC)], report_in_placement=True,
                       group='pci')
        super().setUp()

    def _setup_compute_service(self):
        for host in HOSTS:
            compute = self._start_compute(host)
        return compute

    def _boot_server(self) -> tuple[dict, bool]:
        try:
            flavor_id = self._create_flavor(
                name=FLAVOR_NAME, memory_mb=512, vcpu=1, disk=1, ephemeral=0,
                extra_spec={'pci_passthrough:alias': f'{PCI_ALIAS}:1'})
            server = self._create_server(name=SERVER_NAME, flavor_id=flavor_id,
                                         networks='none', host=HOSTS[0])
            return server, True
        except Exception as exc:  # noqa: BLE001 - fall back to a plain server
            _log('booting a server with a PCI alias failed (%s); booting a plain one', exc)
            for server in self.api.get_servers():
                self._delete_server(server)
            server = self._create_server(name=SERVER_NAME, networks='none', host=HOSTS[0])
            return server, False

    def _demo_info(self) -> dict:
        """The demo server (booted here) and what Nova's database says it holds."""
        server, holds_pci = self._boot_server()
        server = self.api.get_server(server['id'])
        context = nova_context.get_admin_context()
        held = objects.PciDeviceList.get_by_instance_uuid(context, server['id'])
        node_names = {node.id: node.hypervisor_hostname
                      for node in objects.ComputeNodeList.get_all(context)}
        return {
            'server_id': server['id'],
            'server_name': server['name'],
            'server_host': server.get('OS-EXT-SRV-ATTR:hypervisor_hostname'),
            'server_holds_pci_device': holds_pci and len(held) > 0,
            'pci_alias': PCI_ALIAS if holds_pci else None,
            'pci_device_specs': DEVICE_SPECS,
            # What Nova's database says the server holds (no API of Nova 34 shows it).
            'server_pci_devices': [
                _device_dict(device, node_names.get(device.compute_node_id))
                for device in held],
        }

    def _capacity_info(self) -> dict:
        """What the capacity scenario configured (no server: the tests boot them)."""
        return {
            'mode': 'capacity',
            'pci_device_specs': CAPACITY_DEVICE_SPECS,
            # The [pci] alias lines of nova.conf, one JSON object each.
            'pci_alias_lines': [json.dumps(spec) for spec in CAPACITY_ALIAS_SPECS],
            'conf': dict(CAPACITY_CONF),
            'driver': {'vcpus': HarnessPciDriver.vcpus,
                       'memory_mb': HarnessPciDriver.memory_mb,
                       'local_gb': HarnessPciDriver.local_gb},
        }

    def _tracked_pci_devices(self) -> list[dict]:
        """Every PCI device Nova's database tracks on the computes, with the provider
        Nova recorded for it (``extra_info['rp_uuid']``)."""
        context = nova_context.get_admin_context()
        devices = []
        for node in objects.ComputeNodeList.get_all(context):
            for device in objects.PciDeviceList.get_by_compute_node(context, node.id):
                devices.append(_device_dict(device, node.hypervisor_hostname))
        return sorted(devices, key=lambda d: (d['host'], d['address']))

    @staticmethod
    def _serve(app, port: int, name: str) -> _ThreadingWSGIServer:
        httpd = _ThreadingWSGIServer(('127.0.0.1', port), _QuietHandler)
        httpd.set_app(app)
        threading.Thread(target=httpd.serve_forever, name=name, daemon=True).start()
        return httpd

    def test_serve(self):
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.INFO)
        handler.setFormatter(logging.Formatter('%(asctime)s %(levelname)s [%(name)s] %(message)s'))
        logging.getLogger().addHandler(handler)
        self.addCleanup(logging.getLogger().removeHandler, handler)

        # Nova's WarningsFixture made some warnings errors; a deployment has no such
        # filters. Back to Python's defaults: deprecations ignored (Nova 34 and oslo.db
        # raise SQLAlchemy ones on every save), the rest shown, none raised.
        warnings.resetwarnings()
        warnings.simplefilter('ignore', DeprecationWarning)
        scenario = self._capacity_info() if self.capacity else self._demo_info()
        hypervisors = self.admin_api.api_get('os-hypervisors/detail').body['hypervisors']

        placement_app = placement_mount(intercepted_app(self.placement_fixture.endpoint))
        servers = []
        try:
            servers.append(self._serve(
                admin_identity(self.api_fixture.app(), self.api_fixture.project_id),
                self.port, 'wsgi-compute'))
            servers.append(self._serve(placement_app, self.placement_port, 'wsgi-placement'))
            url = f'http://127.0.0.1:{servers[0].server_address[1]}/v2.1'
            placement_url = f'http://127.0.0.1:{servers[1].server_address[1]}{PLACEMENT_PREFIX}'
            info = {
                'url': url,
                'placement_url': placement_url,
                'placement_token': PLACEMENT_TOKEN,
                'project_id': self.api_fixture.project_id,
                **scenario,
                # Every device Nova tracks (what it reported to Placement).
                'pci_devices': self._tracked_pci_devices(),
                'hypervisors': [{'id': h['id'], 'hypervisor_hostname': h['hypervisor_hostname']}
                                for h in hypervisors],
            }
            if self.info_file:
                tmp = self.info_file + '.tmp'
                with open(tmp, 'w') as out:
                    json.dump(info, out)
                os.replace(tmp, self.info_file)
            STDOUT.write(url + '\n' + placement_url + '\n')
            STDOUT.flush()
            _log('ready: %s', json.dumps(info))
            while not self.stop_event.wait(0.5):
                pass
            _log('stopping')
        finally:
            for httpd in servers:
                httpd.shutdown()
                httpd.server_close()


def _spec_tags(device) -> dict | None:
    """The tags of the first device_spec that matches ``device`` (Nova's own matcher)."""
    for spec in CONF.pci.device_spec:
        spec = json.loads(spec)
        matcher = devspec.PciDeviceSpec(dict(spec))
        if matcher.match_pci_obj(device):
            return dict(matcher.get_tags())
    return None


def _device_dict(device, host: str | None) -> dict:
    extra_info = device.extra_info or {}
    return {'id': device.id, 'host': host, 'address': device.address,
            'vendor_id': device.vendor_id, 'product_id': device.product_id,
            'dev_type': device.dev_type, 'status': device.status,
            'parent_addr': device.parent_addr, 'instance_uuid': device.instance_uuid,
            'compute_node_id': device.compute_node_id,
            'rp_uuid': extra_info.get('rp_uuid'), 'spec_tags': _spec_tags(device)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, default=0,
                        help='compute API port; 0 picks a free port')
    parser.add_argument('--placement-port', type=int, default=0,
                        help='Placement API port; 0 picks a free port')
    parser.add_argument('--info-file', help='write a JSON description here when ready')
    parser.add_argument('--capacity', action='store_true',
                        help='the capacity scenario: no demo server, capacity aliases')
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    RealNovaHarness.port = args.port
    RealNovaHarness.placement_port = args.placement_port
    RealNovaHarness.info_file = args.info_file
    RealNovaHarness.capacity = args.capacity
    RealNovaHarness.stop_event = stop
    started = time.monotonic()
    case = RealNovaHarness('test_serve')
    result = case.defaultTestResult()
    case.run(result)
    problems = result.errors + result.failures
    for _, trace in problems:
        # testtools puts the captured Nova log first and the traceback last.
        _log('harness failed after %.1f s:\n%s', time.monotonic() - started, trace)
    if problems:
        return 1
    _log('stopped cleanly')
    return 0


if __name__ == '__main__':
    sys.exit(main())
