"""Packaging for pciclient: the library, ``pci-cli`` and ``pci-fake-server``."""
import runpy
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
# Read without importing the package (its dependencies are not installed yet).
_commands = runpy.run_path(str(HERE / 'pciclient' / 'commands' / 'registry.py'))


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
    packages=find_packages(exclude=['tests', 'tests.*', 'benchmarks', 'benchmarks.*']),
    # PEP 561: the package's inline type hints are for its users too.
    package_data={'pciclient': ['py.typed']},
    install_requires=_requirements('requirements.txt'),
    extras_require={
        'test': _requirements('test-requirements.txt'),
        'osc': ['python-openstackclient>=6.0'],
    },
    entry_points={
        'console_scripts': [
            'pci-cli = pciclient.main:main',
            'pci-fake-server = pciclient.fakeserver.cli:main',
            'pci-exporter = pciclient.exporter.cli:main',
        ],
        'openstack.cli.extension': [
            'pci = pciclient.osc.plugin',
        ],
        # The same command classes in both apps, from one table.
        **_commands['entry_points'](),
    },
    classifiers=[
        'Environment :: OpenStack',
        'Programming Language :: Python :: 3',
        'License :: OSI Approved :: Apache Software License',
    ],
)
