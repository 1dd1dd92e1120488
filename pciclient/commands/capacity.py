"""``capacity`` (``openstack pci capacity list``): how many more servers of a flavor fit,
on which hosts, what runs out first, and (``--explain``) why a host does not fit.

Thin, like every command: parse, ask the library's capacity manager, return rows from the
schema. Only the file of ``--pci-alias`` is read here (nova.conf lines; no API shows
them); the library parses its text. Exit 3 with ``--min-fits`` tells a script to alert.
"""
from __future__ import annotations

import os
import re
from typing import Any

from pciclient import exceptions
from pciclient.commands import common
from pciclient.v2 import resource_fields as fields

#: ``--min-fits``: the exit status when the capacity is below it (1 and 2 are taken).
BELOW_MIN_FITS = 3
_NAME = re.compile(r'^[A-Z0-9_]+$')
_PCI_IN_PLACEMENT = ('auto', 'yes', 'no')


def _amount(kind: str) -> Any:
    import argparse

    def parse(text: str) -> tuple[str, int]:
        sep = '=' if kind == 'resources' else ':'
        name, found, count = text.partition(sep)
        name = name.strip()
        if not found or not count.strip().isdigit():
            raise argparse.ArgumentTypeError(
                f'expected {"RC=N" if sep == "=" else "NAME:COUNT"}, not {text!r}')
        if kind == 'resources' and not _NAME.match(name):
            raise argparse.ArgumentTypeError(
                f'{name!r} is no resource class (upper case, digits and _, e.g. VCPU, '
                'CUSTOM_PCI_10DE_1EB8)')
        if kind == 'alias' and (not name or int(count) < 1):
            raise argparse.ArgumentTypeError(f'expected NAME:COUNT with COUNT ≥ 1, not {text!r}')
        return name, int(count)
    return parse


def _trait(text: str) -> str:
    import argparse

    if not _NAME.match(text):
        raise argparse.ArgumentTypeError(f'{text!r} is no trait name (upper case, digits '
                                         'and _, e.g. HW_CPU_X86_AVX2)')
    return text


def _whole(text: str) -> int:
    import argparse

    if not text.isdigit():
        raise argparse.ArgumentTypeError(f'expected a whole number, not {text!r}')
    return int(text)


def raw_flavor(parsed: Any) -> dict[str, Any] | None:
    """The raw request (``--resources``, ``--required``, ``--forbidden``, ``--alias``)
    written as a flavor with nothing else, so that it is translated as any flavor is."""
    if not (parsed.resources or parsed.required or parsed.forbidden or parsed.alias):
        return None
    specs = {f'resources:{rc}': str(n) for rc, n in parsed.resources}
    specs.update({f'trait:{t}': 'required' for t in parsed.required})
    specs.update({f'trait:{t}': 'forbidden' for t in parsed.forbidden})
    if parsed.alias:
        specs['pci_passthrough:alias'] = ','.join(f'{a}:{n}' for a, n in parsed.alias)
    return {'id': 'request', 'name': 'request', 'vcpus': 0, 'ram': 0, 'disk': 0,
            'OS-FLV-EXT-DATA:ephemeral': 0, 'swap': '', 'extra_specs': specs}


def _usage(parsed: Any) -> str | None:
    """What makes no sense together (a usage error, exit 2), before any cloud is asked."""
    raw = raw_flavor(parsed) is not None
    if raw and parsed.flavor:
        return ('give flavors (--flavor) or a raw request (--resources, --required, '
                '--forbidden, --alias), not both')
    if parsed.summary and parsed.explain is not None:
        return '--summary and --explain do not go together'
    if parsed.explain == '' and not raw and len(parsed.flavor) != 1:
        return '--explain without a host needs exactly one flavor (--flavor) or a raw request'
    if parsed.explain and parsed.host and parsed.explain != parsed.host:
        return '--explain names another host than --host'
    return None


class ListCapacity(common.Lister):
    """How many more servers of each flavor fit on each host, and what runs out first.

    Counts as Nova's scheduler asks Placement: the flavor's resources, its PCI aliases,
    traits, disabled and down hosts, aggregates. Fits is an upper bound: NUMA affinity,
    quotas and server groups are decided later and are not counted (see --explain).
    """

    views = (fields.CAPACITY_LIST_VERIFY, fields.CAPACITY_LIST_SUMMARY,
             fields.CAPACITY_LIST_EXPLAIN)

    def get_parser(self, prog_name: str) -> Any:
        parser = super().get_parser(prog_name)
        what = parser.add_argument_group('what to place (flavors, or a raw request)')
        what.add_argument('--flavor', metavar='<name-or-id>', action='append', default=[],
                          help='Flavor to count (repeatable; default: every flavor you '
                               'can see).')
        what.add_argument('--resources', metavar='<RC=N>', action='append', default=[],
                          type=_amount('resources'),
                          help='Raw request: N units of resource class RC (repeatable).')
        what.add_argument('--required', metavar='<trait>', action='append', default=[],
                          type=_trait, help='Raw request: a required trait (repeatable).')
        what.add_argument('--forbidden', metavar='<trait>', action='append', default=[],
                          type=_trait, help='Raw request: a forbidden trait (repeatable).')
        what.add_argument('--alias', metavar='<name:count>', action='append', default=[],
                          type=_amount('alias'),
                          help='Raw request: COUNT devices of PCI alias NAME (repeatable).')
        what.add_argument('--boot-from-volume', action='store_true',
                          help='Servers boot from volume: the root disk is not counted '
                               '(as Nova leaves DISK_GB out).')
        where = parser.add_argument_group('where')
        where.add_argument('--host', metavar='<hostname>',
                           help='Only this compute node (its hypervisor hostname).')
        where.add_argument('--availability-zone', metavar='<zone>',
                           help='Only hosts Nova would consider for this zone.')
        where.add_argument('--aggregate', metavar='<name-or-uuid>',
                           help='Only hosts of this host aggregate.')
        how = parser.add_argument_group('how')
        how.add_argument('--pci-alias', metavar='<file>',
                         default=os.environ.get('PCI_ALIAS'),
                         help='nova.conf\'s PCI aliases: a nova.conf fragment with '
                              '[pci] alias = {...} lines, or a JSON list (env PCI_ALIAS). '
                              'No API shows them; flavors naming others are not counted.')
        how.add_argument('--pci-in-placement', choices=_PCI_IN_PLACEMENT, default='auto',
                         help='Whether the scheduler asks Placement for PCI devices '
                              '([filter_scheduler] pci_in_placement, which no API shows). '
                              'auto: yes when the cloud has PCI providers in Placement, '
                              'else from the hypervisors\' PCI pools (default auto).')
        out = parser.add_argument_group('output')
        out.add_argument('--summary', action='store_true',
                         help='One row per flavor: Fits summed over the hosts, Hosts that '
                              'fit at least one, the most common Limited By.')
        out.add_argument('--explain', metavar='<host>', nargs='?', const='', default=None,
                         help='Stage by stage, why HOST does or does not fit (without HOST: '
                              'every host, for one flavor).')
        out.add_argument('--verify', action='store_true',
                         help='Also ask Placement itself, with the query Nova sends, '
                              'whether each host has a candidate (column Verified).')
        out.add_argument('--min-fits', metavar='<n>', type=_whole,
                         help=f'Exit {BELOW_MIN_FITS} when the total (with --host: the '
                              'host) fits fewer than N of any flavor.')
        parser = common.columns_checked_when_parsed(parser, lambda p: self._view(p).labels)
        parse_args = parser.parse_args

        def checked(args: Any = None, namespace: Any = None) -> Any:
            parsed = parse_args(args, namespace)
            problem = _usage(parsed)
            if problem:
                parser.error(problem)
            return parsed
        parser.parse_args = checked
        return parser

    @staticmethod
    def _view(parsed: Any) -> fields.View:
        if parsed.explain is not None:
            return fields.CAPACITY_LIST_EXPLAIN
        if parsed.summary:
            return fields.CAPACITY_LIST_SUMMARY
        return fields.CAPACITY_LIST_VERIFY if parsed.verify else fields.CAPACITY_LIST

    def _aliases(self, parsed: Any) -> Any:
        from pciclient.v2.capacity.aliases import load_aliases

        path = parsed.pci_alias
        if not path:
            local = getattr(self.app.client_manager, 'local_pci_aliases', None)
            return load_aliases(local) if local else None
        try:
            with open(path, encoding='utf-8') as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, 'strerror', None) or str(error)
            raise exceptions.CommandError(f'Cannot read --pci-alias {path}: {reason}') \
                from None
        return load_aliases(text)

    def take_action(self, parsed_args: Any) -> Any:
        from pciclient.v2.capacity.manager import Wanted

        client = common.compute_client(self.app)   # with --local, starts the cloud first
        aliases = self._aliases(parsed_args)
        manager = client.capacity
        raw = raw_flavor(parsed_args)
        wanted = [Wanted('request', raw)] if raw else manager.flavors(parsed_args.flavor)
        host = parsed_args.host
        if parsed_args.explain:
            host = parsed_args.explain
        answer = manager.capacity(
            wanted, aliases=aliases, host=host, zone=parsed_args.availability_zone,
            aggregate=parsed_args.aggregate, pci_in_placement=parsed_args.pci_in_placement,
            boot_from_volume=parsed_args.boot_from_volume, verify=parsed_args.verify)
        for note in answer.notes:
            self.app.stderr.write(note + '\n')
        unknown = sorted({a for row in answer.rows for a in row.request.unknown_aliases})
        if unknown:
            self.app.stderr.write(f'PCI aliases not given (--pci-alias): {", ".join(unknown)}; '
                                  'flavors asking them have Fits null.\n')
        self._check(parsed_args, answer)
        return self._rows(parsed_args, answer)

    def _check(self, parsed: Any, answer: Any) -> None:
        """``--verify``'s disagreements on stderr; ``--min-fits``'s verdict for ``run``."""
        for row in answer.rows:
            if row.candidate is not None and row.candidate != bool(row.fit.fits):
                says = 'has a candidate' if row.candidate else 'has no candidate'
                self.app.stderr.write(f'Placement disagrees on {row.host} for {row.flavor}: '
                                      f'Fits {row.fit.fits}, but Placement {says}.\n')
        self._below = False
        if parsed.min_fits is not None:
            from pciclient.v2.capacity.summary import summarise

            if parsed.host:
                counts = [row.fit.fits for row in answer.rows]
            else:
                counts = [line['fits'] for line in summarise(answer.rows)]
            self._below = any(c is None or c < parsed.min_fits for c in counts) or not counts

    def _rows(self, parsed: Any, answer: Any) -> Any:
        view = self._view(parsed)
        if parsed.explain is not None:
            from pciclient.v2.capacity.explain import request_stages

            items = []
            for row in answer.rows:
                for stage in request_stages(row.request) + row.fit.stages:
                    items.append({'host': row.host, 'flavor': row.flavor, 'stage': stage.name,
                                  'ok': stage.ok, 'detail': stage.detail})
            return common.list_output(view, items)
        if parsed.summary:
            from pciclient.v2.capacity.summary import summarise

            return common.list_output(view, summarise(answer.rows))
        return common.list_output(view, (
            {'host': row.host, 'flavor': row.flavor, 'fits': row.fit.fits,
             'limited_by': row.fit.limited_by[0] if row.fit.limited_by else None,
             'free': row.fit.free,
             'verified': None if row.candidate is None
             else row.candidate == bool(row.fit.fits)} for row in answer.rows))

    def run(self, parsed_args: Any) -> int:
        self._below = False
        result = super().run(parsed_args)
        return BELOW_MIN_FITS if (result == 0 and self._below) else result

