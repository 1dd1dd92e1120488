"""The one admin account a fake cloud without a scenario's users starts with.

Like a DevStack host, it has user ``admin`` with the ``admin`` role in project
``admin``. Its password comes from the operator (option or environment) or is
generated; a generated one is written to a fresh mode-0600 file whose path,
never the password, is what gets logged. The file goes away with the server.
"""
from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pciclient.fakeserver.identity.accounts import Project, User

__all__ = ['ADMIN_NAME', 'ADMIN_PASSWORD_ENV', 'AdminAccount', 'PasswordFile', 'admin_account']

ADMIN_NAME = 'admin'
ADMIN_ROLES = ('admin', 'member', 'reader')
ADMIN_PASSWORD_ENV = 'PCI_FAKE_ADMIN_PASSWORD'


class PasswordFile:
    """A generated secret in its own private directory; ``remove()`` deletes both."""

    def __init__(self, secret: str, parent: str | None = None) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix='pci-fake-server-', dir=parent))  # 0700
        self.path = self.directory / 'admin-password'
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as stream:
            os.fchmod(stream.fileno(), 0o600)  # whatever the umask said
            stream.write(secret + '\n')

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class AdminAccount:
    project: Project
    user: User
    password_file: PasswordFile | None = None


def _runtime_dir() -> str | None:
    """``$XDG_RUNTIME_DIR`` (per-user, private) when it is usable, else the temp directory."""
    candidate = os.environ.get('XDG_RUNTIME_DIR')
    if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
        return candidate
    return None


def admin_account(password: str | None) -> AdminAccount:
    """The admin with ``password``, or with a generated one written to a private file."""
    password_file = None
    if not password:
        password = secrets.token_urlsafe(18)
        password_file = PasswordFile(password, _runtime_dir())
    project = Project(ADMIN_NAME)
    user = User(ADMIN_NAME, password, ADMIN_NAME, roles=ADMIN_ROLES)
    return AdminAccount(project, user, password_file)
