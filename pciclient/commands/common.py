"""What every command does the same way: reach the client, turn resources into rows."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from cliff import lister, show

from pciclient import exceptions
from pciclient.commands.columns import cell_maker, format_value, sort_key
from pciclient.commands.formatters import LIST_FORMATTERS, SHOW_FORMATTERS, FormatterTable
from pciclient.commands.hints import in_cli_terms
from pciclient.text import printable
from pciclient.v2.resource_fields import View

if TYPE_CHECKING:  # cliff imports every command module at start-up: only for the checker
    from pciclient.v2.client import Client


def compute_client(app: Any) -> Client:
    """The pciclient v2 client, the same way in ``pci-cli`` and in ``openstack``."""
    client: Client = app.client_manager.pci
    return client


def with_names(app: Any, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Rows with ``vendor_name``/``product_name`` from the PCI ID database (lazily loaded)."""
    from pciclient.commands.pciids import names_for

    names = names_for(app)
    for row in rows:
        yield {**row, 'vendor_name': names.vendor(row.get('vendor_id')),
               'product_name': names.product(row.get('vendor_id'), row.get('product_id'))}


def list_output(view: View, items: Iterable[dict[str, Any]],
                overrides: dict[str, Any] | None = None) -> tuple[tuple[str, ...], Iterable[tuple]]:
    """Columns and rows for a Lister."""
    cells = [(field, cell_maker(field, overrides)) for field in view.fields]
    rows = (tuple([make(item.get(field)) for field, make in cells]) for item in items)
    return view.labels, rows


def show_output(view: View, fields: dict[str, Any],
                overrides: dict[str, Any] | None = None) -> tuple[tuple[str, ...], tuple]:
    """Names and values for a ShowOne: the view's fields always, then whatever else
    the cloud sent, all sorted so that the output is stable."""
    names = tuple(sorted(set(view.fields) | set(fields)))
    return names, tuple(format_value(name, fields.get(name), overrides) for name in names)


def then(rows: Iterable[Any], after: Callable[[], None]) -> Iterator[Any]:
    """``rows``, then ``after()`` once the last one has been read: what a streamed
    listing can only tell at its end (rows left out unjudged) is told after its rows."""
    yield from rows
    after()


#: ``--all-projects`` of commands that find a ``--server`` by name.
FIND_SERVER_EVERYWHERE = "Find --server's name among every project's servers (admin only)."


def all_projects_option(parser: Any, help: str = 'Servers of every project (admin only).',
                        ) -> None:
    """``--all-projects`` (``--all-tenants``, as nova and openstack spell it too)."""
    parser.add_argument('--all-projects', '--all-tenants', action='store_true', help=help)

def say_unjudged(app: Any, unjudged: dict[str, int], noun: str) -> None:
    """One line on stderr per reason rows were left out unjudged: never silently."""
    for reason, count in sorted(unjudged.items()):
        many = count > 1
        app.stderr.write(f'{count} {noun}{"s" if many else ""} left out: {reason}, so whether '
                         f'{"they match" if many else "it matches"} the filters is unknown.\n')


def one_line_errors(parser: Any, hint: str) -> Any:
    """Usage errors as one line (argparse prints the whole usage first), exit code 2.

    The message echoes what was typed ("unrecognized arguments: …"): control characters
    in it are shown escaped, so that a line break typed in an argument cannot split it."""
    def error(message: str) -> NoReturn:
        parser.exit(2, f'{parser.prog}: error: {printable(message)} (see {hint})\n')
        raise SystemExit(2)  # not reached: parser.exit raises it
    parser.error = error
    return parser


# --- -c/--column: every name must be a column -----------------------------------------
# cliff ignores a -c name that is no column as long as another one is; with -f value or
# csv a typo then silently shifts the fields a script reads. Here every name must be a
# column: a lister knows its columns from its views before asking the cloud (a usage
# error, exit 2); a show's fields include whatever the cloud sends, so only its answer
# can tell (a CommandError, exit 1).

def _labels(views: Iterable[View]) -> tuple[str, ...]:
    """The column names of ``views``, each once, in order."""
    return tuple(dict.fromkeys(label for view in views for label in view.labels))


def _normal(name: str) -> str:
    """A column name as cliff matches it: case-insensitive, ``_`` for a space."""
    return name.lower().strip().replace(' ', '_')


def unknown_columns(requested: Iterable[str], columns: Iterable[str]) -> list[str]:
    """The names in ``requested`` (the -c values) that name none of ``columns``."""
    known = {_normal(column) for column in columns}
    return [name for name in requested if _normal(name) not in known]


def no_such_columns(unknown: list[str], columns: Iterable[str], where: str = '') -> str:
    """What an operator needs to fix a -c: the names that are wrong and the right ones
    (after "no ")."""
    names = ', '.join(repr(name) for name in unknown)
    noun = 'column named' if len(unknown) == 1 else 'columns named'
    return f'{noun} {names}{where}; the columns are: {", ".join(columns)}'


def _lister_column_help(plain: tuple[str, ...], long: tuple[str, ...]) -> str:
    """-c's help for a lister: the columns it has, and that a wrong name is an error."""
    more = [label for label in long if label not in plain]
    return ('Show only this column (repeatable; case-insensitive, _ for a space): '
            + ', '.join(plain) + (f'; with --long also {", ".join(more)}' if more else '')
            + '. Every name must be a column: any other is a usage error, never ignored.')


def _column_help(parser: Any, text: str) -> None:
    """Replace cliff's -c help (which does not say that every name must be a column)."""
    for action in parser._actions:
        if action.dest == 'columns':
            action.help = text


def column_error(unknown: list[str], known: Iterable[str], long_columns: Iterable[str],
                 where: str = '') -> str:
    """The usage error for -c (or --sort-column) names in ``unknown``: a name that is a
    --long column "needs --long" (not "no column named", which sends the operator
    looking for a typo), any other has no column."""
    needing = [name for name in unknown if not unknown_columns([name], long_columns)]
    others = [name for name in unknown if name not in needing]
    parts = [f'no {no_such_columns(others, known, where)}'] if others else []
    if needing:
        many = len(needing) > 1
        parts.insert(0, f'column{"s" if many else ""} {", ".join(map(repr, needing))} '
                        f'need{"" if many else "s"} --long')
    return '; '.join(parts)


def columns_checked_when_parsed(parser: Any, columns: Callable[[Any], tuple[str, ...]],
                                long_columns: tuple[str, ...] = ()) -> Any:
    """``parser`` with its -c names checked against ``columns(parsed_args)`` as soon as
    the arguments are parsed: a wrong name is then a usage error that asks no cloud
    (one of ``long_columns`` without --long: a usage error that says to add it)."""
    parse_args = parser.parse_args

    def checked(args: Any = None, namespace: Any = None) -> Any:
        parsed = parse_args(args, namespace)
        known = columns(parsed)
        for given, where in ((parsed.columns, ''),
                             (getattr(parsed, 'sort_columns', None) or (), ' to sort on')):
            unknown = unknown_columns(given, known)
            if unknown:
                parser.error(column_error(unknown, known, long_columns, where))
        return parsed
    parser.parse_args = checked
    return parser


def sorted_rows(column_names: Sequence[str], rows: Iterable[Sequence[Any]],
                sort_columns: Sequence[str], descending: bool) -> list[Sequence[Any]]:
    """``rows`` sorted on ``sort_columns`` (the first decides, the next break ties), each
    cell by :func:`~pciclient.commands.columns.sort_key`: a nested column sorts by its
    text, never "could not sort" and no rows. Every name must be a column (a
    CommandError, exit 1): pci-list --long's columns depend on the source that answered."""
    unknown = unknown_columns(sort_columns, column_names)
    if unknown:
        raise exceptions.CommandError(
            f'No {no_such_columns(unknown, column_names, " to sort on in this answer")}.')
    normal = [_normal(name) for name in column_names]
    indexes = [normal.index(_normal(name)) for name in sort_columns]
    return sorted(rows, key=lambda row: tuple(sort_key(row[i]) for i in indexes),
                  reverse=descending)


class _StrictColumns:
    """-c names judged against the columns of the answer, after it came: for a show (its
    fields are the cloud's) and for pci-list --long (its source chooses its view)."""

    def _generate_columns_and_selector(self, parsed_args: Any, column_names: Any) -> Any:
        unknown = unknown_columns(parsed_args.columns, column_names)
        if unknown:
            raise exceptions.CommandError(
                f'No {no_such_columns(unknown, column_names, " in this answer")}.')
        return super()._generate_columns_and_selector(  # type: ignore[misc]
            parsed_args, column_names)


class _CliWords:
    """The library names the setting that would fix a failure in its own terms; a command
    names it as the option that sets it. Here, around the whole run (the answer's rows
    may be read while the output is written), so ``pci-cli`` and ``openstack pci`` both
    say it, and say it the same way."""

    def run(self, parsed_args: Any) -> int:
        try:
            return super().run(parsed_args)  # type: ignore[misc]
        except exceptions.ClientException as error:
            worded = in_cli_terms(error)
            if worded is error:
                raise
            raise worded from error


class _OwnApp:
    """In ``pci-cli`` every command is pci-cli's own: cliff's search for command hooks
    and for the distribution providing each command (two scans of every installed
    distribution's metadata, the biggest cost of a small command) is skipped.
    Inside ``openstack`` cliff's behaviour stays as it is."""

    app: Any
    _epilog: Any
    _hooks: Any

    def _load_hooks(self) -> None:
        if getattr(self.app, 'fixed_command_set', False):
            self._hooks = []
        else:
            super()._load_hooks()  # type: ignore[misc]

    def get_epilog(self) -> str:
        if getattr(self.app, 'fixed_command_set', False):
            return self._epilog or ''
        return super().get_epilog()  # type: ignore[misc]


class Lister(_CliWords, _StrictColumns, _OwnApp, lister.Lister):
    """cliff's Lister with formatters from a fixed table (and the fast JSON one).

    A command may return its rows as a generator reading the cloud page by page: with
    ``-f json|yaml|csv|value`` and no ``--sort-column`` they pass through the formatter
    into the all-or-nothing buffer (:class:`~pciclient.commands.formatters.SafeOutput`)
    one at a time, so memory does not grow with the listing; a table (its widths) and
    sorted output (its order) need, and hold, every row.
    """

    #: The views its rows come from, without and with ``--long`` (several when the
    #: source of the data chooses one: pci-list --long from os-pci or from Placement).
    #: With views, -c names are checked before the cloud is asked.
    views: tuple[View, ...] = ()
    long_views: tuple[View, ...] = ()

    def _load_formatter_plugins(self) -> Any:
        return FormatterTable(LIST_FORMATTERS)

    @property
    def need_sort_by_cliff(self) -> bool:
        """No: cliff skips a sort column that is no column and, on cells it cannot
        compare (a nested column), prints no rows at all; :meth:`produce_output` sorts."""
        return False

    def produce_output(self, parsed_args: Any, column_names: Sequence[str],
                       data: Iterable[Sequence[Any]]) -> int:
        if parsed_args.sort_columns:
            data = sorted_rows(column_names, data, parsed_args.sort_columns,
                               parsed_args.sort_direction == 'desc')
        return int(super().produce_output(parsed_args, column_names, data))

    def get_parser(self, prog_name: str) -> Any:
        parser = one_line_errors(super().get_parser(prog_name), f'{prog_name} --help')
        for action in parser._actions:
            if action.dest == 'sort_columns':
                action.help = ('Sort the rows on this column (repeatable: the first decides, '
                               'the next break ties; case-insensitive, _ for a space). A '
                               'nested column sorts by the text a table shows. Every name '
                               'must be a column: any other is a usage error, never ignored.')
        if not self.views:   # its answer judges the names
            return parser
        plain, long = _labels(self.views), _labels(self.long_views)
        _column_help(parser, _lister_column_help(plain, long))
        return columns_checked_when_parsed(
            parser, lambda parsed: (long or plain) if getattr(parsed, 'long', False) else plain,
            long)


class ShowOne(_CliWords, _StrictColumns, _OwnApp, show.ShowOne):
    """cliff's ShowOne with formatters from a fixed table."""

    def _load_formatter_plugins(self) -> Any:
        return FormatterTable(SHOW_FORMATTERS)

    def get_parser(self, prog_name: str) -> Any:
        parser = one_line_errors(super().get_parser(prog_name), f'{prog_name} --help')
        _column_help(parser, 'Show only this field (repeatable; case-insensitive, _ for a '
                             'space). Every name must be a field of the answer: any other '
                             'is an error (exit 1), never ignored.')
        return parser
