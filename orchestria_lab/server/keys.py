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
from orchestria_lab.session.service import KeyRow
from orchestria_lab.session.session import now_iso
from orchestria_lab.session.store import Store

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


def create_key(store: Store, account: str) -> NewKey:
    """Make a key for ``account`` (the account is created on first use)."""
    check_account(account)
    token = secrets.token_hex(6)
    key = f"ork_{token}_{secrets.token_urlsafe(32)}"
    new = NewKey(f"key_{token}", account, key, now_iso())
    ensure_tables(store).add_key(KeyRow(new.key_id, account, _hash(key), new.created_at))
    return new


def list_keys(store: Store, *, account: str | None = None) -> pd.DataFrame:
    """Every key (never the secret): key_id, account, created_at, revoked_at."""
    rows = [(k.key_id, k.account, k.created_at, k.revoked_at) for k in ensure_tables(store).keys(account=account)]
    return pd.DataFrame(rows, columns=list(KEY_COLUMNS))


def revoke_key(store: Store, key_id: str) -> None:
    """Revoke ``key_id``: from now on it answers 401, and so do the URLs it signed."""
    if not ensure_tables(store).revoke_key(key_id, now_iso()):
        raise NotFound("key", key_id, list_keys(store)["key_id"])


def authenticate(store: Store, key: str) -> Principal:
    """The :class:`Principal` of a presented key, or :class:`Unauthorized`."""
    match = KEY_RE.match(key or "")
    key_id = f"key_{match.group(1)}" if match else ""
    row = _key_row(store, key_id) if match else None
    same = hmac.compare_digest(row.hash if row else _DUMMY_HASH, _hash(key or ""))
    if row is None or not same:
        raise Unauthorized("This API key is not valid. Send 'Authorization: Bearer <key>' with a key "
                           "from 'orchestria keys create --account NAME'.")
    return _active(row, key_id)


def active_key(store: Store, key_id: str) -> Principal:
    """The :class:`Principal` of ``key_id`` if that key exists and is not revoked."""
    row = _key_row(store, key_id) if KEY_ID_RE.match(key_id or "") else None
    if row is None:
        raise Unauthorized(f"No API key {key_id!r} signed this URL.")
    return _active(row, key_id)


def _key_row(store: Store, key_id: str) -> KeyRow | None:
    return ensure_tables(store).key(key_id)


def _active(row: KeyRow, key_id: str) -> Principal:
    if row.revoked_at is not None:
        raise Unauthorized("This API key was revoked; ask for a new one (orchestria keys create --account NAME).")
    return Principal(key_id, row.account)
