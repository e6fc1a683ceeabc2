"""Every table of every domain package, registered on ``SQLModel.metadata`` (Alembic, tests)."""
from data_access.analytics.models import *  # noqa: F401,F403
from data_access.assistance.models import *  # noqa: F401,F403
from data_access.core.models import *  # noqa: F401,F403
from data_access.fieldwork.models import *  # noqa: F401,F403
from data_access.org.models import *  # noqa: F401,F403
from data_access.programme.models import *  # noqa: F401,F403
from data_access.staffing.models import *  # noqa: F401,F403
