"""Virtual environments for the real OpenStack services the test tiers run.

Each service gets its own venv with pinned versions, cached between runs (and
between CI runs on the same machine) under ``$PCICLIENT_SERVICE_CACHE`` or
``~/.cache/pciclient/services``. A venv is only used once its installation has
finished (a stamp file), and a lock keeps two runs from building it at once.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

CACHE_ENV = 'PCICLIENT_SERVICE_CACHE'


def cache_root() -> Path:
    root = os.environ.get(CACHE_ENV) or Path.home() / '.cache' / 'pciclient' / 'services'
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


class VenvError(RuntimeError):
    """A service venv could not be built; the message says what pip said."""


def ensure_venv(name: str, requirements: list[str], timeout: float = 900) -> Path:
    """The path of a venv holding exactly ``requirements`` (pinned), building it if needed."""
    digest = hashlib.sha256('\n'.join(sorted(requirements)).encode()).hexdigest()[:12]
    venv = cache_root() / f'{name}-{digest}'
    stamp = venv / '.complete'
    lock_path = cache_root() / f'{name}-{digest}.lock'
    with open(lock_path, 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            return venv
        if venv.exists():
            shutil.rmtree(venv)
        subprocess.run([sys.executable, '-m', 'venv', str(venv)], check=True, timeout=120)
        pip = [str(venv / 'bin' / 'python'), '-m', 'pip', 'install', '--quiet',
               '--disable-pip-version-check', *requirements]
        done = subprocess.run(pip, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            tail = '\n'.join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise VenvError(f'pip could not install {" ".join(requirements)} for {name}:\n{tail}')
        stamp.write_text('\n'.join(requirements) + '\n')
    return venv
