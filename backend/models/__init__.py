"""SQLAlchemy models; importing this package registers every table on ``Base.metadata``."""

from backend.db import Base
from backend.models.accounts import LoginCode, LoginLockout, PortalAccount, PortalApplication
from backend.models.analytics import AnalyticsDaily
from backend.models.contributions import (
    Contribution,
    ContributionLine,
    ContributionUpload,
    FclbNotice,
    Payment,
    PaymentEvent,
    PaymentItem,
    Receipt,
)
from backend.models.conversations import Conversation, ConversationMessage
from backend.models.email import OutboxEmail
from backend.models.insight import AnalyticsConversationDay, AnalyticsFlowRun, AnalyticsSender
from backend.models.registration import (
    Employee,
    Employer,
    RegistrationDocument,
    RegistrationLetter,
)
from backend.models.reminders import ReminderSent, ReminderSubscription, TelegramCallback
from backend.models.staff import (
    AssistedSession,
    CallbackRequest,
    HandoffTicket,
    StaffAudit,
    StaffUser,
)

__all__ = [
    "AnalyticsConversationDay",
    "AnalyticsDaily",
    "AnalyticsFlowRun",
    "AnalyticsSender",
    "AssistedSession",
    "Base",
    "CallbackRequest",
    "Contribution",
    "ContributionLine",
    "Conversation",
    "ConversationMessage",
    "Employee",
    "Employer",
    "HandoffTicket",
    "LoginCode",
    "LoginLockout",
    "OutboxEmail",
    "Payment",
    "PaymentEvent",
    "PaymentItem",
    "PortalAccount",
    "PortalApplication",
    "Receipt",
    "FclbNotice",
    "ContributionUpload",
    "RegistrationDocument",
    "RegistrationLetter",
    "ReminderSent",
    "ReminderSubscription",
    "StaffAudit",
    "StaffUser",
    "TelegramCallback",
]
