"""A whole fake cloud described in one YAML file: users, projects, hosts, servers.

Builds the model and the identity's accounts from the file; serves nothing itself.
"""
