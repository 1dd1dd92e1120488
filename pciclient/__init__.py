"""pciclient: a client library and CLI for the OpenStack Compute PCI API."""

__version__ = '0.1.0'
