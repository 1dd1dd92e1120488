"""What the compute auth middleware needs from an identity service: token in, caller out.

Two identities can stand behind the compute API: the built-in Keystone subset
(its :class:`~pciclient.fakeserver.identity.tokens.TokenStore`, adapted here by
:class:`LocalTokens`) and an external Keystone (``keystone_validator.py``).
Both answer with the same :class:`RequestContext`, so ``policy.py`` stays the
one place deciding what a caller may see, whoever vouched for the token.
"""
from __future__ import annotations

from typing import Protocol

from pciclient.fakeserver.identity.tokens import TokenStore
from pciclient.fakeserver.wsgi.context import RequestContext

__all__ = ['IdentityUnavailable', 'LocalTokens', 'TokenValidator']


class IdentityUnavailable(Exception):
    """The identity service could not say whether a token is valid (down, slow, misconfigured).

    The message is shown to API clients in a 503 body, so it says what failed
    (never a secret) and that the compute API itself is fine.
    """


class TokenValidator(Protocol):
    """Turns an ``X-Auth-Token`` into the caller's context."""

    def validate(self, token_id: str) -> RequestContext | None:
        """The caller, or None for a token that is unknown, expired, revoked or unusable.

        Raises :class:`IdentityUnavailable` when that cannot be decided now.
        """


class LocalTokens:
    """The built-in identity's tokens as a :class:`TokenValidator` (never unavailable)."""

    def __init__(self, tokens: TokenStore) -> None:
        self.tokens = tokens

    def validate(self, token_id: str) -> RequestContext | None:
        token = self.tokens.get(token_id)
        if token is None:
            return None
        return RequestContext(user_id=token.user.id, project_id=token.project.id,
                              roles=token.roles)
