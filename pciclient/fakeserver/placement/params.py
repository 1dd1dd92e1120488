"""Query values Placement reads the same way in several handlers: uuids, ``member_of``,
``required`` traits and ``resources``, with Placement's own 400 messages.

The rules are those of ``placement/util.py`` (``normalize_member_of_qs_params``,
``normalize_traits_qs_param(s)``, ``normalize_resources_qs_param``,
``normalize_in_tree_qs_params``) and oslo's ``is_uuid_like``.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence

from pciclient.fakeserver.placement.errors import PlacementBadRequest
from pciclient.fakeserver.placement.microversion import Microversion

__all__ = ['MemberOf', 'Traits', 'in_tree_value', 'is_uuid_like', 'member_of_values',
           'resources_value', 'traits_values']

_MULTI_MEMBER_OF_MINOR = 24
_FORBIDDEN_AGGREGATES_MINOR = 32
_FORBIDDEN_TRAITS_MINOR = 22
_ANY_TRAITS_MINOR = 39
_ANY_FORM = 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC'

# (any-of sets that must each meet the provider's, a set none may meet)
MemberOf = tuple[list[frozenset[str]], frozenset[str]]
Traits = tuple[list[frozenset[str]], frozenset[str]]


def is_uuid_like(value: str) -> bool:
    """oslo's test: ``uuid.UUID`` reads it and it is a uuid once braces, ``urn:uuid:``
    and dashes are set aside."""
    try:
        parsed = uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    bare = value.replace('urn:', '').replace('uuid:', '').strip('{}').replace('-', '').lower()
    return str(parsed).replace('-', '') == bare


def _member_of_value(value: str) -> tuple[set[str], set[str]]:
    if ',' in value and not value.startswith(('in:', '!in:')):
        raise PlacementBadRequest("Multiple values for 'member_of' must be prefixed with the "
                                  "'in:' or '!in:' keyword using the valid microversion. "
                                  f'Got: {value}')
    required: set[str] = set()
    forbidden: set[str] = set()
    if value.startswith('!in:'):
        forbidden = set(value[4:].split(','))
    elif value.startswith('!'):
        forbidden = {value[1:]}
    elif value.startswith('in:'):
        required = set(value[3:].split(','))
    else:
        required = {value}
    for item in sorted(required | forbidden):
        if not is_uuid_like(item):
            raise PlacementBadRequest("Invalid query string parameters: Expected 'member_of' "
                                      f'parameter to contain valid UUID(s). Got: {item}')
    return required, forbidden


def member_of_values(values: Sequence[str], version: Microversion, suffix: str = ''
                     ) -> MemberOf:
    """Every ``member_of{suffix}`` value, in order."""
    if len(values) > 1 and not version.at_least(_MULTI_MEMBER_OF_MINOR):
        raise PlacementBadRequest(f'Multiple member_of{suffix} parameters are not supported')
    required: list[frozenset[str]] = []
    forbidden: set[str] = set()
    for value in values:
        wanted, refused = _member_of_value(value)
        if wanted:
            required.append(frozenset(wanted))
        if refused:
            if not version.at_least(_FORBIDDEN_AGGREGATES_MINOR):
                raise PlacementBadRequest(f'Forbidden member_of{suffix} parameters are not '
                                          'supported in the specified microversion')
            forbidden |= refused
    return required, frozenset(forbidden)


def _traits_value(value: str, allow_forbidden: bool, allow_any: bool) -> Traits:
    if value.startswith('in:'):
        if not allow_any:
            raise PlacementBadRequest(f"Invalid query string parameters: The format "
                                      f"'{_ANY_FORM}' only supported since microversion 1.39. "
                                      f'Got: {value}')
        any_traits = {item.strip() for item in value[3:].split(',')}
        if not all(any_traits):
            raise PlacementBadRequest("Invalid query string parameters: Expected 'required' "
                                      f'parameter value of the form: {_ANY_FORM}. Got an '
                                      f'empty trait in: {value}')
        if any(trait.startswith('!') for trait in any_traits):
            raise PlacementBadRequest(f"Invalid query string parameters: The format "
                                      f"'{_ANY_FORM}' does not support forbidden traits. "
                                      f'Got: {value}')
        return [frozenset(any_traits)], frozenset()
    items = [item.strip() for item in value.split(',')]
    forbidden = {item.lstrip('!') for item in items if item.startswith('!')}
    if not all(forbidden) or not all(items):
        form = 'HW_CPU_X86_VMX,!CUSTOM_MAGIC' if allow_forbidden else \
            'HW_CPU_X86_VMX,CUSTOM_MAGIC'
        raise PlacementBadRequest("Invalid query string parameters: Expected 'required' "
                                  f'parameter value of the form: {form}. Got an empty '
                                  f'trait in: {value}')
    if forbidden and not allow_forbidden:
        raise PlacementBadRequest("Invalid query string parameters: Expected 'required' "
                                  'parameter value of the form: HW_CPU_X86_VMX,CUSTOM_MAGIC. '
                                  f'Got: {value}')
    required = [frozenset({item}) for item in items if not item.startswith('!')]
    return required, frozenset(forbidden)


def traits_values(values: Sequence[str], version: Microversion,
                  allow_forbidden: bool | None = None, allow_any: bool | None = None) -> Traits:
    """Every ``required{suffix}`` value (only the last before 1.39)."""
    if allow_forbidden is None:
        allow_forbidden = version.at_least(_FORBIDDEN_TRAITS_MINOR)
    if allow_any is None:
        allow_any = version.at_least(_ANY_TRAITS_MINOR)
    if not allow_any:
        values = values[-1:]
    required: list[frozenset[str]] = []
    forbidden: set[str] = set()
    for value in values:
        wanted, refused = _traits_value(value, allow_forbidden, allow_any)
        required += wanted
        forbidden |= refused
    return required, frozenset(forbidden)


def resources_value(value: str) -> dict[str, int]:
    """``VCPU:2,MEMORY_MB:1024`` as a dict; later repeats of a class win."""
    form = 'Expected resources query string parameter in form: ?resources=VCPU:2,MEMORY_MB:1024.'
    if value.strip() == '':
        raise PlacementBadRequest(f'Badly formed resources parameter. {form} Got: empty string.')
    result: dict[str, int] = {}
    for item in value.split(','):
        parts = item.split(':')
        if len(parts) != 2:
            raise PlacementBadRequest(f'Badly formed resources parameter. {form} Got: {item}.')
        rc, amount_text = parts
        try:
            amount = int(amount_text)
        except ValueError:
            raise PlacementBadRequest(f'Requested resource {rc} expected positive integer '
                                      f'amount. Got: {amount_text}.') from None
        if amount < 1:
            raise PlacementBadRequest(f'Requested resource {rc} requires amount >= 1. '
                                      f'Got: {amount}.')
        result[rc] = amount
    return result


def in_tree_value(value: str) -> str:
    stripped = value.strip()
    if not is_uuid_like(stripped):
        raise PlacementBadRequest("Invalid query string parameters: Expected 'in_tree' "
                                  f'parameter to be a format of uuid. Got: {value}')
    return stripped
