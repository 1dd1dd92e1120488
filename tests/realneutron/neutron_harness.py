"""A real Neutron 29 API on loopback ports: its ML2 plugin on SQLite, served in-process.

Runs inside the dedicated Neutron venv (never imported by the test process). Neutron's
migrations do not run on SQLite, so its tables are created from its models (the same
metadata Neutron's ``head`` module gathers for its own schema comparisons) with
``metadata.create_all``. The core plugin is ML2 with the ``flat`` and ``vlan`` type drivers
on ``physnet1``/``physnet2`` and the ``sriovnicswitch`` mechanism driver; oslo.messaging
runs on its in-memory ``fake:/`` transport and the Nova notifier is off. An SR-IOV NIC agent
is registered in the database for each host of ``HOSTS`` (what the agent's first report
would write), so ``direct`` ports bind as on a real cloud; ``direct-physical`` ports bind
without one, as Neutron does.

The API is Neutron's own WSGI stack (request id, error catching, Neutron's keystone-context
middleware, its extension middleware and its pecan v2 application, its versions document
at ``/``) without keystonemiddleware's token check: the request context is built from the
identity headers (``X-User-Id``, ``X-Project-Id``, ``X-Roles``), as behind a real
``authtoken``. The same application is served on three ports; a request without
``X-Roles`` gets the identity of its port: ``admin`` (roles admin, member, reader of
``PROJECT_ID``), ``member`` (member, reader of ``PROJECT_ID``) or ``service`` (role
``service``, as Nova's service user: today's policy lets only it write
``binding:profile``). Policy is Neutron's in-code default (new defaults, scope checks).

Protocol: once ready, the admin endpoint is the first line on stdout; ``--info-file``
receives a JSON document (``admin_url``, ``member_url``, ``service_url``, ``project_id``,
``hosts``, ``neutron_version``) written atomically at the same moment. Logs go to stderr.
SIGTERM or SIGINT stops the servers; the process then exits 0.

    <neutron-venv>/bin/python tests/realneutron/neutron_harness.py --workdir DIR
        [--info-file F]
"""
from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import signal
import socketserver
import sys
import threading
import time
import warnings
from wsgiref import simple_server

PROJECT_ID = 'a0c0e8b1f2d34c5e9f60718293a4b5c6'
OTHER_PROJECT_ID = 'f1e2d3c4b5a69788796a5b4c3d2e1f00'
HOSTS = ('compute1', 'compute2')
PHYSNETS = ('physnet1', 'physnet2')
# The identity a request without X-Roles gets, per port.
IDENTITIES = {
    'admin': {'HTTP_X_USER_ID': 'admin', 'HTTP_X_PROJECT_ID': PROJECT_ID,
              'HTTP_X_ROLES': 'admin,member,reader'},
    'member': {'HTTP_X_USER_ID': 'demo', 'HTTP_X_PROJECT_ID': PROJECT_ID,
               'HTTP_X_ROLES': 'member,reader'},
    'service': {'HTTP_X_USER_ID': 'nova', 'HTTP_X_PROJECT_ID': 'service',
                'HTTP_X_ROLES': 'service'},
}
STDOUT = sys.__stdout__


def _log(message: str, *args) -> None:
    sys.stderr.write('neutron_harness: ' + (message % args if args else message) + '\n')
    sys.stderr.flush()


def write_config(workdir: str) -> str:
    """neutron.conf for this run (ML2 options included), under ``workdir``."""
    path = os.path.join(workdir, 'neutron.conf')
    database = os.path.join(workdir, 'neutron.sqlite')
    flat = ','.join(PHYSNETS)
    vlans = ','.join(f'{net}:{100 * (i + 1)}:{100 * (i + 1) + 99}'
                     for i, net in enumerate(PHYSNETS))
    with open(path, 'w') as out:
        out.write(f"""[DEFAULT]
core_plugin = ml2
service_plugins =
transport_url = fake:/
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
agent_down_time = 2000000
state_path = {workdir}
allow_overlapping_ips = true
use_stderr = true

[database]
connection = sqlite:///{database}

[oslo_concurrency]
lock_path = {os.path.join(workdir, 'lock')}

[ml2]
type_drivers = flat,vlan
tenant_network_types = vlan
mechanism_drivers = sriovnicswitch
extension_drivers = port_security

[ml2_type_flat]
flat_networks = {flat}

[ml2_type_vlan]
network_vlan_ranges = {vlans}
""")
    return path


def create_tables() -> None:
    """Neutron's tables from its models (its migrations need MySQL or PostgreSQL)."""
    from neutron.db.migration.models import head
    from neutron_lib.db import api as db_api

    engine = db_api.CONTEXT_WRITER.get_engine()
    head.get_metadata().create_all(engine)


def register_sriov_agents() -> None:
    """What each host's SR-IOV NIC agent reports first: its device mappings, alive."""
    from neutron_lib import constants
    from neutron_lib import context as n_context
    from neutron_lib.plugins import directory

    plugin = directory.get_plugin()
    context = n_context.get_admin_context()
    for host in HOSTS:
        plugin.create_or_update_agent(context, {
            'binary': 'neutron-sriov-nic-agent', 'host': host, 'topic': 'N/A',
            'agent_type': constants.AGENT_TYPE_NIC_SWITCH, 'start_flag': True,
            'configurations': {'device_mappings': {net: [f'ens{i + 1}f0']
                                                   for i, net in enumerate(PHYSNETS)}},
        })


def identity_defaults(app, identity: dict[str, str]):
    """WSGI middleware: a request without ``X-Roles`` acts as ``identity``."""
    def wrapped(environ, start_response):
        if 'HTTP_X_ROLES' not in environ:
            environ.update(identity)
        return app(environ, start_response)
    return wrapped


def build_app():
    """Neutron's API stack of api-paste.ini's keystone pipeline, minus the token check."""
    from neutron import auth
    from neutron.api import extensions
    from neutron.api.v2 import router
    from neutron.pecan_wsgi import app as pecan_app
    from oslo_middleware import catch_errors, request_id
    from paste import urlmap

    api = router.APIRouter.factory({})
    api = extensions.plugin_aware_extension_middleware_factory({})(api)
    api = auth.NeutronKeystoneContext(api)
    api = catch_errors.CatchErrors(api)
    api = request_id.RequestId(api)
    root = urlmap.URLMap()
    root['/v2.0'] = api
    root['/'] = pecan_app.versions_factory({})
    return root


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        _log('%s %s', self.address_string(), format % args)


def serve(app, name: str) -> _ThreadingWSGIServer:
    httpd = _ThreadingWSGIServer(('127.0.0.1', 0), _QuietHandler)
    httpd.set_app(app)
    threading.Thread(target=httpd.serve_forever, name=name, daemon=True).start()
    return httpd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--workdir', required=True, help='config, database and locks')
    parser.add_argument('--info-file', help='write a JSON description here when ready')
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    warnings.simplefilter('ignore', DeprecationWarning)
    started = time.monotonic()

    from neutron.common import config

    config.register_common_config_options()
    config.init(['--config-file', write_config(args.workdir)])
    config.setup_logging()
    config.set_config_defaults()
    create_tables()
    app = build_app()  # loads the plugin, its drivers and the extensions
    register_sriov_agents()

    servers = {name: serve(identity_defaults(app, identity), f'wsgi-{name}')
               for name, identity in IDENTITIES.items()}
    try:
        urls = {f'{name}_url': f'http://127.0.0.1:{httpd.server_address[1]}'
                for name, httpd in servers.items()}
        info = {**urls, 'project_id': PROJECT_ID, 'other_project_id': OTHER_PROJECT_ID,
                'hosts': list(HOSTS), 'physnets': list(PHYSNETS),
                'neutron_version': importlib.metadata.version('neutron'),
                'neutron_lib_version': importlib.metadata.version('neutron-lib'),
                'start_seconds': round(time.monotonic() - started, 1)}
        if args.info_file:
            tmp = args.info_file + '.tmp'
            with open(tmp, 'w') as out:
                json.dump(info, out)
            os.replace(tmp, args.info_file)
        STDOUT.write(urls['admin_url'] + '\n')
        STDOUT.flush()
        _log('ready: %s', json.dumps(info))
        while not stop.wait(0.5):
            pass
        _log('stopping')
    finally:
        for httpd in servers.values():
            httpd.shutdown()
            httpd.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
