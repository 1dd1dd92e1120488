"""The plumbing every fake service shares: requests, JSON answers, caller context, HTTP servers.

Imports nothing else of the fake cloud, so any service can stand on it.
"""
