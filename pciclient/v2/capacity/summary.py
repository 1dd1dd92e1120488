"""A flavor's capacity over the selected hosts: one line for a dashboard or a script."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from pciclient.v2.capacity.manager import HostFit


def summarise(rows: Iterable[HostFit]) -> list[dict[str, Any]]:
    """Per flavor, in the order first met: ``fits`` the sum over hosts (None if any host's
    is unknown), ``hosts`` how many fit at least one, ``limited_by`` the most common first
    reason (ties: the first met)."""
    by_flavor: dict[str, list[HostFit]] = {}
    for row in rows:
        by_flavor.setdefault(row.flavor, []).append(row)
    summary = []
    for flavor, hosts in by_flavor.items():
        known = [h.fit.fits for h in hosts]
        total = None if any(k is None for k in known) else sum(k or 0 for k in known)
        reasons = Counter(h.fit.limited_by[0] for h in hosts if h.fit.limited_by)
        common = reasons.most_common(1)[0][0] if reasons else None
        summary.append({'flavor': flavor, 'fits': total,
                        'hosts': sum(1 for k in known if k), 'limited_by': common})
    return summary
