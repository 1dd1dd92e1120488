"""Packaging for pciclient: the library, ``pci-cli`` and ``pci-fake-server``."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def _requirements(name: str) -> list[str]:
    lines = (HERE / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith('#')]


setup(
    name='pciclient',
    version='0.1.0',
    description='Client, CLI and fake server for the OpenStack Compute PCI API',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.11',
    packages=find_packages(exclude=['tests', 'tests.*']),
    install_requires=_requirements('requirements.txt'),
    extras_require={
        'test': _requirements('test-requirements.txt'),
        'osc': ['python-openstackclient>=6.0'],
    },
    entry_points={
        'console_scripts': [
            'pci-cli = pciclient.shell:main',
            'pci-fake-server = pciclient.fakeserver.cli:main',
        ],
        'pci.cli': [
            'pci-list = pciclient.commands.pci_device:ListPciDevice',
            'pci-show = pciclient.commands.pci_device:ShowPciDevice',
            'pci-pool-list = pciclient.commands.pci_pool:ListPciPool',
            'hypervisor-list = pciclient.commands.hypervisor:ListHypervisor',
            'hypervisor-show = pciclient.commands.hypervisor:ShowHypervisor',
            'server-list = pciclient.commands.server:ListServer',
            'server-show = pciclient.commands.server:ShowServer',
        ],
        'openstack.cli.extension': [
            'pci = pciclient.osc.plugin',
        ],
        # The same command classes as pci-cli's, under OSC's spelling.
        'openstack.pci.v2': [
            'pci_device_list = pciclient.commands.pci_device:ListPciDevice',
            'pci_device_show = pciclient.commands.pci_device:ShowPciDevice',
            'pci_pool_list = pciclient.commands.pci_pool:ListPciPool',
            'pci_hypervisor_list = pciclient.commands.hypervisor:ListHypervisor',
            'pci_hypervisor_show = pciclient.commands.hypervisor:ShowHypervisor',
            'pci_server_list = pciclient.commands.server:ListServer',
            'pci_server_show = pciclient.commands.server:ShowServer',
        ],
    },
    classifiers=[
        'Environment :: OpenStack',
        'Programming Language :: Python :: 3',
        'License :: OSI Approved :: Apache Software License',
    ],
)
