"""pciclient's benchmark suite: run on demand with ``python -m benchmarks``, never by pytest.

``benchmarks.suite`` measures ``pci-cli`` against ``openstack`` and ``nova`` on the fake
cloud and the fake server under load; ``benchmarks.load`` is the load generator
(``benchmarks.load.run(url, token, rate, seconds, connections)``), usable on its own.
"""
