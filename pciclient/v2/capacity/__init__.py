"""Capacity: how many more servers of a flavor fit, on which host, and what stops the next.

The modules stand in a row: ``request`` (what Nova would ask Placement for, as data),
``aliases`` and ``flavor_request`` (a flavor and nova.conf's PCI aliases turned into that
request, as Nova 34's ``ResourceRequest`` does), ``trees`` (a host's providers as read),
``fit`` (how many such requests one tree can hold at once, and what runs out first), and
the manager that reads the cloud once and answers every flavor from it.
"""
