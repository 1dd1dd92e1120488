"""A read-only fake Compute API serving PCI devices read from a sysfs tree (``pci-fake-server``)."""
