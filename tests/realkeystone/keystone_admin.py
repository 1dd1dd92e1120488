"""Set up a real Keystone through its own API, as an operator would: projects, users, roles,
regions, services, endpoints and application credentials.

Plain ``requests`` calls (no client library between the tests and Keystone), never
through a proxy; each call fails with Keystone's answer in the message.
"""
from __future__ import annotations

from typing import Any

import requests

__all__ = ['KeystoneAdmin', 'application_credential_token', 'create_application_credential',
           'password_token']


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # 127.0.0.1 only, never through a proxy
    return session


def _check(response: requests.Response, expected: int) -> requests.Response:
    if response.status_code != expected:
        raise AssertionError(f'{response.request.method} {response.url} answered '
                             f'{response.status_code}, not {expected}: {response.text[:500]}')
    return response


def password_token(url: str, user: str, password: str, project: str | None = 'admin',
                   project_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """A token (and its document) for ``user``, scoped to a project by name or id."""
    domain = {'id': 'default'}
    auth: dict[str, Any] = {'identity': {'methods': ['password'], 'password': {
        'user': {'name': user, 'domain': domain, 'password': password}}}}
    if project_id:
        auth['scope'] = {'project': {'id': project_id}}
    elif project:
        auth['scope'] = {'project': {'name': project, 'domain': domain}}
    with _session() as session:
        response = _check(session.post(f'{url}/auth/tokens', json={'auth': auth}, timeout=30), 201)
    return response.headers['X-Subject-Token'], response.json()['token']


class KeystoneAdmin:
    """Keystone's admin API with the bootstrap admin's token (``url`` ends in ``/v3``)."""

    def __init__(self, url: str, password: str) -> None:
        self.url = url
        self.token, document = password_token(url, 'admin', password)
        self.user_id: str = document['user']['id']
        self.project_id: str = document['project']['id']
        self.session = _session()
        self.session.headers['X-Auth-Token'] = self.token

    def close(self) -> None:
        self.session.close()

    def _post(self, path: str, body: dict[str, Any], expected: int = 201) -> dict[str, Any]:
        return _check(self.session.post(self.url + path, json=body, timeout=30), expected).json()

    def role_id(self, name: str) -> str:
        response = _check(self.session.get(f'{self.url}/roles', params={'name': name},
                                           timeout=30), 200)
        [role] = response.json()['roles']
        return str(role['id'])

    def create_project(self, name: str) -> str:
        return str(self._post('/projects', {'project': {
            'name': name, 'domain_id': 'default'}})['project']['id'])

    def create_user(self, name: str, password: str, project_id: str, role: str) -> str:
        user = self._post('/users', {'user': {
            'name': name, 'password': password, 'domain_id': 'default',
            'default_project_id': project_id}})['user']
        path = f'{self.url}/projects/{project_id}/users/{user["id"]}/roles/{self.role_id(role)}'
        _check(self.session.put(path, timeout=30), 204)
        return str(user['id'])

    def create_region(self, region_id: str) -> None:
        self._post('/regions', {'region': {'id': region_id}})

    def create_service(self, service_type: str, name: str) -> str:
        return str(self._post('/services', {'service': {
            'type': service_type, 'name': name, 'enabled': True}})['service']['id'])

    def create_endpoint(self, service_id: str, region: str, interface: str, url: str) -> None:
        self._post('/endpoints', {'endpoint': {
            'service_id': service_id, 'region_id': region, 'interface': interface,
            'url': url, 'enabled': True}})

    def revoke(self, token: str) -> None:
        _check(self.session.delete(f'{self.url}/auth/tokens', headers={
            'X-Subject-Token': token}, timeout=30), 204)

    def token_is_valid(self, token: str) -> bool:
        response = self.session.get(f'{self.url}/auth/tokens', headers={
            'X-Subject-Token': token}, timeout=30)
        return response.status_code == 200


def create_application_credential(url: str, user_token: str, user_id: str, name: str,
                                  expires_at: str | None = None) -> tuple[str, str]:
    """(id, secret) of a new application credential of the token's user, for its project."""
    body: dict[str, Any] = {'name': name}
    if expires_at:
        body['expires_at'] = expires_at
    with _session() as session:
        response = _check(session.post(
            f'{url}/users/{user_id}/application_credentials',
            json={'application_credential': body}, headers={'X-Auth-Token': user_token},
            timeout=30), 201)
    credential = response.json()['application_credential']
    return str(credential['id']), str(credential['secret'])


def application_credential_token(url: str, credential_id: str,
                                 secret: str) -> tuple[str, dict[str, Any]]:
    """A token issued for an application credential (scoped to its project)."""
    auth = {'identity': {'methods': ['application_credential'], 'application_credential': {
        'id': credential_id, 'secret': secret}}}
    with _session() as session:
        response = _check(session.post(f'{url}/auth/tokens', json={'auth': auth}, timeout=30),
                          201)
    return response.headers['X-Subject-Token'], response.json()['token']
