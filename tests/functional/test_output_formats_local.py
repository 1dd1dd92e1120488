"""Machine formats, table widths and names through the real ``pci-cli --local`` (issue 15)."""
from __future__ import annotations

import csv
import io
import json

from tests.functional.helpers import run_cli


def local(sysfs_root, *args):
    return run_cli('--local', '--local-sysfs-root', str(sysfs_root), *args)


def test_csv_holds_json_text_not_python_reprs(sysfs_root):
    result = local(sysfs_root, 'pci-list', '--long', '-f', 'csv')
    assert result.code == 0, result
    assert "{'" not in result.out and 'None' not in result.out, result.out
    rows = list(csv.DictReader(io.StringIO(result.out), escapechar='\\'))
    pf = next(row for row in rows if row['Address'] == '0000:04:00.0')
    assert json.loads(pf['Extra Info'])['driver'] == 'ixgbe'
    assert json.loads(pf['Servers']) == [] and pf['Instance UUID'] == ''


def test_a_long_table_keeps_max_width(sysfs_root):
    result = local(sysfs_root, 'pci-list', '--long', '--max-width', '100')
    assert result.code == 0, result
    assert max(len(line) for line in result.out.splitlines()) <= 100, result.out


def test_pool_names_are_the_databases_or_lspcis(sysfs_root, tmp_path):
    database = tmp_path / 'pci.ids'
    database.write_text('8086  Intel Corporation\n\t10ed  82599 Ethernet Controller Virtual '
                        'Function\n')
    result = local(sysfs_root, '--pci-ids', str(database), 'pci-pool-list', '--long',
                   '-f', 'json')
    assert (result.code, result.err) == (0, ''), result
    names = {(row['Vendor ID'], row['Product ID']): (row['Vendor Name'], row['Product Name'])
             for row in result.json()}
    assert names[('8086', '10ed')] == ('Intel Corporation',
                                       '82599 Ethernet Controller Virtual Function')
    assert names[('8086', '10fb')] == ('Intel Corporation', 'Device 10fb')
    assert names[('10de', '1eb8')] == ('Vendor 10de', 'Device 1eb8')
