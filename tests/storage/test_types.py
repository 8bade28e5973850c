from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envmon.ingest.models import RawFile
from envmon.ingest.service import keep_raw_file
from envmon.storage.types import UTCDateTime


@pytest.mark.db
def test_times_come_back_as_the_same_utc_instant(session: Session) -> None:
    beijing = datetime(2016, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    keep_raw_file(
        session=session,
        name="t",
        content=b"",
        media_type="text/plain",
        source="t",
        actor="t",
        now=beijing,
    )
    session.expire_all()
    stored = session.scalars(select(RawFile.received_at)).one()
    assert (
        stored == beijing
        and stored.tzinfo is not None
        and stored.utcoffset() == timedelta(0)
    )


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="needs a timezone-aware datetime"):
        UTCDateTime().process_bind_param(datetime(2016, 3, 1), dialect=None)  # type: ignore[arg-type]
