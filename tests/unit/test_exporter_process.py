"""pci-exporter's refresh runs in a child process (pciclient.exporter.worker): the serving
process answers a scrape while a refresh blocks, and a refresh stuck past its deadline is
killed and replaced, the last good data kept and marked stale."""
from __future__ import annotations

import http.client
import os
import threading
import time
from functools import partial
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pciclient import exceptions as exc
from pciclient.exporter.refresh import Refresher
from pciclient.exporter.server import ExporterServer
from pciclient.exporter.worker import ProcessRefresher

HOST = ('compute1', 'CUSTOM_PCI_10DE_1EB8', '10de', '1eb8', 'NVIDIA', 'TU104GL', 'placement')


def _source(gates: str, context: object) -> dict:
    """Answers its process id; while ``gates``/block exists, says so and waits (as a refresh
    stuck in Python would: no library deadline can end it)."""
    block, entered = Path(gates, 'block'), Path(gates, 'entered')
    if block.exists():
        entered.touch()
        while block.exists():
            time.sleep(0.01)
    return {'pci_host_free_units': [(HOST, float(os.getpid()))]}


def _factory(gates: str) -> Refresher:
    """Runs in the child (module level: the spawn context pickles it by name)."""
    if Path(gates, 'broken').exists():
        raise exc.CommandError('Cannot read --pci-alias nova.conf: No such file')
    return Refresher(object(), lambda client: None, deadline=1, max_answer_size=1024,
                     sources={'devices': partial(_source, gates)})


def _values(page: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(page.decode())
            for s in family.samples}


def _pid_in_page(page: bytes) -> float:
    return next(v for (name, _), v in _values(page).items() if name == 'pci_host_free_units')


def _wait_for(path: Path) -> None:
    for _ in range(3000):   # the child's start-up on a loaded machine: up to 30 s
        if path.exists():
            return
        time.sleep(0.01)
    raise AssertionError(f'{path} never appeared')


@pytest.fixture
def refresher(tmp_path):
    made: list[ProcessRefresher] = []

    def make(**kwargs: float) -> ProcessRefresher:
        made.append(ProcessRefresher(partial(_factory, str(tmp_path)), **kwargs))
        return made[-1]
    yield make
    Path(tmp_path, 'block').unlink(missing_ok=True)
    for each in made:
        each.close()
        assert each.pid is None


def test_the_refresh_runs_in_another_process_and_a_scrape_during_it_is_answered(
        refresher, tmp_path):
    worker = refresher(deadline=60)
    assert worker.refresh() is True
    child = worker.pid
    assert child is not None and child != os.getpid()
    first = worker.page().text
    assert _pid_in_page(first) == child            # the source ran in the child
    Path(tmp_path, 'block').touch()
    results: list[bool] = []
    thread = threading.Thread(target=lambda: results.append(worker.refresh()))
    thread.start()
    _wait_for(Path(tmp_path, 'entered'))           # the child is inside the refresh now
    server = ExporterServer(('127.0.0.1', 0), worker.page, thread.is_alive)
    serving = server.start()
    try:
        connection = http.client.HTTPConnection(*server.server_address[:2], timeout=30)
        connection.request('GET', '/metrics')
        answer = connection.getresponse()
        assert (answer.status, answer.read()) == (200, first)   # the last complete refresh
        connection.close()
        assert thread.is_alive()                   # ...while that refresh still blocks
    finally:
        server.shutdown()
        server.server_close()
        serving.join(5)
        Path(tmp_path, 'block').unlink()
        thread.join(60)
    assert results == [True] and worker.pid == child


def test_a_refresh_stuck_past_its_deadline_is_killed_and_the_last_data_kept(
        refresher, tmp_path, caplog):
    worker = refresher(deadline=0.5, grace=0.5)
    assert worker.refresh() is True
    child = worker.pid
    Path(tmp_path, 'block').touch()
    assert worker.refresh() is False
    assert worker.refresh() is False               # stuck again: logged once, not twice
    assert worker.pid not in (None, child)         # replaced
    values = _values(worker.page().text)
    assert _pid_in_page(worker.page().text) == child   # the last good data, still served
    assert values[('pci_exporter_up', ())] == 0
    assert values[('pci_exporter_errors_total',
                   (('kind', 'RefreshKilled'), ('source', 'refresh')))] == 2
    assert values[('pci_exporter_refreshes_total', (('result', 'failure'),))] == 2
    assert values[('pci_exporter_refreshes_total', (('result', 'success'),))] == 1
    killed = [r for r in caplog.records if 'killed and replaced' in r.getMessage()]
    assert len(killed) == 1


def test_a_child_that_cannot_start_is_one_error_line(refresher, tmp_path):
    Path(tmp_path, 'broken').touch()
    with pytest.raises(exc.CommandError, match='Cannot read --pci-alias'):
        refresher(deadline=60)
