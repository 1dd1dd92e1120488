"""The library's hints in the CLI's words: the options of ``pci-cli`` and ``openstack pci``.

The library names the setting that would fix a failure in its own terms (``Client``
arguments, the session) and says which one it is (:class:`pciclient.exceptions.Hint`).
Both CLIs run the same command classes, whose base (:mod:`pciclient.commands.common`)
words every hinted failure through :data:`CLI_WORDING`, so the two say the same.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pciclient import exceptions
from pciclient.exceptions import Hint, Words, admin_role


def _endpoint_options(args: Mapping[str, Any]) -> str:
    service = str(args.get('service') or 'compute')
    override = '--os-endpoint' if service == 'compute' else f'--os-{service}-endpoint-override'
    return f'check --os-region-name and --os-interface, or give the endpoint with {override}'


def _endpoint_url(args: Mapping[str, Any]) -> str:
    service = str(args.get('service') or 'compute')
    option = '--os-endpoint' if service == 'compute' else f'--os-{service}-endpoint-override'
    return f"{option} {args['url']}"


def _auth_options(args: Mapping[str, Any]) -> str:
    return ', '.join('--os-' + str(name).replace('_', '-') for name in args['options'])


#: Every hint as the options (and environment variables) that set it.
CLI_WORDING: dict[Hint, Words] = {
    Hint.PCI_SOURCE_PLACEMENT: '--pci-source placement',
    Hint.PLACEMENT_ENDPOINT: '--os-placement-endpoint-override URL',
    Hint.ENDPOINT: _endpoint_options,
    Hint.TIMEOUT: '--timeout',
    Hint.CA_CERTIFICATE: (" Pass --os-cacert with the CA that signed the cloud's certificate "
                          '(or --insecure to skip verification).'),
    Hint.CREDENTIALS: (': set --os-cloud, or OS_AUTH_URL and credentials, '
                       'or --os-auth-type none with --os-endpoint'),
    Hint.AUTH_OPTIONS: _auth_options,
    Hint.PROJECT_SCOPE: ('--os-project-name with --os-project-domain-name, or --os-project-id '
                         '(OS_PROJECT_NAME, OS_PROJECT_DOMAIN_NAME, OS_PROJECT_ID)'),
    Hint.URLS: '--os-endpoint, --os-auth-url',
    Hint.HEADER_VALUE: '--os-token',
    Hint.PLACEMENT_API_VERSION: lambda args: f"--os-placement-api-version {args['version']}",
    Hint.AUTH_URL: '--os-auth-url, OS_AUTH_URL',
    Hint.ALL_PROJECTS: '--all-projects',
    Hint.ENDPOINT_URL: _endpoint_url,
    Hint.ADMIN_ROLE: admin_role('a member-visible command (server-list, server-show)',
                                '--all-projects'),
}


def cli_message(error: exceptions.ClientException) -> str:
    """The one line the CLI shows for ``error``: its message, the fix named as options."""
    return error.line(CLI_WORDING)


class CliError(exceptions.ClientException):
    """A library failure as the CLI tells it; the library's exception is ``error`` (and
    this one's ``__cause__``, which ``--debug`` shows)."""

    def __init__(self, error: exceptions.ClientException) -> None:
        super().__init__(cli_message(error))
        self.error = error


def in_cli_terms(error: exceptions.ClientException) -> exceptions.ClientException:
    """``error`` itself when it names no setting, else the same failure in CLI words."""
    return error if error.hint is None else CliError(error)
