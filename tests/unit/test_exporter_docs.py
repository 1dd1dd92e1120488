"""The Grafana dashboard and the example alert rules in doc/ name only metrics the exporter
emits (promtool is not needed: the expressions' metric names are checked here)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from pciclient.exporter.metrics import FAMILIES, exposed_names

DOC = Path(__file__).resolve().parents[2] / 'doc'
README = Path(__file__).resolve().parents[2] / 'README.md'
_NAME = re.compile(r'(?<![\w{"$])(pci_[a-z0-9_]+)')


def _metric_names(expr: str) -> set[str]:
    return set(_NAME.findall(expr))


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads((DOC / 'grafana' / 'pci-dashboard.json').read_text())
    return [target['expr'] for panel in dashboard['panels'] for target in panel['targets']]


def _alert_exprs() -> list[str]:
    rules = yaml.safe_load((DOC / 'prometheus' / 'pci-alerts.yaml').read_text())
    return [rule['expr'] for group in rules['groups'] for rule in group['rules']]


def test_every_dashboard_query_names_emitted_metrics():
    exprs = _dashboard_exprs()
    assert len(exprs) >= 8
    for expr in exprs:
        names = _metric_names(expr)
        assert names and names <= exposed_names(), expr


def test_the_dashboard_has_the_panels_operators_asked_for():
    used = set().union(*map(_metric_names, _dashboard_exprs()))
    assert {'pci_host_free_units', 'pci_server_device_units', 'pci_flavor_fits',
            'pci_exporter_last_success_timestamp_seconds', 'pci_pgpu_vgpu_used_units',
            'pci_sriov_ports_in_use'} <= used


def test_every_alert_rule_names_emitted_metrics():
    exprs = _alert_exprs()
    assert any('pci_flavor_fits' in e and '<' in e for e in exprs)
    assert any('pci_exporter_last_success_timestamp_seconds' in e for e in exprs)
    for expr in exprs:
        assert expr.count('(') == expr.count(')'), expr
        names = _metric_names(expr)
        assert names and names <= exposed_names(), expr


def _readme_section() -> str:
    """The README's exporter section only (up to the next section)."""
    text = README.read_text()
    start = text.index('## Prometheus exporter')
    end = text.find('\n## ', start + 1)
    return text[start:] if end < 0 else text[start:end]


def test_the_readme_documents_every_family_and_its_labels():
    section = _readme_section()
    for family in FAMILIES.values():
        assert f'`{family.name}`' in section or f'`{family.name}_total`' in section, family.name
    for label in {label for family in FAMILIES.values() for label in family.labels}:
        assert f'`{label}`' in section, label


def test_the_readme_names_only_emitted_metrics_with_their_labels():
    """Each row of the README's metric table names metrics the exporter exposes, and the
    labels it lists are those families' labels, no more, no fewer (a renamed metric or
    label, or a stale README, fails here)."""
    section = _readme_section()
    by_exposed = {(f.name + '_total' if f.kind == 'counter' else f.name): f
                  for f in FAMILIES.values()}
    rows = [line for line in section.splitlines() if line.startswith('| `pci_')]
    assert rows
    seen: set[str] = set()
    for row in rows:
        cells = [cell.strip() for cell in row.strip('|').split('|')]
        names = re.findall(r'`([a-z0-9_]+)`', cells[0])
        assert names and set(names) <= exposed_names(), row
        documented = set(re.findall(r'`([a-z0-9_]+)`', cells[1]))
        assert documented == {label for name in names for label in by_exposed[name].labels}, row
        seen.update(names)
    assert seen == exposed_names()
    mentioned = set(re.findall(r'`(pci_[a-z0-9_]+)[`{]', section))
    assert mentioned <= exposed_names(), mentioned - exposed_names()
