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
            'pci_exporter_last_success_timestamp_seconds'} <= used


def test_every_alert_rule_names_emitted_metrics():
    exprs = _alert_exprs()
    assert any('pci_flavor_fits' in e and '<' in e for e in exprs)
    assert any('pci_exporter_last_success_timestamp_seconds' in e for e in exprs)
    for expr in exprs:
        assert expr.count('(') == expr.count(')'), expr
        names = _metric_names(expr)
        assert names and names <= exposed_names(), expr


def test_the_readme_documents_every_family_and_its_labels():
    text = README.read_text()
    section = text[text.index('## Prometheus exporter'):]
    for family in FAMILIES.values():
        assert f'`{family.name}`' in section or f'`{family.name}_total`' in section, family.name
    for label in {label for family in FAMILIES.values() for label in family.labels}:
        assert f'`{label}`' in section, label
