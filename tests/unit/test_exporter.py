"""pci-exporter in-process: the refresh keeps the last good data when a source fails and
logs each failure once, the page parses, the HTTP server answers from the page, usage
errors are one line with exit 2, and pci-cli's start-up never imports prometheus-client."""
from __future__ import annotations

import gzip
import http.client
import logging
import math
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pciclient import exceptions as exc
from pciclient.exporter import cli, render
from pciclient.exporter.metrics import FAMILIES, exposed_names
from pciclient.exporter.refresh import Refresher
from pciclient.exporter.server import ExporterServer, parse_listen

HOST = ('compute1', 'CUSTOM_PCI_10DE_1EB8', '10de', '1eb8', 'NVIDIA', 'TU104GL', 'placement')


def _samples(page: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(page.decode())
            for s in family.samples}


class _Flaky:
    """A source that answers ``free`` units, or raises what ``failure`` holds."""

    def __init__(self) -> None:
        self.free = 3.0
        self.failure: Exception | None = None

    def __call__(self, context):
        if self.failure is not None:
            raise self.failure
        return {'pci_host_free_units': [(HOST, self.free)]}


def _refresher(source) -> Refresher:
    return Refresher(object(), lambda client: None, deadline=5, max_answer_size=1024,
                     sources={'devices': source})


def _value(page: bytes, name: str, **labels: str) -> float:
    return _samples(page)[(name, tuple(sorted(labels.items())))]


def test_a_failing_refresh_keeps_the_last_good_data_and_marks_it_stale(caplog):
    source = _Flaky()
    refresher = _refresher(source)
    assert _value(refresher.page().text, 'pci_exporter_up') == 0   # before any refresh
    assert refresher.refresh() is True
    page = refresher.page().text
    good_at = _value(page, 'pci_exporter_last_success_timestamp_seconds', source='devices')
    assert good_at > 0 and _value(page, 'pci_exporter_up') == 1
    source.free = 1.0
    source.failure = exc.ConnectionError('Unable to reach compute at http://x')
    with caplog.at_level(logging.INFO, logger='pciclient.exporter'):
        assert refresher.refresh() is False
        assert refresher.refresh() is False
    page = refresher.page().text
    assert _value(page, 'pci_host_free_units', **dict(zip(FAMILIES['pci_host_free_units'].labels,
                                                           HOST, strict=True))) == 3.0
    assert _value(page, 'pci_exporter_up') == 0
    assert _value(page, 'pci_exporter_source_up', source='devices') == 0
    assert _value(page, 'pci_exporter_last_success_timestamp_seconds', source='devices') \
        == good_at
    assert _value(page, 'pci_exporter_errors_total', source='devices',
                  kind='ConnectionError') == 2
    assert _value(page, 'pci_exporter_refreshes_total', result='failure') == 2
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and 'Unable to reach compute' in errors[0].getMessage()
    source.failure = exc.Forbidden('Policy does not allow os-pci')   # another failure: told
    with caplog.at_level(logging.INFO, logger='pciclient.exporter'):
        refresher.refresh()
        source.failure = None
        assert refresher.refresh() is True
    messages = [r.getMessage() for r in caplog.records]
    assert sum('Policy does not allow' in m for m in messages) == 1
    assert any('refreshed again' in m for m in messages)
    page = refresher.page().text
    assert _value(page, 'pci_exporter_up') == 1
    assert 1.0 in {v for (name, _), v in _samples(page).items() if name == 'pci_host_free_units'}


def test_a_refresh_past_its_deadline_runs_no_further_source():
    calls = []
    refresher = Refresher(object(), lambda client: None, deadline=1e-9, max_answer_size=1024,
                          sources={'devices': lambda ctx: calls.append(1) or {}})
    assert refresher.refresh() is False and calls == []
    assert _value(refresher.page().text, 'pci_exporter_errors_total', source='devices',
                  kind='DeadlinePassed') == 1


def test_a_refresh_slower_than_its_deadline_logs_once_wherever_the_deadline_struck(caplog):
    """The deadline strikes at another request each refresh (another provider's usages):
    that is one failure, logged once, not a line per interval (--interval 1 on a large
    cloud filled the log)."""
    from pciclient.answers import DeadlinePassed

    source = _Flaky()
    refresher = _refresher(source)
    with caplog.at_level(logging.INFO, logger='pciclient.exporter'):
        for index in range(3):
            source.failure = DeadlinePassed(
                f'The deadline (1 s) passed while reading the answer from '
                f'http://placement:8778/resource_providers/rp-{index}/usages.')
            assert refresher.refresh() is False
        source.failure = exc.ConnectionError('Unable to reach http://placement:8778/x')
        refresher.refresh()
        source.failure = exc.ConnectionError('Unable to reach http://placement:8778/y')
        refresher.refresh()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2, errors
    assert 'rp-0' in errors[0] and 'Unable to reach' in errors[1]
    assert _value(refresher.page().text, 'pci_exporter_errors_total', source='devices',
                  kind='DeadlinePassed') == 3


def test_samples_of_an_undeclared_family_fail_loudly():
    with pytest.raises(ValueError, match='pci_typo'):
        render.text({'pci_typo': [((), 1.0)]})


def test_unknown_capacity_is_nan_and_counters_end_in_total():
    page = render.text({'pci_flavor_fits': [(('gpu', 'unknown alias gpu'), math.nan)],
                        'pci_exporter_requests': [((), 4.0)]})
    got = _samples(page)
    assert math.isnan(got[('pci_flavor_fits', (('flavor', 'gpu'),
                                               ('limited_by', 'unknown alias gpu')))])
    assert got[('pci_exporter_requests_total', ())] == 4.0
    assert {name for name, _ in got} <= exposed_names()


@pytest.fixture
def server():
    refresher = _refresher(_Flaky())
    refresher.refresh()
    srv = ExporterServer(('127.0.0.1', 0), refresher.page, lambda: True)
    thread = srv.start()
    yield srv, refresher
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def _get(srv, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(*srv.server_address[:2], timeout=10)
    try:
        connection.request('GET', path, headers=headers)
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        connection.close()


def test_the_server_answers_metrics_from_the_page_and_healthz(server):
    srv, refresher = server
    status, headers, body = _get(srv, '/metrics')
    assert (status, body) == (200, refresher.page().text)
    assert headers['Content-Type'].startswith('text/plain; version=0.0.4')
    status, headers, body = _get(srv, '/metrics', **{'Accept-Encoding': 'gzip'})
    assert headers['Content-Encoding'] == 'gzip'
    assert gzip.decompress(body) == refresher.page().text
    assert _get(srv, '/healthz')[::2] == (200, b'ok\n')
    assert _get(srv, '/nothing')[0] == 404
    assert srv.url.startswith('http://127.0.0.1:') and srv.url.endswith('/metrics')


@pytest.mark.parametrize('argv, words', [
    (['--listen', 'localhost'], 'expected HOST:PORT'),
    (['--interval', '0.5'], 'at least 1 second'),
    (['--key', 'k.pem'], '--key needs --cert'),
    (['--pci-in-placement', 'maybe'], 'invalid choice'),
])
def test_usage_errors_are_one_line_and_exit_2(argv, words, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count('\n') == 1 and err.startswith('pci-exporter: error:')


def test_parse_listen_takes_ipv6_and_port_zero():
    assert parse_listen('[::1]:0') == ('::1', 0)
    assert parse_listen('0.0.0.0:9181') == ('0.0.0.0', 9181)


def test_pci_cli_start_up_never_imports_prometheus_client():
    code = ('import sys, pciclient.main, pciclient.shell, pciclient.clientmanager; '
            'print("prometheus_client" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == 'False'


class _CountedPool(dict):
    """A hypervisor PCI pool that counts how often it is looked at."""

    reads = 0

    def get(self, key, default=None):
        _CountedPool.reads += 1
        return super().get(key, default)


def test_devices_are_matched_against_their_own_hosts_pools_not_every_pool():
    """The os-pci source matched each device against every pool of the cloud: devices ×
    pools, minutes at 1,000 hosts (the benchmark "hung"). Counted, not timed."""
    from types import SimpleNamespace

    from pciclient.exporter.sources import Context, Settings, devices

    hosts = 60
    rows = [{'host': f'h{h}', 'address': f'0000:0{d}:00.0', 'vendor_id': '8086',
             'product_id': '10ed', 'dev_type': 'type-VF', 'numa_node': 0,
             'status': 'available', 'source': 'os-pci'} for h in range(hosts) for d in range(4)]
    pools = [_CountedPool(host=f'h{h}', vendor_id=v, product_id='10ed', dev_type='type-VF',
                          numa_node=0, tags={'physical_network': f'net{h}'})
             for h in range(hosts) for v in ('8086', '15b3')]
    client = SimpleNamespace(
        pci_devices=SimpleNamespace(list=lambda **kw: _Listed(rows)),
        hypervisors=SimpleNamespace(pools=lambda: (pools, False)))
    names = SimpleNamespace(vendor=lambda v: None, product=lambda v, p: None)
    _CountedPool.reads = 0
    samples = devices(Context(client, Settings(per_device=True), names))
    nets = {labels[8] for labels, _ in samples['pci_device_free_units']}
    assert nets == {f'net{h}' for h in range(hosts)}   # each device got its own host's tags
    assert _CountedPool.reads < 20 * len(rows), _CountedPool.reads   # was ~ rows × pools


class _Listed(list):
    source = 'os-pci'

    def __init__(self, rows):
        super().__init__(_Row(r) for r in rows)


class _Row:
    def __init__(self, row):
        self._row = row

    def to_dict(self):
        return dict(self._row)
