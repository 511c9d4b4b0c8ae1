"""What cached pages are still current: the shared invalidation state.

One small record, shared by every web process (a file on one machine, the
cache backend across machines):

- `stamp` grows on every invalidation; a page remembers the stamp it was
  rendered under (read before rendering, so a render racing a commit is
  older than the invalidation that follows the commit);
- `keys` maps each surrogate key (newsroom/surrogate.py) to the stamp of its
  last invalidation: a page is current while none of its keys was
  invalidated after it was rendered;
- `floor`: pages rendered before it are stale whatever their keys (a purge
  of everything, or keys forgotten when the map grew too long);
- `valid_until`: the time of the next scheduled publication. When the clock
  passes it, the process that notices invalidates the keys of the briefs
  whose time came (articles/invalidation.py), with no cron job;
- `checked_at`: up to when scheduled publications were handled.

What is scheduled and what went live is the content app's to say: it
registers both when it is ready (`register_schedule`, articles/signals.py),
and the CDN purge listens for the keys that went live (`on_went_live`,
newsroom/apps.py), so this module imports neither.

Telling pages needs no database. If it does not answer, an invalidation
still happens, current for only UNREACHABLE_SECONDS, after which the
database is asked again; a state that expires while the database is down
keeps its pages a while longer, since nothing could be rendered instead.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError

from newsroom.surrogate import SITE

logger = logging.getLogger(__name__)

# Seconds a state made without the database stays current.
UNREACHABLE_SECONDS = 30
# Keys remembered; past it the oldest half is forgotten and the floor
# raised to their newest stamp (pages older than that re-render once).
MAX_KEYS = 20_000


@dataclass(frozen=True, slots=True)
class Version:
    stamp: int  # grows on every invalidation
    valid_until: float  # epoch seconds of the next scheduled publication, or inf
    floor: int = 0
    checked_at: float = 0.0
    keys: dict = field(default_factory=dict, compare=False)

    def current(self, now: float) -> bool:
        return now < self.valid_until

    def fresh(self, stamp: int, keys: Iterable[str]) -> bool:
        """Whether a page rendered under `stamp` showing `keys` is current."""
        if stamp < self.floor:
            return False
        last = self.keys.get
        return all(last(key, 0) <= stamp for key in keys)

    def to_json(self) -> str:
        return json.dumps(
            [self.stamp, self.valid_until, self.floor, self.checked_at, self.keys]
        )

    @classmethod
    def from_json(cls, text: str) -> Version:
        stamp, valid_until, floor, checked_at, keys = json.loads(text)
        return cls(int(stamp), float(valid_until), int(floor), checked_at, keys)


def _next_stamp(old: Version | None) -> int:
    return max(time.time_ns(), (old.stamp + 1) if old else 0)


def _changed(
    old: Version | None,
    *,
    valid_until: float,
    keys: Iterable[str] = (),
    everything: bool = False,
    stamp: int | None = None,
    checked_at: float | None = None,
) -> Version:
    if old is None:
        # No state (a new or lost file): nothing says which pages are current.
        old, everything = Version(0, valid_until, checked_at=time.time()), True
    new_stamp = stamp if stamp is not None else _next_stamp(old)
    floor, key_map = old.floor, old.keys
    if everything:
        floor, key_map = new_stamp, {}
    elif keys:
        key_map = {**key_map, **dict.fromkeys(keys, new_stamp)}
        if len(key_map) > MAX_KEYS:
            ordered = sorted(key_map.items(), key=lambda item: item[1])
            dropped = ordered[: len(ordered) // 2]
            floor = max(floor, dropped[-1][1])
            key_map = dict(ordered[len(ordered) // 2 :])
    return Version(
        new_stamp,
        valid_until,
        floor,
        old.checked_at if checked_at is None else checked_at,
        key_map,
    )


class FileVersionStore:
    """The state in a file: one stat() per request to check it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        # stat() given a str: a Path is converted again on every call, a
        # fifth of a cache hit's check.
        self._name = os.fspath(self.path)
        self._lock = threading.Lock()
        self._seen: tuple[int, Version] | None = None

    def read(self) -> Version | None:
        try:
            mtime = os.stat(self._name).st_mtime_ns
        except FileNotFoundError:
            return None
        seen = self._seen
        if seen is not None and seen[0] == mtime:
            return seen[1]
        try:
            version = Version.from_json(self.path.read_text())
        except (OSError, ValueError, TypeError):
            return None
        self._seen = (mtime, version)
        return version

    def update(self, change: Callable[[Version | None], Version]) -> Version:
        """Read, change and write under a lock other processes respect too."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                self._seen = None
                version = change(self.read())
                tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(version.to_json())
                os.replace(tmp, self.path)
                # Two writes inside one mtime tick must still look different.
                stat = os.stat(self.path)
                os.utime(
                    self.path,
                    ns=(stat.st_atime_ns, max(stat.st_mtime_ns, version.stamp)),
                )
                return version
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def write(self, valid_until: float, stamp: int | None = None) -> Version:
        """A new stamp invalidating everything, or `stamp` kept as it was."""
        return self.update(
            lambda old: _changed(
                old, valid_until=valid_until, everything=stamp is None, stamp=stamp
            )
        )


class CacheVersionStore:
    """The state in Django's cache, for several machines (Redis).

    Two values: the small head (stamp, valid_until, floor, checked_at), read
    on every request, and the key map, read only when the head's stamp
    changed. Writers take a lock made with cache.add().
    """

    head_key = "newsroom:content-version"
    keys_key = "newsroom:content-version-keys"
    lock_key = "newsroom:content-version-lock"

    def __init__(self):
        self._seen: Version | None = None

    def read(self) -> Version | None:
        head = cache.get(self.head_key)
        if not head:
            return None
        seen = self._seen
        if seen is not None and seen.stamp == head[0] and seen.floor == head[2]:
            if (seen.valid_until, seen.checked_at) == (head[1], head[3]):
                return seen
            version = replace(seen, valid_until=head[1], checked_at=head[3])
        else:
            keys = cache.get(self.keys_key) or {}
            version = Version(*head, keys=keys)
        self._seen = version
        return version

    def update(self, change: Callable[[Version | None], Version]) -> Version:
        deadline = time.monotonic() + 5
        while not cache.add(self.lock_key, os.getpid(), 10):
            if time.monotonic() > deadline:
                logger.warning("Content version lock not released; writing anyway")
                break
            time.sleep(0.01)
        try:
            self._seen = None
            version = change(self.read())
            # The map first: a reader that sees the new head finds its keys.
            cache.set(self.keys_key, version.keys, None)
            head = (version.stamp, version.valid_until, version.floor)
            cache.set(self.head_key, (*head, version.checked_at), None)
            return version
        finally:
            cache.delete(self.lock_key)

    def write(self, valid_until: float, stamp: int | None = None) -> Version:
        return self.update(
            lambda old: _changed(
                old, valid_until=valid_until, everything=stamp is None, stamp=stamp
            )
        )


_stores: dict[tuple, FileVersionStore | CacheVersionStore] = {}


def version_store():
    # One store per setting (tests change it), kept so the file store's
    # memory of the last mtime spares a read: a request asks several times.
    mode = getattr(settings, "PAGE_CACHE_VERSION", "file")
    key = (mode, None if mode == "cache" else str(settings.PAGE_CACHE_VERSION_FILE))
    store = _stores.get(key)
    if store is None:
        if len(_stores) > 16:
            _stores.clear()
        store = CacheVersionStore() if mode == "cache" else FileVersionStore(key[1])
        store = _stores.setdefault(key, store)
    return store


# What the content app registered (register_schedule): the epoch time of
# its next scheduled publication (inf for none), and the keys of what went
# live in a span of time. Until then nothing is ever scheduled.
_schedule: dict[str, Callable] = {
    "next_publication": lambda: float("inf"),
    "went_live": lambda since, until: set(),
}
# Told the keys of what went live, after the state has moved on.
_went_live_listeners: list[Callable[[set[str]], None]] = []


def register_schedule(
    *,
    next_publication: Callable[[], float],
    went_live: Callable[[float, float], set[str]],
) -> None:
    _schedule.update(next_publication=next_publication, went_live=went_live)


def on_went_live(listener: Callable[[set[str]], None]) -> None:
    if listener not in _went_live_listeners:
        _went_live_listeners.append(listener)


def next_scheduled_publication() -> float:
    """Epoch time of the earliest brief scheduled for the future, or inf."""
    return _schedule["next_publication"]()


def _valid_until() -> float | None:
    """When the state to write expires; None if the database did not answer."""
    try:
        return next_scheduled_publication()
    except DatabaseError:
        logger.warning(
            "Content version written without the database; it is asked again in %d s",
            UNREACHABLE_SECONDS,
            exc_info=True,
        )
        return None


def invalidate(keys: Iterable[str], store=None) -> Version:
    """Mark the pages showing any of `keys` stale. Call after the commit."""
    keys = frozenset(keys)
    valid_until = _valid_until()
    if valid_until is None:
        valid_until = time.time() + UNREACHABLE_SECONDS
    store = store or version_store()

    def change(old):
        now = time.time()
        if old is not None and not old.current(now):
            # A scheduled time passed and nobody handled it yet: keep it due,
            # so current_version() still finds the briefs that went live.
            return _changed(
                old,
                valid_until=old.valid_until,
                keys=keys,
                everything=_everything(keys),
            )
        return _changed(
            old,
            valid_until=valid_until,
            keys=keys,
            everything=_everything(keys),
            checked_at=now,
        )

    return store.update(change)


def reschedule(store=None) -> Version | None:
    """Follow a brief scheduled (or unscheduled) for later: nothing is stale
    yet, but its time must be noticed."""
    valid_until = _valid_until()
    if valid_until is None:
        return None
    store = store or version_store()

    def change(old):
        if old is None:
            return _changed(old, valid_until=valid_until, everything=True)
        if not old.current(time.time()):
            return old
        return replace(old, valid_until=valid_until)

    return store.update(change)


def _everything(keys: frozenset[str]) -> bool:
    return SITE in keys


def bump() -> Version:
    """Mark every cached page stale. Call after the change has committed."""
    return invalidate({SITE})


def current_version(store=None) -> Version:
    """The shared state, renewed if it has expired or was never written.

    When a scheduled brief's time has come, the keys of the briefs that went
    live are invalidated here, by whichever process notices first, and sent
    to any CDN (newsroom/purge/).
    """
    store = store or version_store()
    version = store.read()
    now = time.time()
    if version is not None and version.current(now):
        return version
    valid_until = _valid_until()
    if valid_until is None:
        # Still away: nothing could be rendered instead of the pages readers
        # have, so they stay (same stamp) until it is asked again.
        return store.update(
            lambda old: _changed(
                old,
                valid_until=time.time() + UNREACHABLE_SECONDS,
                stamp=old.stamp if old is not None else None,
            )
        )
    if version is None:
        version = store.update(
            lambda old: old or _changed(old, valid_until=valid_until)
        )
        if version.current(now):
            return version
    return _publish_due(store, version.checked_at, now, valid_until)


def _publish_due(store, since: float, until: float, valid_until: float) -> Version:
    try:
        keys = _schedule["went_live"](since, until)
    except DatabaseError:
        logger.warning("Scheduled briefs not read; every page is refreshed")
        keys = None

    def change(old):
        if old is not None and old.checked_at >= until:
            return old  # another process did it meanwhile
        return _changed(
            old,
            valid_until=valid_until,
            keys=keys or (),
            everything=keys is None,
            checked_at=until,
        )

    version = store.update(change)
    if keys:
        for listener in _went_live_listeners:
            listener(keys)
    return version
