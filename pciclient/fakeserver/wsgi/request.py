"""Turn a WSGI environ into the few facts the fake API looks at."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from pciclient.fakeserver.wsgi.context import NOAUTH, RequestContext, context_from_environ

__all__ = ['Request', 'new_request_id']

_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def new_request_id() -> str:
    """Nova's request-id format, so clients' log correlation code has something real to chew."""
    return f'req-{uuid.uuid4()}'


def _decode(wsgi_text: str) -> str:
    """PEP 3333 hands paths over as latin-1 code points of the raw bytes."""
    return wsgi_text.encode('latin-1', 'replace').decode('utf-8', 'replace')


def _host_url(environ: dict[str, Any]) -> str:
    """Links must point back at whatever address the client used to reach us."""
    scheme = environ.get('wsgi.url_scheme', 'http')
    host = environ.get('HTTP_HOST')
    if not host:
        host = environ.get('SERVER_NAME', '127.0.0.1')
        port = str(environ.get('SERVER_PORT', ''))
        if port and (scheme, port) not in (('http', '80'), ('https', '443')):
            host = f'{host}:{port}'
    return f'{scheme}://{host}'


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    script_name: str
    query: tuple[tuple[str, str], ...]
    host_url: str
    request_id: str = field(default_factory=new_request_id)
    # Who is asking (see context.py); without auth middleware, the no-auth admin.
    context: RequestContext = NOAUTH

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        query = parse_qsl(environ.get('QUERY_STRING', ''), keep_blank_values=True)
        return cls(
            method=str(environ.get('REQUEST_METHOD', 'GET')).upper(),
            path=_decode(environ.get('PATH_INFO', '')),
            script_name=_decode(environ.get('SCRIPT_NAME', '')),
            query=tuple(query),
            host_url=_host_url(environ),
            context=context_from_environ(environ),
        )

    def url_for(self, path: str) -> str:
        """Absolute URL for a path of this application, as the client addressed it."""
        return self.host_url + quote(self.script_name + path, safe=_PATH_SAFE)

    @property
    def url(self) -> str:
        """This request's URL without its query string."""
        return self.url_for(self.path)

    def values(self, *names: str) -> list[str]:
        """Every value given for any of ``names`` (repeats mean OR)."""
        return [value for key, value in self.query if key in names]

    def has(self, *names: str) -> bool:
        return any(key in names for key, _ in self.query)
