"""The fake Placement API, as Nova reports PCI devices to it, over the model.

Imports ``model`` and ``wsgi`` only: never compute or identity.
"""
