"""A Keystone v3 subset, the token check in front of the services, and an external Keystone.

Imports ``wsgi`` only: it knows tokens and callers, not what the services serve.
"""
