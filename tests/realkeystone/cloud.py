"""The real-Keystone tier's cloud as its tests see it (built by ``conftest.cloud``), and
the ``--os-*`` options to reach it."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.realkeystone.fake_compute import FakeCompute
from tests.realkeystone.keystone_admin import KeystoneAdmin
from tests.realservices.keystone import Keystone

MEMBER = 'alice'
MEMBER_PASSWORD = 'Al1ce-keystone-pw'
REGIONS = ('RegionOne', 'RegionTwo')
PLACEMENT_PATH = '/placement'
# Each interface's endpoint URL form, so a test can tell from the request URL which was used.
INTERFACE_PATHS = {
    'public': '/v2.1',
    'internal': '/v2.1/$(project_id)s',
    'admin': '/v2/$(project_id)s',
}
SHORT_LIVED_SECONDS = 4


@dataclass
class Region:
    name: str
    compute: FakeCompute
    hostname: str            # the one hypervisor its scenario serves

    def endpoint(self, interface: str, project_id: str) -> str:
        return self.compute.root + INTERFACE_PATHS[interface].replace('$(project_id)s',
                                                                       project_id)


@dataclass
class RealCloud:
    keystone: Keystone
    admin: KeystoneAdmin
    demo_project_id: str
    member_id: str
    regions: dict[str, Region]
    app_credential: tuple[str, str]          # (id, secret) of the admin's, on project admin
    expiring_token: str                      # from a short-lived application credential
    expiring_token_expires_at: float
    workdir: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def auth_url(self) -> str:
        return self.keystone.url

    @property
    def admin_password(self) -> str:
        return self.keystone.admin_password

    @property
    def admin_project_id(self) -> str:
        return self.admin.project_id


def password_args(cloud: RealCloud, user: str = 'admin', password: str | None = None,
                  project: str = 'admin', region: str = 'RegionOne') -> list[str]:
    """``--os-*`` options for password authentication (the admin by default)."""
    return ['--os-auth-url', cloud.auth_url, '--os-username', user,
            '--os-password', cloud.admin_password if password is None else password,
            '--os-project-name', project, '--os-user-domain-name', 'Default',
            '--os-project-domain-name', 'Default', '--os-region-name', region]


def member_args(cloud: RealCloud, region: str = 'RegionOne') -> list[str]:
    return password_args(cloud, MEMBER, MEMBER_PASSWORD, 'demo', region)


def wait_until(moment: float) -> None:
    """Sleep until the wall clock has passed ``moment`` (Keystone's clock is this machine's)."""
    remaining = moment - time.time()
    if remaining > 0:
        time.sleep(remaining)
