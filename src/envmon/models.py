"""Every ORM table of envmon, imported in one place so the metadata is complete.

Used by the migration environment (autogenerate) and by tests that compare the models with
the migrated schema.
"""

from envmon.accountability import models as accountability_models
from envmon.evaluation import models as evaluation_models
from envmon.ingest import models as ingest_models
from envmon.ledger import models as ledger_models
from envmon.measurements import models as measurements_models
from envmon.quality import models as quality_models
from envmon.registry import models as registry_models
from envmon.storage.base import Base
from envmon.users import models as users_models

__all__ = [
    "Base",
    "accountability_models",
    "evaluation_models",
    "ingest_models",
    "ledger_models",
    "measurements_models",
    "quality_models",
    "registry_models",
    "users_models",
]
