"""The fake cloud's state: PCI functions from sysfs or generated, Nova's device_spec, and the
immutable inventory snapshots requests read.

Imports only itself: every API renders this model, none shapes it.
"""
