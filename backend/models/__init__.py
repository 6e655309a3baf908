"""SQLAlchemy models; importing this package registers every table on ``Base.metadata``."""

from backend.db import Base
from backend.models.accounts import LoginCode, LoginLockout, PortalAccount, PortalApplication
from backend.models.conversations import Conversation, ConversationMessage
from backend.models.email import OutboxEmail

__all__ = [
    "Base",
    "Conversation",
    "ConversationMessage",
    "LoginCode",
    "LoginLockout",
    "OutboxEmail",
    "PortalAccount",
    "PortalApplication",
]
