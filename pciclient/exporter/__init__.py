"""``pci-exporter``: the PCI devices, holders and per-flavor capacity of a cloud for
Prometheus (see the README, "Prometheus exporter").

The only part of pciclient that imports prometheus-client; nothing else imports this
package (``lint-imports`` checks both).
"""
