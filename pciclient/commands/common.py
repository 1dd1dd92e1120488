"""What every command does the same way: reach the client, turn resources into rows."""
from __future__ import annotations

from typing import Any, Iterable, Iterator, NoReturn

from cliff import lister, show

from pciclient.commands.columns import format_value
from pciclient.commands.formatters import LIST_FORMATTERS, SHOW_FORMATTERS, FormatterTable
from pciclient.v2.resource_fields import View


def compute_client(app: Any) -> Any:
    """The pciclient v2 client, the same way in ``pci-cli`` and in ``openstack``."""
    return app.client_manager.pci


def with_names(app: Any, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Rows with ``vendor_name``/``product_name`` from the PCI ID database (lazily loaded)."""
    from pciclient.pciids import PciNames, find_database

    names = PciNames(find_database(getattr(app.options, 'pci_ids', None)))
    for row in rows:
        yield {**row, 'vendor_name': names.vendor(row.get('vendor_id')),
               'product_name': names.product(row.get('vendor_id'), row.get('product_id'))}


def list_output(view: View, items: Iterable[dict[str, Any]],
                overrides: dict[str, Any] | None = None) -> tuple[tuple[str, ...], Iterable[tuple]]:
    """Columns and rows for a Lister."""
    rows = (tuple(format_value(field, item.get(field), overrides) for field in view.fields)
            for item in items)
    return view.labels, rows


def show_output(view: View, fields: dict[str, Any],
                overrides: dict[str, Any] | None = None) -> tuple[tuple[str, ...], tuple]:
    """Names and values for a ShowOne: the view's fields always, then whatever else
    the cloud sent, all sorted so that the output is stable."""
    names = tuple(sorted(set(view.fields) | set(fields)))
    return names, tuple(format_value(name, fields.get(name), overrides) for name in names)


def one_line_errors(parser: Any, hint: str) -> Any:
    """Usage errors as one line (argparse prints the whole usage first), exit code 2."""
    def error(message: str) -> NoReturn:
        parser.exit(2, f'{parser.prog}: error: {message} (see {hint})\n')
    parser.error = error
    return parser


class _OwnApp:
    """In ``pci-cli`` every command is pci-cli's own: cliff's search for command hooks
    and for the distribution providing each command (two scans of every installed
    distribution's metadata, the biggest cost of a small command) is skipped.
    Inside ``openstack`` cliff's behaviour stays as it is."""

    app: Any
    _epilog: Any

    def _load_hooks(self) -> None:
        if getattr(self.app, 'fixed_command_set', False):
            self._hooks = []
        else:
            super()._load_hooks()  # type: ignore[misc]

    def get_epilog(self) -> str:
        if getattr(self.app, 'fixed_command_set', False):
            return self._epilog or ''
        return super().get_epilog()  # type: ignore[misc]


class Lister(_OwnApp, lister.Lister):
    """cliff's Lister with formatters from a fixed table (and the fast JSON one)."""

    def _load_formatter_plugins(self) -> Any:
        return FormatterTable(LIST_FORMATTERS)

    def get_parser(self, prog_name: str) -> Any:
        return one_line_errors(super().get_parser(prog_name), f'{prog_name} --help')


class ShowOne(_OwnApp, show.ShowOne):
    """cliff's ShowOne with formatters from a fixed table."""

    def _load_formatter_plugins(self) -> Any:
        return FormatterTable(SHOW_FORMATTERS)

    def get_parser(self, prog_name: str) -> Any:
        return one_line_errors(super().get_parser(prog_name), f'{prog_name} --help')
