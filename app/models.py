"""Every domain's ORM models imported in one place, so Alembic and the mappers see the whole schema."""

from app.accounts import models as account_models  # noqa: F401
from app.audit import models as audit_models  # noqa: F401
from app.challenges import models as challenge_models  # noqa: F401
from app.challenges.regions import models as challenge_region_models  # noqa: F401
from app.database import Base
from app.evaluations import models as evaluation_models  # noqa: F401
from app.evaluations.blind import models as blind_models  # noqa: F401
from app.notifications import models as notification_models  # noqa: F401
from app.organisations import models as organisation_models  # noqa: F401
from app.organisations.regions import models as region_models  # noqa: F401
from app.pagecache import models as pagecache_models  # noqa: F401
from app.proposals import models as proposal_models  # noqa: F401
from app.proposals.propositions import models as proposition_models  # noqa: F401
from app.questions import models as question_models  # noqa: F401

metadata = Base.metadata
