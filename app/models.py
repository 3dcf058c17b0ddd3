"""Every domain's ORM models imported in one place, so Alembic and the mappers see the whole schema."""

from app.audit import models as audit_models  # noqa: F401
from app.challenges import models as challenge_models  # noqa: F401
from app.database import Base

metadata = Base.metadata
