"""A compute API with many pages does not grow pci-cli (issue 18, item 4).

pci-cli runs as a real process against :class:`benchmarks.streaming_memory.PageServer`
(pages of 1,000 items made when asked for) and its peak RSS is read from ``os.wait4``.
Before rows streamed, every row of every page was held until the last page had come:
10 → 30 pages of ``pci-list --long -f json`` grew pci-cli by 42 MiB, 5 → 30 pages of
``server-list`` by 27 MiB. Now the output buffer (4 MiB in memory, then a file) and one
page are all it holds: a few MiB more whatever the pages. The soak (300 pages, every
format) is ``python -m benchmarks.streaming_memory``.
"""
from __future__ import annotations

import json

import pytest

from benchmarks.streaming_memory import measure

#: What three times the pages may add to the peak RSS: noise, never a page's worth of rows.
SLACK_MIB = 15


@pytest.mark.parametrize('listing, fmt, few, many', [
    ('pci-list --long', 'json', 10, 30),   # both past the 4 MiB the buffer keeps in memory
    ('server-list', 'csv', 5, 30),
])
def test_peak_rss_does_not_grow_with_the_pages(tmp_path, listing, fmt, few, many):
    small = measure(listing, fmt, few, 1000, tmp_path)
    large = measure(listing, fmt, many, 1000, tmp_path)
    assert (small.code, small.err, large.code, large.err) == (0, '', 0, ''), large.err
    assert large.out_bytes > 2.5 * small.out_bytes   # the rows of every page were printed
    grown = large.rss_mib - small.rss_mib
    assert grown < SLACK_MIB, f'{few} pages: {small.rss_mib:.0f} MiB, ' \
                              f'{many} pages: {large.rss_mib:.0f} MiB'


def test_every_row_of_every_page_is_printed(tmp_path):
    run = measure('pci-list', 'json', 3, 1000, tmp_path)
    assert run.code == 0, run.err
    rows = json.loads((tmp_path / 'stdout').read_text())
    assert [row['ID'] for row in rows] == list(range(1, 3001))
