"""A real Nova compute API on a loopback port, built from Nova's own functional-test harness.

Runs inside the dedicated Nova venv (never imported by the test process). It starts
Nova's in-process services the way Nova's functional tests do (conductor, scheduler, an
in-process Placement, two computes ``compute1``/``compute2`` on a subclass of
``fake.FakeDriverWithPciResources``), boots one server on ``compute1`` that holds a PCI
device (a type-PCI device through the flavor alias ``a1``; a plain server if that
fails), then serves Nova's compute WSGI application with a threaded ``wsgiref`` server on
127.0.0.1, in Nova's native-threading mode (no eventlet). Every request gets admin
identity headers unless it brings its own, so clients can use ``--os-auth-type none``.

Protocol: the compute endpoint (``http://127.0.0.1:PORT/v2.1``) is the first line on
stdout once everything is ready; ``--info-file`` additionally receives a JSON document
(url, project, server, the PCI devices Nova's database says it holds, hypervisors)
written atomically at the same moment. Logs go to stderr. SIGTERM or SIGINT stops the
HTTP server and runs the harness cleanups (services stopped), then the process exits 0.

    <nova-venv>/bin/python tests/realnova/nova_harness.py [--port 0] [--info-file F]
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time

# Native threading instead of eventlet: wsgiref's request threads then are real
# threads like the ones Nova's services use. Must be set before any nova import.
os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')
# oslotest would swallow stdout/stderr or impose a test timeout if these were set.
for _name in ('OS_STDOUT_CAPTURE', 'OS_STDERR_CAPTURE', 'OS_LOG_CAPTURE', 'OS_TEST_TIMEOUT'):
    os.environ.pop(_name, None)

import logging  # noqa: E402
import socketserver  # noqa: E402
from wsgiref import simple_server  # noqa: E402

import nova.tests.functional  # noqa: E402,F401 - applies the concurrency mode first
from nova.tests.functional import integrated_helpers  # noqa: E402
from nova.virt import fake as fake_virt  # noqa: E402
import nova.conf  # noqa: E402
from nova import context as nova_context  # noqa: E402
from nova import objects  # noqa: E402

CONF = nova.conf.CONF
STDOUT = sys.__stdout__
HOSTS = ('compute1', 'compute2')
SERVER_NAME = 'demo-server-pci'
FLAVOR_NAME = 'pci.a1'
# Nova's fake PCI driver reports ``fake-vendor_id``/``fake-product_id``, which no PCI
# alias can match (the alias schema wants 4 hex digits). The harness driver keeps that
# driver's devices and device_spec fixture but reports real-looking ids: Intel X540
# PFs/VFs (8086:1528 / 8086:1515), plus two type-PCI GPUs (10de:1eb8) that the alias
# ``a1`` hands to the server (the same ids as the shared Placement reference).
PF_IDS = ('8086', '1528')
VF_IDS = ('8086', '1515')
GPU_IDS = ('10de', '1eb8')
GPU_ADDRESSES = ('0000:04:00.0', '0000:05:00.0')
PCI_ALIAS = 'a1'
PCI_ALIAS_SPEC = {'name': PCI_ALIAS, 'vendor_id': GPU_IDS[0], 'product_id': GPU_IDS[1],
                  'device_type': 'type-PCI'}
# By ids, not by exact address: an exact address makes Nova look into /sys.
GPU_DEVICE_SPEC = {'vendor_id': GPU_IDS[0], 'product_id': GPU_IDS[1]}
ADMIN_ROLES = 'reader,member,admin'


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


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        _log('%s %s', self.address_string(), format % args)


class HarnessPciDriver(fake_virt.FakeDriverWithPciResources):
    """The fake PCI driver with hex vendor/product ids and two extra type-PCI devices."""

    def get_available_resource(self, nodename):
        status = super().get_available_resource(nodename)
        devices = json.loads(status['pci_passthrough_devices'])
        for device in devices:
            ids = PF_IDS if device['dev_type'] == 'type-PF' else VF_IDS
            device['vendor_id'], device['product_id'] = ids
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
    info_file: str | None = None
    stop_event: threading.Event

    def setUp(self):
        self.flags(api_paste_config=_api_paste_config(), group='wsgi')
        self.flags(compute_driver='fake.HarnessPciDriver')
        self.flags(enabled_filters=['ComputeFilter', 'ComputeCapabilitiesFilter',
                                    'ImagePropertiesFilter', 'PciPassthroughFilter'],
                   group='filter_scheduler')
        self.useFixture(
            fake_virt.FakeDriverWithPciResources.FakeDriverWithPciResourcesConfigFixture())
        self.flags(device_spec=list(CONF.pci.device_spec)
                   + [json.dumps(GPU_DEVICE_SPEC)], group='pci')
        self.flags(alias=[json.dumps(PCI_ALIAS_SPEC)], group='pci')
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

    def test_serve(self):
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.INFO)
        handler.setFormatter(logging.Formatter('%(asctime)s %(levelname)s [%(name)s] %(message)s'))
        logging.getLogger().addHandler(handler)
        self.addCleanup(logging.getLogger().removeHandler, handler)

        server, holds_pci = self._boot_server()
        server = self.api.get_server(server['id'])
        held = objects.PciDeviceList.get_by_instance_uuid(
            nova_context.get_admin_context(), server['id'])
        hypervisors = self.admin_api.api_get('os-hypervisors/detail').body['hypervisors']

        app = admin_identity(self.api_fixture.app(), self.api_fixture.project_id)
        httpd = _ThreadingWSGIServer(('127.0.0.1', self.port), _QuietHandler)
        httpd.set_app(app)
        url = f'http://127.0.0.1:{httpd.server_address[1]}/v2.1'
        thread = threading.Thread(target=httpd.serve_forever, name='wsgi', daemon=True)
        thread.start()
        try:
            info = {
                'url': url,
                'project_id': self.api_fixture.project_id,
                'server_id': server['id'],
                'server_name': server['name'],
                'server_host': server.get('OS-EXT-SRV-ATTR:hypervisor_hostname'),
                'server_holds_pci_device': holds_pci and len(held) > 0,
                'pci_alias': PCI_ALIAS if holds_pci else None,
                # What Nova's database says the server holds (no API of Nova 34 shows it).
                'server_pci_devices': [
                    {'id': device.id, 'address': device.address,
                     'vendor_id': device.vendor_id, 'product_id': device.product_id,
                     'dev_type': device.dev_type, 'status': device.status,
                     'compute_node_id': device.compute_node_id} for device in held],
                'hypervisors': [{'id': h['id'], 'hypervisor_hostname': h['hypervisor_hostname']}
                                for h in hypervisors],
            }
            if self.info_file:
                tmp = self.info_file + '.tmp'
                with open(tmp, 'w') as out:
                    json.dump(info, out)
                os.replace(tmp, self.info_file)
            STDOUT.write(url + '\n')
            STDOUT.flush()
            _log('ready: %s', json.dumps(info))
            while not self.stop_event.wait(0.5):
                pass
            _log('stopping')
        finally:
            httpd.shutdown()
            httpd.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--port', type=int, default=0, help='0 picks a free port')
    parser.add_argument('--info-file', help='write a JSON description here when ready')
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    RealNovaHarness.port = args.port
    RealNovaHarness.info_file = args.info_file
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
