"""Flavors and their extra specs: ``GET flavors/detail``, ``flavors/{id}[/os-extra_specs]``.

Extra specs decide what a server asks of Placement (``resources:``, ``trait:``,
``pci_passthrough:alias``), so a flavor without them is only half a flavor: they are read
inside the flavor from microversion 2.61, else one ``os-extra_specs`` request per flavor.
"""
from __future__ import annotations

from typing import Any

from pciclient import exceptions as exc
from pciclient.http import expect_object
from pciclient.v2.base import Manager, Resource, path_segment

#: The first compute microversion whose flavors carry their extra specs.
EXTRA_SPECS_VERSION = '2.61'


#: The sizes a flavor's server asks (Nova's view: whole numbers; ``swap`` is "" for none
#: before 2.75). Absent ones count as 0, as the translation reads them.
SIZE_FIELDS = ('vcpus', 'ram', 'disk', 'OS-FLV-EXT-DATA:ephemeral', 'swap')


def _check_sizes(info: dict[str, Any]) -> None:
    """A size that is no whole number ≥ 0 would be counted as some other request (or
    not at all): the flavor is refused whole, as any answer the client cannot read."""
    for key in SIZE_FIELDS:
        value = info.get(key)
        if value is None or (key == 'swap' and value == ''):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise exc.InvalidResponse(
                f'The compute API sent flavor {str(info.get("id"))[:40]!r} with a {key} that '
                'is not a whole number.')


class Flavor(Resource):
    """A flavor; ``extra_specs`` is a dict once read (None while unknown)."""

    human_name = 'flavor'

    @classmethod
    def normalise(cls, info: dict[str, Any]) -> dict[str, Any]:
        _check_sizes(info)
        fields = dict(info)
        specs = info.get('extra_specs')
        fields['extra_specs'] = {str(k): str(v) for k, v in specs.items()} \
            if isinstance(specs, dict) else None
        return fields

    def set_extra_specs(self, specs: dict[str, str]) -> None:
        self._fields['extra_specs'] = specs
        self.raw = {**self.raw, 'extra_specs': specs}


class FlavorManager(Manager[Flavor]):
    resource_class = Flavor

    def _with_specs(self, read: Any) -> Any:
        """``read(microversion)`` at 2.61 when the client's own is older, so extra specs
        come along; a cloud that does not have 2.61 (406) or no microversions at all
        (then the answer simply has none) is read as it is."""
        if self.http.microversion >= (2, 61):
            return read(None)
        try:
            return read(EXTRA_SPECS_VERSION)
        except exc.HttpError as error:
            if error.http_status not in (400, 406):
                raise
            return read(None)

    def _fill_specs(self, flavor: Flavor) -> Flavor:
        if flavor.extra_specs is None:
            path = f'flavors/{path_segment(flavor.id)}/os-extra_specs'
            specs = expect_object(self.http.get(path), 'extra_specs', path)
            flavor.set_extra_specs({str(k): str(v) for k, v in specs.items()})
        return flavor

    def list(self, *, all_flavors: bool = True, specs: bool = True) -> list[Flavor]:
        """Every flavor the caller can see, with extra specs (``all_flavors``: private
        ones too, which Nova shows only to admins and ignores for others)."""
        params = {'is_public': 'None'} if all_flavors else None
        items = self._with_specs(lambda version: self.http.get_list(
            'flavors/detail', 'flavors', params, microversion=version))
        flavors = [Flavor(item) for item in items]
        return [self._fill_specs(f) for f in flavors] if specs else flavors

    def get(self, name_or_id: str) -> Flavor:
        """One flavor by id, else by exact name (an error when several share it)."""
        key = str(name_or_id)
        path = f'flavors/{path_segment(key)}'
        try:
            body = self._with_specs(lambda version: self.http.get(path, microversion=version))
        except exc.NotFound:
            body = None
        if body is not None:
            return self._fill_specs(Flavor(expect_object(body, 'flavor', path)))
        matches = [f for f in self.list(specs=False) if f.raw.get('name') == key]
        if len(matches) > 1:
            ids = ', '.join(str(f.id) for f in matches)
            raise exc.NoUniqueMatch(f'More than one flavor is named {key!r} ({ids}); use its ID.')
        if not matches:
            raise exc.NotFound(f'No flavor with a name or ID of {key!r} exists.')
        return self._fill_specs(matches[0])
