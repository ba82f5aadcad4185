"""Updates that cannot be handled for a reason of their own, kept instead of retried.

A channel records one here and then confirms it to the platform, so that one bad
update never holds back the ones behind it; the row is what an operator looks at.
"""

from __future__ import annotations

import logging

from bot.services.chats import insert_for
from bot.storage import Database
from bot.storage.errors import Outage, is_transient
from bot.storage.models import FailedUpdate, utcnow

log = logging.getLogger("crewbot.updates")
RAW_LIMIT = 64 * 1024


async def record(db: Database, channel: str, update_id: str, error: str, raw: str) -> None:
    """Store the failure once (a redelivery of the same update adds nothing).

    Raises what the database raises: a caller that cannot record the failure must not
    confirm the update either.
    """
    log.warning("update failed channel=%s update_id=%s error=%s", channel, update_id,
                error[:300])
    async with db.session() as session:
        values = dict(channel=channel, update_id=update_id[:128], error=error[:512],
                      raw=raw[:RAW_LIMIT], created_at=utcnow())
        await session.execute(insert_for(session)(FailedUpdate).values(**values)
                              .on_conflict_do_nothing())


async def set_aside(db: Database, outage: Outage, channel: str, update_id: str,
                    error: BaseException, raw: str) -> bool:
    """What a channel does with an update that failed: True when it is done with (stored
    as failed, or nothing to store), False when it must come again (storage is down).

    One place for Telegram and Zalo alike, so both tell an outage from a bad update the
    same way: an outage is never recorded as the update's fault.
    """
    if is_transient(error):
        outage.failed(error, channel)
        return False
    try:
        await record(db, channel, update_id, f"{type(error).__name__}: {error}", raw)
    except Exception as record_error:
        if is_transient(record_error):
            outage.failed(record_error, channel)
        else:
            log.exception("failed update not recorded channel=%s update_id=%s", channel,
                          update_id)
        return False
    return True
