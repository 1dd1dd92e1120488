"""The fake cloud's Neutron subset: SR-IOV ports bound to the scenario's physnet VFs and PFs."""
