"""Describe a whole fake cloud in one YAML file: projects, users, hosts and servers.

``pci-fake-server --scenario FILE`` serves what this module builds. Every part
of the file is checked, and every host read or generated, before anything
starts; the first mistake is reported as ``FILE:LINE: what is wrong`` (a
:class:`ScenarioError`), so an operator never gets a half-started cloud::

    rescan_interval: 60            # seconds; 0: never rescan on a timer
    os_pci: false                  # play a Nova without the os-pci API (default: true)
    projects:
      - {name: demo, id: 0123456789abcdef0123456789abcdef}     # id optional
    users:
      - {name: alice, password: pw, project: demo, roles: [member, reader]}
    hosts:
      - hostname: compute1
        sysfs_root: trees/compute1          # relative to this file
        device_spec:
          - {vendor_id: "8086", product_id: "10ed", physical_network: physnet1}
      - hostname: "gpu-{index:03d}"         # count > 1 needs {index}; it starts at 1
        count: 200
        generate: {pfs: 4, vfs_per_pf: 64, gpus: 2, numa_nodes: 2}
      - hostname: compute9
        generate: {gpus: 2}
        disabled: true                      # nova-compute; COMPUTE_STATUS_DISABLED
        disabled_reason: maintenance
        down: true                          # stopped reporting (or forced_down: true)
        report_in_placement: false          # [pci]: no PCI in Placement (a PF with its VFs ok)
    servers:                                # flavor: name or id (default: m1.tiny-like)
      - {name: vm1, project: demo, host: compute1, devices: ["0000:04:10.0"], flavor: m1.small}
    flavors, pci_aliases, aggregates, security_compliance, vgpus: see the *_nodes.py modules

Without ``flavors`` and ``pci_aliases``: DevStack-like flavors, an alias of the cloud's
first device kind and a flavor asking it (``catalog_nodes.default_catalog``).

Projects named by users or servers but not listed are created. A server's id
defaults to a UUID derived from its name; its ``user`` (optional) must be a
listed user, and defaults to the first user of its project.
"""
from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import yaml

from pciclient.fakeserver.identity.accounts import Project, User, stable_id
from pciclient.fakeserver.identity.lockout import LockoutPolicy
from pciclient.fakeserver.model.catalog import Catalog, Flavor, HostService
from pciclient.fakeserver.model.device_spec import DeviceFilter, DeviceSpecError, parse_device_spec
from pciclient.fakeserver.model.generate import LIMITS, GenerateParams, generate_functions
from pciclient.fakeserver.model.hosts import (
    GeneratedHost,
    HostScan,
    HostSource,
    OnceReader,
    SysfsHost,
    generated_scan,
)
from pciclient.fakeserver.model.inventory import Server
from pciclient.fakeserver.model.store import InventoryStore, ServerDevices
from pciclient.fakeserver.model.sysfs import ADDRESS_RE, PciFunction
from pciclient.fakeserver.scenario.catalog_nodes import (
    aggregates_from,
    aliases_from,
    check_pci_in_placement,
    default_catalog,
    default_flavors,
    flavors_from,
    host_service,
)
from pciclient.fakeserver.scenario.identity_nodes import DEFAULT_ROLES, lockout_from, roles_from
from pciclient.fakeserver.scenario.port_nodes import held_devices
from pciclient.fakeserver.scenario.vgpu_nodes import held_vgpus, with_vgpus
from pciclient.fakeserver.scenario.yaml_nodes import (
    Problem,
    ScenarioError,
    boolean,
    compose_file,
    free_mapping,
    integer,
    line_of,
    mapping,
    number,
    scalar_text,
    sequence,
    string,
)

__all__ = ['DEFAULT_RESCAN_INTERVAL', 'MAX_DEVICES', 'Scenario', 'ScenarioError',
           'load_scenario', 'single_host_scenario']

DEFAULT_RESCAN_INTERVAL = 60.0
MAX_RESCAN_INTERVAL = 86400.0 * 365
MAX_HOSTS_PER_ENTRY = 100_000
# Far above the 100,000 devices the server is built for; stops a typo from eating the RAM.
MAX_DEVICES = 2_000_000
# What Nova's API reports as a server's status.
SERVER_STATUSES = frozenset({
    'ACTIVE', 'BUILD', 'DELETED', 'ERROR', 'HARD_REBOOT', 'MIGRATING', 'PASSWORD', 'PAUSED',
    'REBOOT', 'REBUILD', 'RESCUE', 'RESIZE', 'REVERT_RESIZE', 'SHELVED', 'SHELVED_OFFLOADED',
    'SHUTOFF', 'SOFT_DELETED', 'SUSPENDED', 'UNKNOWN', 'VERIFY_RESIZE',
})
_SERVER_NAMESPACE = uuid.UUID('17559878-343d-45f3-86e8-e345b3d32cee')
_HOSTNAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$')
_PROJECT_ID_RE = re.compile(r'^[A-Za-z0-9_-]{1,64}$')

_TOP_KEYS = ('rescan_interval', 'os_pci', 'projects', 'users', 'hosts', 'servers', 'flavors',
             'pci_aliases', 'aggregates', 'security_compliance')
_HOST_KEYS = ('hostname', 'count', 'sysfs_root', 'generate', 'device_spec', 'disabled',
              'disabled_reason', 'down', 'forced_down', 'report_in_placement', 'vgpus')
_SERVER_KEYS = ('name', 'project', 'host', 'devices', 'status', 'id', 'user', 'flavor', 'vgpus')


@dataclass
class Scenario:
    """A loaded fake cloud: accounts for the identity side, the inventory for compute.

    ``os_pci`` False plays a modern Nova: no os-pci API and no PCI keys in compute
    answers (Placement tells about PCI devices either way).
    """

    projects: list[Project]
    users: list[User]
    store: InventoryStore
    rescan_interval: float = DEFAULT_RESCAN_INTERVAL
    path: str | None = None
    os_pci: bool = True
    lockout: LockoutPolicy | None = None  # Keystone's account lockout; None: off, as there

    @property
    def pci_aliases(self) -> list[dict[str, Any]]:
        """The cloud's nova.conf ``[pci] alias`` entries, which no API shows."""
        return self.store.catalog.pci_alias_documents()


def single_host_scenario(sysfs_root: str, hostname: str) -> Scenario:
    """The server's default cloud: one host read from a sysfs tree, no accounts, no servers.

    A missing or odd tree is not an error here (the server must start in any
    container); what could not be read is logged as a warning.
    """
    host = SysfsHost(hostname, os.fspath(sysfs_root))
    scan = host.scan()
    store = InventoryStore([host], scans={hostname: scan}, catalog=default_catalog(scan))
    return Scenario(projects=[], users=[], store=store)


def load_scenario(path: str) -> Scenario:
    """Read, check and build the cloud a scenario file describes; ScenarioError if it cannot."""
    path = os.fspath(path)
    root = compose_file(path)
    try:
        return _Builder(path).build(root)
    except Problem as problem:
        raise problem.at(path) from None


@dataclass
class _HostEntry:
    """A host as the loader knows it while checking servers against it."""

    source: HostSource
    scan: HostScan
    tracked: frozenset[str]
    functions: Mapping[str, PciFunction]
    line: int


@dataclass
class _Holder:
    server: str
    line: int


@dataclass
class _Holdings:
    """Devices held so far, by (host, address); PFs with a held VF, with that VF."""

    devices: dict[tuple[str, str], _Holder] = field(default_factory=dict)
    busy_pfs: dict[tuple[str, str], tuple[str, _Holder]] = field(default_factory=dict)


@dataclass
class _Builder:
    path: str
    projects: dict[str, Project] = field(default_factory=dict)
    project_lines: dict[str, int] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    hosts: dict[str, _HostEntry] = field(default_factory=dict)
    services: dict[str, HostService] = field(default_factory=dict)
    flavors: dict[str, Flavor] = field(default_factory=dict)
    device_total: int = 0
    reader: OnceReader = field(default_factory=OnceReader)

    def build(self, root: yaml.Node) -> Scenario:
        top = mapping(root, 'the scenario', _TOP_KEYS, required=('hosts',))
        interval = DEFAULT_RESCAN_INTERVAL
        if 'rescan_interval' in top:
            interval = number(top['rescan_interval'], 'rescan_interval', 0, MAX_RESCAN_INTERVAL)
        os_pci = boolean(top['os_pci'], 'os_pci') if 'os_pci' in top else True
        compliance = top.get('security_compliance')
        lockout = lockout_from(compliance) if compliance is not None else None
        if 'projects' in top:
            for item in sequence(top['projects'], 'projects'):
                self._project(item)
        if 'users' in top:
            for item in sequence(top['users'], 'users'):
                self._user(item)
        hosts = sequence(top['hosts'], 'hosts')
        if not hosts:
            raise Problem(line_of(top['hosts']), 'hosts must list at least one host')
        for item in hosts:
            self._host(item)
        catalog = self._catalog(top)
        placements: list[ServerDevices] = []
        if 'servers' in top:
            placements = self._servers(sequence(top['servers'], 'servers'))
        try:
            store = InventoryStore([entry.source for entry in self.hosts.values()], placements,
                                   scans={name: e.scan for name, e in self.hosts.items()},
                                   catalog=catalog)
        except ValueError as exc:  # the checks above should make this impossible
            raise Problem(0, f'inconsistent scenario: {exc}') from None
        return Scenario(projects=list(self.projects.values()), users=list(self.users.values()),
                        store=store, rescan_interval=interval, path=self.path, os_pci=os_pci,
                        lockout=lockout)

    def _catalog(self, top: dict[str, yaml.Node]) -> Catalog:
        if 'pci_aliases' in top:
            aliases = aliases_from(top['pci_aliases'])
            flavors = flavors_from(top['flavors']) if 'flavors' in top else default_flavors(aliases)
        elif 'flavors' in top:
            aliases, flavors = [], flavors_from(top['flavors'])
        else:  # generated hosts of one entry share their scan: read each once
            found = default_catalog(*{id(e.scan): e.scan for e in self.hosts.values()}.values())
            aliases, flavors = found.pci_alias_documents(), list(found.flavors)
        for flavor in flavors:
            self.flavors[flavor.name] = self.flavors[flavor.id] = flavor
        aggregates = aggregates_from(top['aggregates'], self.hosts) if 'aggregates' in top else ()
        return Catalog(flavors, aggregates, self.services, aliases)

    # Accounts

    def _project(self, node: yaml.Node) -> None:
        fields = mapping(node, 'a project', ('name', 'id'), required=('name',))
        name = string(fields['name'], 'project name', 64)
        if name in self.projects:
            raise Problem(line_of(fields['name']), f'duplicate project {name!r} '
                                                   f'(also at line {self.project_lines[name]})')
        project = Project(name)
        if 'id' in fields:
            project_id = scalar_text(fields['id'], 'project id').strip()
            if not _PROJECT_ID_RE.match(project_id):
                raise Problem(line_of(fields['id']), 'project id must be 1 to 64 letters, '
                                                     f'digits, "-" or "_", not {project_id!r}')
            project = Project(name, project_id)
        for other in self.projects.values():
            if other.id == project.id:
                other_line = self.project_lines[other.name]
                raise Problem(line_of(node), f'project {name!r} has the same id as project '
                                             f'{other.name!r} (line {other_line})')
        self.projects[name] = project
        self.project_lines[name] = line_of(node)

    def _project_named(self, node: yaml.Node, what: str) -> Project:
        """A listed project, or one created on first mention."""
        name = string(node, what, 64)
        project = self.projects.get(name)
        if project is None:
            project = self.projects[name] = Project(name)
            self.project_lines[name] = line_of(node)
            for other in self.projects.values():
                if other is not project and other.id == project.id:
                    raise Problem(line_of(node), f'project {name!r} would get the id of '
                                                 f'project {other.name!r}; give one an id')
        return project

    def _user(self, node: yaml.Node) -> None:
        fields = mapping(node, 'a user', ('name', 'password', 'project', 'roles'),
                         required=('name', 'password', 'project'))
        name = string(fields['name'], 'user name', 64)
        if name in self.users:
            raise Problem(line_of(fields['name']), f'duplicate user {name!r}')
        password = scalar_text(fields['password'], 'password')
        if not password:
            raise Problem(line_of(fields['password']), 'password is empty')
        project = self._project_named(fields['project'], 'project')
        roles = roles_from(fields['roles']) if 'roles' in fields else DEFAULT_ROLES
        self.users[name] = User(name, password, project.name, roles=roles)

    # Hosts

    def _host(self, node: yaml.Node) -> None:
        fields = mapping(node, 'a host', _HOST_KEYS, required=('hostname',))
        count = integer(fields['count'], 'count', 1, MAX_HOSTS_PER_ENTRY) if 'count' in fields \
            else 1
        if ('sysfs_root' in fields) == ('generate' in fields):
            raise Problem(line_of(node), 'a host needs exactly one of sysfs_root and generate')
        params = None
        if 'generate' in fields:
            params = self._generate(fields['generate'])
            self._count_devices(node, params.device_count * count)  # before making anything
        names = self._hostnames(fields['hostname'], count)
        device_filter = self._device_spec(fields['device_spec']) if 'device_spec' in fields \
            else None
        sources: list[HostSource]
        if params is None:
            root = self._sysfs_root(fields['sysfs_root'])
            found = self.reader(root)  # hosts sharing a tree share one reading
            self._count_devices(node, len(found.functions) * count)
            functions = {f.address: f for f in found.functions}
            sources = [SysfsHost(name, root, device_filter) for name in names]
            scan = sources[0].scan(self.reader)
        else:
            functions = {f.address: f for f in generate_functions(params)}
            scan = generated_scan(params, device_filter)
            sources = [GeneratedHost(name, scan) for name in names]
        tracked = scan.addresses()
        service = with_vgpus(host_service(fields), fields)
        check_pci_in_placement(fields, names[0], scan)
        for source in sources:
            if service != HostService():
                self.services[source.hostname] = service
            self.hosts[source.hostname] = _HostEntry(source, scan, tracked, functions,
                                                     line_of(fields['hostname']))

    def _hostnames(self, node: yaml.Node, count: int) -> list[str]:
        template = string(node, 'hostname')
        if count > 1 and '{' not in template:
            raise Problem(line_of(node), f'count is {count}: hostname must be a template '
                                         'with {index}, e.g. "compute-{index:03d}"')
        is_template = '{' in template or '}' in template
        names: dict[str, None] = {}  # ordered, and a set for the duplicate check
        for index in range(1, count + 1):
            name = template
            if is_template:
                try:
                    name = template.format(index=index)
                except (KeyError, IndexError, ValueError, AttributeError):
                    raise Problem(line_of(node), f'hostname template {template!r}: only '
                                                 '{index} (e.g. {index:03d}) can be used') from None
            if not _HOSTNAME_RE.match(name):
                raise Problem(line_of(node), f'hostname {name!r} is not a valid host name '
                                             '(letters, digits, ".", "-", "_")')
            if name in self.hosts or name in names:
                first = self.hosts[name].line if name in self.hosts else line_of(node)
                raise Problem(line_of(node), f'duplicate hostname {name!r} (also at line {first})')
            names[name] = None
        return list(names)

    def _sysfs_root(self, node: yaml.Node) -> str:
        text = string(node, 'sysfs_root', 4096)
        root = text if os.path.isabs(text) else os.path.join(
            os.path.dirname(os.path.abspath(self.path)), text)
        root = os.path.normpath(root)
        if not os.path.isdir(root):
            raise Problem(line_of(node), f'sysfs_root {text!r}: no such directory ({root})')
        if not os.path.isdir(os.path.join(root, 'bus', 'pci', 'devices')):
            raise Problem(line_of(node), f'sysfs_root {text!r} has no bus/pci/devices '
                                         'directory: not a sysfs tree')
        return root

    def _generate(self, node: yaml.Node) -> GenerateParams:
        fields = mapping(node, 'generate', tuple(LIMITS))
        values = {key: integer(value, f'generate {key}', *LIMITS[key])
                  for key, value in fields.items()}
        return GenerateParams(**values)

    def _count_devices(self, node: yaml.Node, more: int) -> None:
        self.device_total += more
        if self.device_total > MAX_DEVICES:
            raise Problem(line_of(node), f'this host entry brings the scenario to '
                                         f'{self.device_total:,} devices; at most '
                                         f'{MAX_DEVICES:,} are supported')

    def _device_spec(self, node: yaml.Node) -> DeviceFilter:
        specs = []
        for item in sequence(node, 'device_spec'):
            entry: dict[str, object] = {}
            lines: dict[str, int] = {}
            for key, _, value in free_mapping(item, 'a device_spec entry'):
                if key == 'address' and isinstance(value, yaml.MappingNode):
                    entry[key] = {k: scalar_text(v, f'device_spec address {k}')
                                  for k, _, v in free_mapping(value, 'device_spec address')}
                else:
                    entry[key] = scalar_text(value, f'device_spec {key}')
                lines[key] = line_of(value)
            try:
                specs.append(parse_device_spec(entry))
            except DeviceSpecError as exc:
                raise Problem(lines.get(exc.key or '', line_of(item)),
                              f'device_spec: {exc}') from None
        return DeviceFilter(specs)

    # Servers

    def _servers(self, nodes: list[yaml.Node]) -> list[ServerDevices]:
        placements = []
        ids: dict[str, tuple[str, int]] = {}
        holdings, vgpus_used = _Holdings(), dict[tuple[str, str], int]()
        for node in nodes:
            fields = mapping(node, 'a server', _SERVER_KEYS, required=('name', 'project', 'host'))
            name = string(fields['name'], 'server name')
            server_id = self._server_id(fields.get('id'), name)
            if server_id in ids:
                other, line = ids[server_id]
                why = ('give one of them an id' if 'id' not in fields else 'ids must differ')
                raise Problem(line_of(node), f'server {name!r} has the same id {server_id} as '
                                             f'server {other!r} (line {line}): {why}')
            ids[server_id] = (name, line_of(node))
            project = self._project_named(fields['project'], 'project')
            hostname = string(fields['host'], 'host')
            entry = self.hosts.get(hostname)
            if entry is None:
                raise Problem(line_of(fields['host']), f'unknown host {hostname!r}')
            status = 'ACTIVE'
            if 'status' in fields:
                status = scalar_text(fields['status'], 'status').strip().upper()
                if status not in SERVER_STATUSES:
                    known = ', '.join(sorted(SERVER_STATUSES))
                    raise Problem(line_of(fields['status']),
                                  f'unknown server status {status!r} (Nova has {known})')
            addresses, vnic_types = held_devices(fields.get('devices'), entry.scan, partial(
                self._held_device, server=name, hostname=hostname, entry=entry,
                holdings=holdings))
            flavor_id = None
            if 'flavor' in fields:
                wanted = string(fields['flavor'], 'flavor')
                if wanted not in self.flavors:
                    raise Problem(line_of(fields['flavor']), f'unknown flavor {wanted!r}')
                flavor_id = self.flavors[wanted].id
            server = Server(id=server_id, name=name, host=hostname, status=status,
                            tenant_id=project.id, user_id=self._user_id(fields.get('user'),
                                                                        project),
                            flavor_id=flavor_id, vnic_types=vnic_types,
                            vgpus=held_vgpus(fields, name, hostname, self.services, vgpus_used))
            placements.append(ServerDevices(server, tuple(addresses)))
        return placements

    @staticmethod
    def _server_id(node: yaml.Node | None, name: str) -> str:
        if node is None:
            return str(uuid.uuid5(_SERVER_NAMESPACE, name))
        text = scalar_text(node, 'server id').strip()
        try:
            return str(uuid.UUID(text))
        except ValueError:
            raise Problem(line_of(node), f'server id must be a UUID, not {text!r}') from None

    def _user_id(self, node: yaml.Node | None, project: Project) -> str:
        if node is not None:
            name = string(node, 'user', 64)
            user = self.users.get(name)
            if user is None:
                raise Problem(line_of(node), f'unknown user {name!r}')
            return user.id
        for user in self.users.values():
            if user.project == project.name:
                return user.id
        return stable_id('user', f'owner-of-{project.name}')

    @staticmethod
    def _held_device(node: yaml.Node, server: str, hostname: str, entry: _HostEntry,
                     holdings: _Holdings) -> str:
        """Check one device a server holds against its host and the other servers."""
        text = scalar_text(node, 'a device address').strip()
        address = text.lower()
        line = line_of(node)
        if not ADDRESS_RE.match(address):
            raise Problem(line, f'device {text!r} is not a PCI address like 0000:04:10.0')
        function = entry.functions.get(address)
        if function is None:
            raise Problem(line, f'device {address} is not on host {hostname!r}')
        if address not in entry.tracked:
            raise Problem(line, f'device {address} on host {hostname!r} is not tracked by '
                                'its device_spec')
        holder = holdings.devices.get((hostname, address))
        if holder is not None:
            whom = ('listed twice for this server' if holder.server == server
                    else f'already held by server {holder.server!r} (line {holder.line})')
            raise Problem(line, f'device {address} on host {hostname!r} is {whom}')
        if function.physfn is not None:
            pf_holder = holdings.devices.get((hostname, function.physfn))
            if pf_holder is not None:
                raise Problem(line, f'device {address} is a VF of {function.physfn}, which '
                                    f'server {pf_holder.server!r} (line {pf_holder.line}) holds')
            holdings.busy_pfs.setdefault((hostname, function.physfn),
                                         (address, _Holder(server, line)))
        elif (hostname, address) in holdings.busy_pfs:
            vf, other = holdings.busy_pfs[(hostname, address)]
            raise Problem(line, f'device {address} is the PF of {vf}, which server '
                                f'{other.server!r} (line {other.line}) holds')
        holdings.devices[(hostname, address)] = _Holder(server, line)
        return address
