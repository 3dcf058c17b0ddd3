"""Every domain's ORM models imported in one place, so Alembic and the mappers see the whole schema."""

from app.accounts import models as account_models  # noqa: F401
from app.accounts.reminders import models as reminder_models  # noqa: F401
from app.admin.two_factor_reset import models as two_factor_reset_models  # noqa: F401
from app.audit import models as audit_models  # noqa: F401
from app.challenges import models as challenge_models  # noqa: F401
from app.challenges.areas import models as coordinator_area_models  # noqa: F401
from app.challenges.events import models as market_event_models  # noqa: F401
from app.challenges.regions import models as challenge_region_models  # noqa: F401
from app.challenges.subscriptions import models as subscription_models  # noqa: F401
from app.database import Base
from app.evaluations import models as evaluation_models  # noqa: F401
from app.evaluations.blind import models as blind_models  # noqa: F401
from app.evaluations.deadlines import models as deadline_models  # noqa: F401
from app.evaluations.followup import models as followup_models  # noqa: F401
from app.notifications import models as notification_models  # noqa: F401
from app.notifications.reminders import models as sent_notice_models  # noqa: F401
from app.organisations import models as organisation_models  # noqa: F401
from app.organisations.regions import models as region_models  # noqa: F401
from app.pagecache import models as pagecache_models  # noqa: F401
from app.proposals import models as proposal_models  # noqa: F401
from app.proposals.propositions import models as proposition_models  # noqa: F401
from app.public.statements import models as statement_models  # noqa: F401
from app.questions import models as question_models  # noqa: F401

metadata = Base.metadata
