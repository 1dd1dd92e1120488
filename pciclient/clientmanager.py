"""Builds the compute client from the global options, on first use only.

Commands reach it as ``app.client_manager.pci``, exactly as they do inside the
``openstack`` CLI, so one command class serves both. Heavy machinery
(clouds.yaml, the embedded fake server) is imported only when asked for.
"""
from __future__ import annotations

import sys
from typing import Any

from pciclient import exceptions as exc
from pciclient import options

NO_CLOUD = ('Nothing tells pci-cli where your cloud is: use --os-cloud NAME (clouds.yaml), '
            'set OS_AUTH_URL and credentials (e.g. source an openrc file), '
            'give --os-auth-type none --os-endpoint URL, or try --local.')

#: The keys of a clouds.yaml ``auth`` section whose values are secrets (see ``secrets``).
SECRET_KEYS = ('password', 'token', 'application_credential_secret', 'passcode', 'secret')


class ClientManager:
    """Holds the options and, once a command asks, the session and the client."""

    def __init__(self, args: Any, deadline: float | None = None,
                 secrets: set[str] | None = None) -> None:
        self._args = args
        #: When the whole command must be over (``time.monotonic()``), for the client.
        self._deadline = deadline
        #: Where the secrets of a clouds.yaml go once read, so that logs can hide them.
        self.secrets = secrets if secrets is not None else set()
        self._client: Any = None
        self._local_server: Any = None

    @property
    def pci(self) -> Any:
        if self._client is None:
            self._client = self._make_client()
            if sys.stderr.isatty():
                from pciclient.commands.progress import TerminalProgress
                progress = TerminalProgress(sys.stderr)
                self._client.http.progress = progress
                if self._client.placement.http is not None:
                    self._client.placement.http.progress = progress
                if self._client.neutron.http is not None:
                    self._client.neutron.http.progress = progress
        return self._client

    @property
    def local_pci_aliases(self) -> str | None:
        """With ``--local``, the embedded cloud's nova.conf PCI aliases (a JSON list), which
        ``capacity`` takes when no ``--pci-alias`` is given; otherwise None."""
        if self._local_server is None or not self._local_server.pci_aliases:
            return None
        import json
        return json.dumps(self._local_server.pci_aliases)

    def close(self) -> None:
        if self._local_server is not None:
            self._local_server.stop()
            self._local_server = None

    # -- building ---------------------------------------------------------------
    def _make_client(self) -> Any:
        from functools import partial

        from pciclient import client as pci_client

        args = self._args
        for option, url in (('--os-endpoint', args.os_endpoint),
                            ('--os-compute-endpoint-override', args.os_compute_endpoint_override),
                            ('--os-endpoint-override', args.os_endpoint_override),
                            ('--os-placement-endpoint-override',
                             args.os_placement_endpoint_override),
                            ('--os-network-endpoint-override',
                             args.os_network_endpoint_override)):
            _check_scheme(url, option)
        Client = partial(  # noqa: N806
            pci_client.Client,
            pci_client.version_from_option(args.os_compute_api_version or args.os_api_version),
            pci_source=args.pci_source,
            retries=args.os_retries,
            placement_endpoint_override=args.os_placement_endpoint_override,
            placement_interface=args.os_placement_interface,
            placement_service_type=args.os_placement_service_type,
            placement_api_version=args.os_placement_api_version,
            placement_concurrency=args.placement_concurrency,
            network_endpoint_override=args.os_network_endpoint_override,
            network_interface=args.os_network_interface,
            network_service_type=args.os_network_service_type,
            **self._limits())
        if args.local:
            compute = self._start_local()
            # The embedded server serves Placement and Neutron beside compute, as the fake
            # cloud does.
            root = compute.rsplit('/', 1)[0]
            return Client(self._local_session(), endpoint_override=compute,
                          placement_endpoint_override=(args.os_placement_endpoint_override
                                                       or root + '/placement'),
                          network_endpoint_override=(args.os_network_endpoint_override
                                                     or root + '/network'))
        if args.os_cloud:
            return self._client_from_clouds_yaml(Client)
        session = self._session()
        # Without Keystone the auth plugin answers its one endpoint for every service:
        # Placement is then only where --os-placement-endpoint-override says.
        catalog = options.auth_type(args) not in ('none', 'admin_token')
        placement = catalog or bool(args.os_placement_endpoint_override)
        return Client(
            session,
            placement=placement,
            network=catalog or bool(args.os_network_endpoint_override),
            endpoint_override=(args.os_compute_endpoint_override or args.os_endpoint_override
                               or args.os_endpoint),
            region_name=args.os_region_name,
            interface=args.os_compute_interface or args.os_interface or 'public',
            service_type=args.os_compute_service_type or args.os_service_type or 'compute',
            service_name=args.os_compute_service_name or args.os_service_name)

    def _limits(self) -> dict[str, Any]:
        """``deadline`` and ``max_answer_size`` for the client, each only if its
        ``Client`` takes it (a library older than these options still works)."""
        import inspect

        from pciclient.v2 import client as v2_client

        wanted = {'deadline': self._deadline,
                  'max_answer_size': getattr(self._args, 'max_answer_size', None)}
        accepted = inspect.signature(v2_client.Client).parameters
        return {name: value for name, value in wanted.items()
                if value is not None and name in accepted}

    def _session(self) -> Any:
        from keystoneauth1 import exceptions as ksa_exc
        from keystoneauth1 import loading

        args = self._args
        name = options.auth_type(args)
        if name == 'password' and not args.os_auth_url:
            raise exc.ConfigurationError(NO_CLOUD)
        if name not in ('none', 'admin_token'):
            _check_scheme(args.os_auth_url, 'The auth URL', ' (--os-auth-url, OS_AUTH_URL)')
        if name in ('none', 'admin_token') and not args.os_endpoint:
            raise exc.ConfigurationError(
                f'--os-auth-type {name} needs the compute endpoint: --os-endpoint URL.')
        if name in ('password', 'v3password') and not (args.os_username or args.os_user_id) \
                or name in ('password', 'v3password') and not args.os_password:
            raise exc.ConfigurationError(
                'Password authentication needs --os-username (OS_USERNAME) and '
                '--os-password (OS_PASSWORD), or choose another --os-auth-type.')
        try:
            loader = options.plugin_loader(name)
        except ksa_exc.NoMatchingPlugin:
            raise exc.ConfigurationError(
                f'Unknown --os-auth-type {name!r}; try password, token, '
                'v3applicationcredential, admin_token or none.') from None
        try:
            auth = loader.load_from_options_getter(
                lambda opt: getattr(args, f'os_{opt.dest}', None))
        except ksa_exc.MissingRequiredOptions as error:
            flags = ', '.join('--os-' + opt.dest.replace('_', '-') for opt in error.options)
            raise exc.ConfigurationError(f'--os-auth-type {name} needs {flags}.') from None
        return loading.load_session_from_argparse_arguments(args, auth=auth)

    def _local_session(self) -> Any:
        from keystoneauth1 import loading, noauth

        return loading.load_session_from_argparse_arguments(self._args, auth=noauth.NoAuth())

    def _start_local(self) -> str:
        from pciclient.fakeserver import embedded

        _check_sysfs_root(self._args.local_sysfs_root or embedded.DEFAULT_SYSFS_ROOT)
        self._local_server = embedded.start_local(self._args.local_sysfs_root)
        return self._local_server.compute_url

    def _client_from_clouds_yaml(self, client_class: Any) -> Any:
        from openstack import exceptions as sdk_exc
        from osc_lib.cli import client_config

        args = self._args
        try:
            config = client_config.OSC_Config()
            _check_cloud_name(config, args.os_cloud)
            cloud = config.get_one(cloud=args.os_cloud, argparse=args)
            auth_config = cloud.config.get('auth')
            if isinstance(auth_config, dict):
                for key in ('auth_url', 'endpoint'):
                    _check_scheme(auth_config.get(key), f'clouds.yaml cloud {args.os_cloud}: '
                                                        f'{key}')
            session = cloud.get_session()
        except sdk_exc.OpenStackCloudException as error:
            raise exc.ConfigurationError(f'clouds.yaml: {error}') from None
        network_override = (args.os_network_endpoint_override
                            or cloud.config.get('network_endpoint_override'))
        if isinstance(auth_config, dict):
            self.secrets.update(str(value) for key, value in auth_config.items()
                                if key in SECRET_KEYS and value)
        return client_class(
            session,
            endpoint_override=(args.os_compute_endpoint_override or args.os_endpoint_override
                               or args.os_endpoint or cloud.get_endpoint('compute')),
            region_name=cloud.get_region_name('compute'),
            interface=args.os_compute_interface or cloud.get_interface('compute') or 'public',
            # Without Keystone every service would answer at the one endpoint.
            network=(cloud.config.get('auth_type') not in ('none', 'admin_token')
                     or bool(network_override)),
            network_endpoint_override=network_override,
            timeout=args.timeout or cloud.config.get('api_timeout'))


def _check_scheme(url: Any, what: str, where: str = '') -> None:
    """Refuse a URL without ``http://`` or ``https://`` before any request.

    keystoneauth takes ``keystone:5000/v3`` for a path relative to an endpoint from the
    catalog, which it does not have yet, and the failure then reads "no compute endpoint
    in the catalog": nothing in it points at the auth URL that lacks its scheme.
    """
    if not isinstance(url, str) or not url or '://' in url:
        return
    from pciclient.text import printable

    shown = printable(url)
    raise exc.ConfigurationError(f'{what} {shown}{where} needs http:// or https://: did you '
                                 f"mean http://{shown.lstrip('/')}?")


#: Where openstacksdk looks for clouds.yaml when OS_CLIENT_CONFIG_FILE names no file.
CLOUDS_YAML_PLACES = ('./clouds.yaml', '~/.config/openstack/clouds.yaml',
                      '/etc/openstack/clouds.yaml')


def _check_cloud_name(config: Any, name: str) -> None:
    """Refuse an ``--os-cloud`` that names no cloud, with the names there are.

    openstacksdk says only "Cloud NAME was not found", not which file it read (with
    ``OS_CLIENT_CONFIG_FILE`` naming no file it silently reads another) nor what
    names it has. Only the names are shown: never a cloud's settings.
    """
    from pciclient.text import printable

    clouds = config.cloud_config.get('clouds') or {}
    if name in clouds:
        return
    if clouds == {'defaults': dict(config.defaults)}:  # openstacksdk's stand-in: no clouds
        clouds = {}
    filename = config.config_filename
    if not filename:
        where = 'no clouds.yaml was found (OS_CLIENT_CONFIG_FILE, ' + \
            ', '.join(CLOUDS_YAML_PLACES) + ')'
    elif clouds:
        where = (f'{printable(filename)} has no cloud of that name; its clouds: '
                 + ', '.join(printable(str(cloud)) for cloud in sorted(clouds, key=str)))
    else:
        where = f'{printable(filename)} defines no clouds'
    raise exc.ConfigurationError(f'--os-cloud {printable(name)}: {where}.')


def _check_sysfs_root(root: str) -> None:
    """Refuse a ``--local`` sysfs root without ``bus/pci/devices``.

    The scan reads whatever it finds and would serve an empty cloud: a typo in the
    root (or a machine without PCI in sysfs) must not look like a machine without devices.
    An existing but empty ``bus/pci/devices`` still gives an empty cloud.
    """
    import os

    from pciclient.text import printable

    if not os.path.isdir(root):
        raise exc.ConfigurationError(
            f'--local-sysfs-root {printable(root)}: no such directory.')
    if not os.path.isdir(os.path.join(root, 'bus', 'pci', 'devices')):
        raise exc.ConfigurationError(
            f'--local-sysfs-root {printable(root)} has no bus/pci/devices: not a sysfs tree.')
