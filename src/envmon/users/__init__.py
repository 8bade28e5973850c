"""Users, roles, region scopes and login tokens.

Passwords are hashed with Argon2id (argon2-cffi); login tokens are random 256-bit strings of
which only the SHA-256 is stored. A user's role and region (and enterprise or agency) decide
what registry records they may see, through :class:`envmon.registry.scope.Scope`.
"""

from envmon.users.models import ApiToken, Role, User

__all__ = ["ApiToken", "Role", "User"]
