"""``--deadline`` and ``--max-answer-size`` reach the client as ``Client(deadline=…,
max_answer_size=…)`` (issue 18, items 2 and 3), when the client takes them."""
from __future__ import annotations

import contextlib
import io
import time
from typing import Any

import pytest

from pciclient import exceptions, shell
from pciclient.options import answer_size
from pciclient.v2 import client as v2_client

NOAUTH = ['--os-auth-type', 'none', '--os-endpoint', 'http://127.0.0.1:1/v2.1']


def _run(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = shell.main(list(args))
    return code, err.getvalue()


class _Recorder:
    """A Client that takes the new keywords, records what it got and stops the command."""

    seen: dict[str, Any] = {}

    def __init__(self, session: Any = None, *, deadline: float | None = None,
                 max_answer_size: int | None = None, **kwargs: Any) -> None:
        _Recorder.seen = {'deadline': deadline, 'max_answer_size': max_answer_size, **kwargs}
        raise exceptions.CommandError('recorded')


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    for name in ('PCI_CLI_DEADLINE', 'PCI_CLI_MAX_ANSWER_SIZE'):
        monkeypatch.delenv(name, raising=False)


def test_the_client_gets_an_absolute_deadline_and_the_answer_limit(monkeypatch):
    monkeypatch.setattr(v2_client, 'Client', _Recorder)
    before = time.monotonic()
    code, err = _run('--deadline', '7.5', '--max-answer-size', '3M', *NOAUTH, 'pci-list')
    assert (code, err) == (1, 'recorded\n')
    assert before + 7.5 <= _Recorder.seen['deadline'] <= time.monotonic() + 7.5
    assert _Recorder.seen['max_answer_size'] == 3 * 1024 ** 2


def test_defaults_and_environment(monkeypatch):
    monkeypatch.setattr(v2_client, 'Client', _Recorder)
    before = time.monotonic()
    assert _run(*NOAUTH, 'pci-list')[0] == 1
    assert before + 300 <= _Recorder.seen['deadline'] <= time.monotonic() + 300
    assert _Recorder.seen['max_answer_size'] == 256 * 1024 ** 2
    monkeypatch.setenv('PCI_CLI_DEADLINE', '20')
    monkeypatch.setenv('PCI_CLI_MAX_ANSWER_SIZE', '1G')
    before = time.monotonic()
    assert _run(*NOAUTH, 'pci-list')[0] == 1
    assert before + 20 <= _Recorder.seen['deadline'] <= time.monotonic() + 20
    assert _Recorder.seen['max_answer_size'] == 1024 ** 3


def test_a_client_without_those_keywords_is_called_without_them(monkeypatch):
    def old_init(self: Any, session: Any = None, *, endpoint_override: str | None = None,
                 **kwargs: Any) -> None:
        raise exceptions.CommandError(f'called with {sorted(kwargs)}')

    class Old:
        __init__ = old_init

    monkeypatch.setattr(v2_client, 'Client', Old)
    code, err = _run(*NOAUTH, 'pci-list')
    assert code == 1 and 'deadline' not in err and 'max_answer_size' not in err


@pytest.mark.parametrize('text, size', [('1', 1), ('4096', 4096), ('4K', 4096), ('4k', 4096),
                                        ('4KiB', 4096), ('256M', 256 * 1024 ** 2),
                                        ('256MiB', 256 * 1024 ** 2), ('1.5G', 3 * 1024 ** 3 // 2),
                                        ('2GB', 2 * 1024 ** 3)])
def test_answer_sizes(text: str, size: int):
    assert answer_size(text) == size


@pytest.mark.parametrize('text', ['0', '-1', 'abc', 'M', '1.5', 'nan', 'inf', '', '1e30G', '4T'])
def test_an_answer_size_that_is_no_positive_size_is_a_usage_error(text: str):
    code, err = _run('--max-answer-size', text, *NOAUTH, 'pci-list')
    assert code == 2 and err.count('\n') == 1 and '--max-answer-size' in err
