"""The maintenance lease: `venvbuild gc --apply` and `venvbuild compact` never run at the same time on a store.

Both move search records between objects; run together, a compaction that read a record before a gc
collected the build writes the record back (a build listed with no archive). Each takes

    <prefix>-metadata/_maintenance/lease.json   {"owner", "command", "started_at", "expires_at"}

create-only before it works and deletes it at the end. A held lease is one error line naming its holder
and age (exit 6). A lease past expires_at was left by a run that died (killed, host lost): the next run
breaks it. Breaking is create-only too: the breaker first creates `break-<hash of the dead lease>.json`,
so of two runs breaking the same lease one wins and the other stops as if the lease were held.
"""

import json
import os
import socket
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from venvbuild.errors import StoreError
from venvbuild.store import layout
from venvbuild.store.base import ObjectExists, ObjectStore

# A compaction or gc of a large store takes minutes, not hours; 6 h leaves a slow run on a big catalog its
# lease, and a dead run's lease blocks the nightly maintenance for one night at most.
LEASE_TTL = timedelta(hours=6)
_STAMP = "%Y-%m-%dT%H:%M:%SZ"


lease_key = layout.lease_key


@contextmanager
def held(store: ObjectStore, command: str, now: datetime | None = None, ttl: timedelta = LEASE_TTL):
    """Hold the store's maintenance lease for the with block; StoreError when another run holds it."""
    now = now or datetime.now(timezone.utc)
    body = (
        json.dumps(
            {
                "owner": f"{socket.gethostname()} pid {os.getpid()}",
                "command": command,
                "started_at": now.strftime(_STAMP),
                "expires_at": (now + ttl).strftime(_STAMP),
            }
        )
        + "\n"
    ).encode()
    broke = take(store, body, now)
    try:
        yield
    finally:
        if store.read(lease_key(store)) == body:
            store.delete(lease_key(store))
        if broke:
            store.delete(broke)


def take(store: ObjectStore, body: bytes, now: datetime) -> str | None:
    """Create the lease holding body; the key of the break marker when an expired lease was broken."""
    key = lease_key(store)
    for _ in range(3):  # a holder releasing between our create and our read: try again
        try:
            store.put_new_bytes(key, body)
            return None
        except ObjectExists:
            pass
        held_by = store.read(key)
        if held_by is None:
            continue
        holder = _parse(held_by)
        if holder is None or holder["expires_at"] > now:
            raise StoreError(_held_message(store, holder, now))
        marker = layout.lease_break_key(store, held_by)
        try:
            store.put_new_bytes(marker, body)
        except ObjectExists:
            raise StoreError(_held_message(store, holder, now) + "; another run is breaking it") from None
        if store.read(key) == held_by:
            store.delete(key)
        try:
            store.put_new_bytes(key, body)
        except ObjectExists:
            store.delete(marker)
            raise StoreError(_held_message(store, _parse(store.read(key) or b""), now)) from None
        return marker
    raise StoreError(f"{store.url(key)}: taken and released repeatedly by other runs; try again")


def _parse(data: bytes) -> dict | None:
    try:
        body = json.loads(data)
        return {**body, "started_at": _time(body["started_at"]), "expires_at": _time(body["expires_at"])}
    except (ValueError, KeyError, TypeError):
        return None


def _time(text) -> datetime:
    return datetime.strptime(str(text), _STAMP).replace(tzinfo=timezone.utc)


def _held_message(store: ObjectStore, holder: dict | None, now: datetime) -> str:
    where = store.url(lease_key(store))
    if holder is None:
        return (
            f"{where}: the maintenance lease is held and unreadable; gc --apply and compact wait for it "
            "(delete it only if no gc or compact is running)"
        )
    age = int((now - holder["started_at"]).total_seconds())
    return (
        f"{where}: a {holder.get('command', '?')} by {holder.get('owner', '?')} holds the maintenance lease "
        f"since {holder['started_at'].strftime(_STAMP)} ({age // 60} min {age % 60} s ago, expires "
        f"{holder['expires_at'].strftime(_STAMP)}); gc --apply and compact do not run at the same time, "
        "try again when it ends"
    )
