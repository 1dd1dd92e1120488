"""The ``openstack`` CLI plugin (python-openstackclient loads :mod:`pciclient.osc.plugin`)."""
