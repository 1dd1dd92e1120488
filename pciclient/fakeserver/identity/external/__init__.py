"""``pci-fake-server --keystone-url``: tokens validated at a real Keystone, as
keystonemiddleware does.
"""
