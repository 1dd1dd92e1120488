"""What the real-Neutron tier's tests see of it: :class:`RealNeutron`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import requests


def http_session() -> requests.Session:
    """A session that talks to 127.0.0.1 directly, never through a proxy."""
    session = requests.Session()
    session.trust_env = False
    return session


@dataclass(frozen=True)
class RealNeutron:
    admin_url: str     # http://127.0.0.1:PORT, requests act as admin of project_id
    member_url: str    # the same Neutron; requests act as a member of project_id
    service_url: str   # the same Neutron; requests act as Nova's service user
    project_id: str
    scenario: dict     # what scenario.create_scenario made: names -> ids, ports by name
    log: Path
    info: dict = field(repr=False)

    def port(self, name: str) -> dict:
        """The scenario's port ``name`` as Neutron answered its binding (admin view)."""
        return self.scenario['ports'][name]

    def url(self, caller: str) -> str:
        return {'admin': self.admin_url, 'member': self.member_url,
                'service': self.service_url}[caller]
