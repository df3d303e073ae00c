"""API keys: made for an account, stored hashed, compared in constant time, revocable.

A key reads ``ork_<12 hex>_<43 url-safe chars>``. Its public id is ``key_<12 hex>``; only
the SHA-256 of the whole key is stored, so a leaked database does not leak keys.

>>> import tempfile, os
>>> from orchestria_lab.session.store import SQLiteStore
>>> store = SQLiteStore(os.path.join(tempfile.mkdtemp(), "k.db"))
>>> new = create_key(store, "studio-a")
>>> authenticate(store, new.key) == Principal(new.key_id, "studio-a")
True
>>> revoke_key(store, new.key_id)
>>> authenticate(store, new.key)
Traceback (most recent call last):
...
orchestria_lab.server.errors.Unauthorized: This API key was revoked; ask for a new one (orchestria keys create --account NAME).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import pandas as pd

from orchestria_lab.errors import InvalidValue, NotFound
from orchestria_lab.server.errors import Unauthorized
from orchestria_lab.server.tables import ensure_tables
from orchestria_lab.session.session import now_iso
from orchestria_lab.session.store import SQLiteStore

ACCOUNT_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
KEY_RE = re.compile(r"^ork_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
KEY_ID_RE = re.compile(r"^key_[0-9a-f]{12}$")
KEY_COLUMNS = ("key_id", "account", "created_at", "revoked_at")
#: Compared against when a key id is unknown, so that a miss takes as long as a hit.
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: the key it came with and that key's account."""

    key_id: str
    account: str


@dataclass(frozen=True)
class NewKey:
    """A freshly made key. ``key`` is shown once and never stored."""

    key_id: str
    account: str
    key: str
    created_at: str


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def check_account(account: str) -> str:
    if not isinstance(account, str) or not ACCOUNT_RE.match(account):
        raise InvalidValue("account", account, "1-64 lowercase letters, digits, '.', '_' or '-', "
                           "starting with a letter or digit")
    return account


def create_key(store: SQLiteStore, account: str) -> NewKey:
    """Make a key for ``account`` (the account is created on first use)."""
    check_account(account)
    ensure_tables(store)
    token = secrets.token_hex(6)
    key = f"ork_{token}_{secrets.token_urlsafe(32)}"
    new = NewKey(f"key_{token}", account, key, now_iso())
    with store.transaction() as db:
        db.execute("INSERT OR IGNORE INTO accounts (name, created_at) VALUES (?, ?)", (account, new.created_at))
        db.execute("INSERT INTO api_keys (key_id, account, hash, created_at) VALUES (?, ?, ?, ?)",
                   (new.key_id, account, _hash(key), new.created_at))
    return new


def list_keys(store: SQLiteStore, *, account: str | None = None) -> pd.DataFrame:
    """Every key (never the secret): key_id, account, created_at, revoked_at."""
    ensure_tables(store)
    sql, args = f"SELECT {', '.join(KEY_COLUMNS)} FROM api_keys", ()
    if account is not None:
        sql, args = sql + " WHERE account = ?", (account,)
    rows = store.connection().execute(sql + " ORDER BY created_at, key_id", args).fetchall()
    return pd.DataFrame(rows, columns=list(KEY_COLUMNS))


def revoke_key(store: SQLiteStore, key_id: str) -> None:
    """Revoke ``key_id``: from now on it answers 401, and so do the URLs it signed."""
    ensure_tables(store)
    with store.transaction() as db:
        found = db.execute("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE key_id = ?",
                           (now_iso(), key_id)).rowcount
    if not found:
        raise NotFound("key", key_id, list_keys(store)["key_id"])


def authenticate(store: SQLiteStore, key: str) -> Principal:
    """The :class:`Principal` of a presented key, or :class:`Unauthorized`."""
    match = KEY_RE.match(key or "")
    key_id = f"key_{match.group(1)}" if match else ""
    row = _key_row(store, key_id) if match else None
    same = hmac.compare_digest(row[1] if row else _DUMMY_HASH, _hash(key or ""))
    if row is None or not same:
        raise Unauthorized("This API key is not valid. Send 'Authorization: Bearer <key>' with a key "
                           "from 'orchestria keys create --account NAME'.")
    return _active(row, key_id)


def active_key(store: SQLiteStore, key_id: str) -> Principal:
    """The :class:`Principal` of ``key_id`` if that key exists and is not revoked."""
    row = _key_row(store, key_id) if KEY_ID_RE.match(key_id or "") else None
    if row is None:
        raise Unauthorized(f"No API key {key_id!r} signed this URL.")
    return _active(row, key_id)


def _key_row(store: SQLiteStore, key_id: str) -> tuple[str, str, str | None] | None:
    return store.connection().execute(
        "SELECT account, hash, revoked_at FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()


def _active(row: tuple[str, str, str | None], key_id: str) -> Principal:
    account, _, revoked_at = row
    if revoked_at is not None:
        raise Unauthorized("This API key was revoked; ask for a new one (orchestria keys create --account NAME).")
    return Principal(key_id, account)
