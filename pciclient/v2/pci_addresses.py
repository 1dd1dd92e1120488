"""PCI addresses as operators have them (lspci's forms), read as Nova writes them.

Kept apart from the device manager so that commands can check ``--address`` when the
arguments are parsed without importing more than this.
"""
from __future__ import annotations

from pciclient.lazy_regex import LazyRegex

#: A PCI address as lspci writes it: ``[domain:]bus:slot[.function]`` (hex, any case).
_ADDRESS = LazyRegex(r'(?:(?P<domain>[0-9a-f]{4,8}):)?(?P<bus>[0-9a-f]{2}):'
                      r'(?P<slot>[0-9a-f]{2})(?:\.(?P<function>[0-7]))?')


def parse_address(text: str) -> list[str]:
    """The full addresses (``0000:3b:00.1``, lower-case, as Nova writes them) that an
    address as an operator has it means: lspci's short form ``3b:00.1`` is in domain
    0000, a slot ``0000:3b:00`` (or ``3b:00``) means its eight functions. Anything else
    is a :class:`ValueError` (as a filter it would match nothing, like an empty cloud)."""
    match = _ADDRESS.fullmatch(str(text).strip().lower())
    if match is None or int(match['slot'], 16) > 0x1f:
        raise ValueError(f'expected a PCI address such as 0000:3b:00.1, or 3b:00.1 (domain '
                         f'0000), or a slot such as 0000:3b:00 (its functions), not {text!r}')
    slot = f"{match['domain'] or '0000'}:{match['bus']}:{match['slot']}"
    functions = match['function'] or '01234567'
    return [f'{slot}.{function}' for function in functions]


def split_host_address(ident: str) -> tuple[str, str] | None:
    """``compute1_0000:04:00.0`` (or ``compute1_04:00.0``) → ``('compute1',
    '0000:04:00.0')``: the name Nova gives a device's provider, which operators also use
    for a device on os-pci clouds; None for anything else (a slot is no one device)."""
    host, underscore, tail = str(ident).strip().rpartition('_')
    if not (underscore and host):
        return None
    try:
        addresses = parse_address(tail)
    except ValueError:
        return None
    return (host, addresses[0]) if len(addresses) == 1 else None
