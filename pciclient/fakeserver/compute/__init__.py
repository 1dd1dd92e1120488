"""The fake Compute API (Nova's ``os-pci``, hypervisors, servers) over the model.

Imports ``model`` and ``wsgi`` only: never Placement or identity.
"""
