"""What an operator would run instead of pci-cli: ``openstack`` with ``osc-placement``.

One listing of the PCI providers, then per-provider inventory and usage calls on a sample
of them, extrapolated to every provider (one process per call, as a shell loop runs them):
running them all would take hours at cloud scale, and each call costs about the same.
"""
from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from benchmarks.placement_population import Population
from benchmarks.placement_runs import Measured, json_list, nonempty_list, run_counted, say, tool_env
from benchmarks.placement_service import AccessLog

OSC_REQUIREMENTS = ['python-openstackclient==10.5.0', 'osc-placement==4.9.1']
OSC_MICROVERSION = '1.18'     # --required on resource provider list


@dataclass
class OscResult:
    listing: Measured
    per_provider: dict[str, Measured]      # label -> runs over the sampled providers
    sampled: int
    providers: int                         # PCI providers in the cloud
    error: str | None = None

    def extrapolated(self) -> tuple[float, float]:
        """(requests, wall s) for the listing plus every call on every PCI provider."""
        requests = float(self.listing.requests() or 0)
        wall = self.listing.wall()
        for measured in self.per_provider.values():
            requests += statistics.mean(r.requests for r in measured.runs) * self.providers
            wall += statistics.mean(r.sample.wall for r in measured.runs) * self.providers
        return requests, wall


def measure_openstack(pop: Population, url: str, access: AccessLog, sample: int,
                      work: Path) -> OscResult | None:
    from tests.realservices.venvs import VenvError, ensure_venv

    say(f'   openstack + osc-placement venv ({", ".join(OSC_REQUIREMENTS)}) …')
    try:
        venv = ensure_venv('osc-placement', OSC_REQUIREMENTS)
    except (VenvError, OSError) as exc:
        say(f'   skipped: {exc}')
        return None
    env = tool_env(work / 'home-osc', venv / 'bin')
    base = [str(venv / 'bin' / 'openstack'), '--os-auth-type', 'admin_token',
            '--os-token', 'admin', '--os-endpoint', url,
            '--os-placement-api-version', OSC_MICROVERSION]
    listing = Measured('openstack resource provider list --required '
                       'COMPUTE_MANAGED_PCI_DEVICE -f json', 'openstack')
    providers: list[dict] = []
    for _ in range(3):
        argv = [*base, 'resource', 'provider', 'list', '--required',
                'COMPUTE_MANAGED_PCI_DEVICE', '-f', 'json']
        try:
            listing.runs.append(run_counted(argv, access, env, work,
                                            json_list(pop.pci_providers), timeout=600))
        except (RuntimeError, OSError) as exc:
            listing.error = str(exc)
            say(f'   openstack resource provider list: FAILED ({exc})')
            return OscResult(listing, {}, 0, pop.pci_providers, error=str(exc))
        providers = json.loads((work / 'stdout').read_bytes())
    say(f'   openstack resource provider list: {listing.requests()} requests, '
         f'{listing.wall():.1f} s')
    step = max(1, len(providers) // sample)
    chosen = [p['uuid'] for p in providers[::step]][:sample]
    calls = {
        'openstack resource provider inventory list UUID -f json':
            ['resource', 'provider', 'inventory', 'list'],
        'openstack resource provider usage show UUID -f json':
            ['resource', 'provider', 'usage', 'show'],
    }
    per_provider = {label: Measured(label, 'openstack') for label in calls}
    for provider in chosen:
        for label, args in calls.items():
            measured = per_provider[label]
            if measured.error:
                continue
            try:
                measured.runs.append(run_counted([*base, *args, provider, '-f', 'json'],
                                                 access, env, work, nonempty_list,
                                                 timeout=120))
            except (RuntimeError, OSError) as exc:
                measured.error = str(exc)
                say(f'   {label}: FAILED ({exc})')
    for label, measured in per_provider.items():
        if measured.ok:
            say(f'   {label}: {statistics.mean(r.sample.wall for r in measured.runs):.2f} s '
                 f'and {statistics.mean(r.requests for r in measured.runs):.1f} requests each '
                 f'over {len(measured.runs)} providers')
    return OscResult(listing, per_provider, len(chosen), pop.pci_providers)
