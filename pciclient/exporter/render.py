"""Samples to the Prometheus text format, through prometheus-client's own writer.

Only the exporter imports prometheus-client (``pci-cli`` never pays for it).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pciclient.exporter.metrics import COUNTER, FAMILIES

#: The content type of the page (the text format 0.0.4, which every Prometheus reads).
CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

Samples = dict[str, list[tuple[tuple[str, ...], float]]]


class _Families:
    """A one-shot collector: ``generate_latest`` asks it for its families."""

    def __init__(self, samples: Samples) -> None:
        self._samples = samples

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        for name, family in FAMILIES.items():
            items = self._samples.get(name)
            if items is None:
                continue
            kind = CounterMetricFamily if family.kind == COUNTER else GaugeMetricFamily
            metric = kind(name, family.help, labels=list(family.labels))
            for labels, value in items:
                metric.add_metric(list(labels), value)
            yield metric


def text(samples: Samples) -> bytes:
    """The page: every family of :data:`FAMILIES` that ``samples`` has (even empty)."""
    from prometheus_client.exposition import generate_latest

    unknown = set(samples) - set(FAMILIES)
    if unknown:   # a source's typo must fail its tests, not vanish from the page
        raise ValueError(f'samples of undeclared families: {", ".join(sorted(unknown))}')
    return generate_latest(_Families(samples))
