"""Downloads: stem and mix files rendered on demand and cached, exports, signed URLs.

Nothing here builds a file path from what a client sent: stems are looked up in the
session's state, export files in the exports table, and cached renders are named by a
digest of what defines them. So ``..`` and friends can only ever find nothing.

A signed URL grants one ``GET`` of one path (with its query) until it expires, on behalf
of the key that asked for it; revoking that key revokes its URLs too.

>>> signer = Signer(b"k" * 32, ttl_s=60)
>>> url = signer.sign("/v1/sessions/ses_0123456789abcdef/audio", {"version": "2"}, "key_abc", now=1000)
>>> url
'/v1/sessions/ses_0123456789abcdef/audio?version=2&expires=1060&key=key_abc&sig=...'
>>> from urllib.parse import urlsplit, parse_qsl
>>> parts = urlsplit(url)
>>> signer.verify(parts.path, dict(parse_qsl(parts.query)), now=1030)
'key_abc'
>>> signer.verify(parts.path, {**dict(parse_qsl(parts.query)), "version": "1"}, now=1030)
Traceback (most recent call last):
...
orchestria_lab.server.errors.Forbidden: This URL's signature does not match it: it was changed or cut. Ask the API for a fresh URL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

from orchestria_lab.errors import InvalidValue, NotFound, StoreError
from orchestria_lab.server.disk import expiry, pin, touch, trim_cache
from orchestria_lab.server.errors import Forbidden, Unauthorized
from orchestria_lab.server.tables import ensure_tables
from orchestria_lab.session.service import ExportRecord
from orchestria_lab.session.session import Session, now_iso
from orchestria_lab.session.store import Store

#: Export formats and their file suffixes.
FORMATS = {"wav": "wav", "flac": "flac", "mp3": "mp3", "midi": "mid"}
EXPORT_ID_RE = re.compile(r"^exp_[0-9a-f]{16}$")
SIGNING_PARAMS = ("expires", "key", "sig")
#: The name an older version kept its signing secret under, in the database.
_OLD_SECRET = "url_signing"
#: How far apart two server processes' clocks may be when one checks another's URL (seconds).
CLOCK_SKEW_S = 60


class Signer:
    """HMAC-SHA256 signatures over a path, its query and an expiry time."""

    def __init__(self, secret: bytes, *, ttl_s: int) -> None:
        self._secret, self.ttl_s = secret, ttl_s

    @classmethod
    def for_store(cls, store: Store, *, secret: str | None, ttl_s: int, key_file: Path) -> Signer:
        """Sign with ``secret`` if given, else with the one in ``key_file`` (mode 0600, made once;
        every server process sharing it accepts every other's URLs). A secret an older version
        kept in the database moves to the file, and out of the database, on first start."""
        if secret is None:
            service = ensure_tables(store)
            secret = init_key_file(key_file, value=service.secret(_OLD_SECRET), exist_ok=True)
            service.drop_secret(_OLD_SECRET)  # once it is in the file (every process then reads the file)
        return cls(secret.encode(), ttl_s=ttl_s)

    def _signature(self, path: str, params: Mapping[str, str], key_id: str, expires: str) -> str:
        # Over the decoded path: what ASGI servers hand the app, however the client quoted it.
        query = urlencode(sorted((k, v) for k, v in params.items() if k not in SIGNING_PARAMS))
        message = "\n".join(("GET", path, query, key_id, expires))
        return hmac.new(self._secret, message.encode(), hashlib.sha256).hexdigest()

    def sign(self, path: str, params: Mapping[str, Any], key_id: str, *, now: float | None = None) -> str:
        """``path?query`` with ``expires``, ``key`` and ``sig`` added."""
        expires = str(int(time.time() if now is None else now) + self.ttl_s)
        plain = {k: str(v) for k, v in params.items()}
        sig = self._signature(unquote(path), plain, key_id, expires)
        return f"{path}?{urlencode({**plain, 'expires': expires, 'key': key_id, 'sig': sig})}"

    def verify(self, path: str, params: Mapping[str, str], *, now: float | None = None) -> str:
        """The key id a signed URL acts for, given its decoded ``path`` and its query.

        :class:`Forbidden` if the signature does not match, :class:`Unauthorized` once expired.
        """
        expires, key_id, sig = (params.get(name, "") for name in SIGNING_PARAMS)
        expected = self._signature(path, params, key_id, expires)
        if not hmac.compare_digest(expected.encode(), sig.encode()):
            raise Forbidden("This URL's signature does not match it: it was changed or cut. "
                            "Ask the API for a fresh URL.")
        now = time.time() if now is None else now
        if int(expires) < now:  # signed by us, so a number
            raise Unauthorized("This signed URL has expired. Ask the API again (GET .../stems or "
                               "the export) for fresh URLs, or send the bearer key.", expired_at=int(expires))
        if int(expires) > now + self.ttl_s + CLOCK_SKEW_S:  # minted with a longer life than we give
            raise Forbidden(f"This URL claims to stay valid past the server's {self.ttl_s} s lifetime "
                            f"for signed URLs, so it was not made by this server. Ask the API for a fresh URL.")
        return key_id


def init_key_file(path: Path, *, value: str | None = None, exist_ok: bool = False) -> str:
    """The signing secret in ``path``, creating the file with mode 0600 (``value``, or a new random
    secret) if it is not there. With ``exist_ok=False`` an existing file is an error, so
    ``orchestria keys init`` never replaces a secret that live URLs depend on."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if not exist_ok:
            raise StoreError(f"{path} already holds a signing secret; remove it first to make a new one "
                             "(every signed URL made with it stops working)") from None
        text = path.read_text().strip()
        if len(text) < 32:
            raise StoreError(f"{path} holds no usable signing secret (at least 32 characters)") from None
        return text
    with os.fdopen(fd, "w") as out:
        out.write((value or secrets.token_hex(32)) + "\n")
    return path.read_text().strip()


# rendered files ---------------------------------------------------------------------------
def rendered_file(session: Session, *, version: int, fmt: str, cache_dir: Path,
                  stem_id: str | None = None, cache_mb: int | None = None) -> Path:
    """The mix (or one stem) of ``version`` as a ``fmt`` file, rendered once and cached; what is
    returned is a link to send it from (``disk.pin``: unpin it once sent), so a file the cache drops
    under a concurrent request is still sent whole.

    The cache name is a digest of what defines the sound, so a stem shared by many
    versions is rendered once, and no client input ever becomes part of a path.
    """
    from orchestria_lab.audio.render import ENGINE_VERSION

    state = session.state_at(version)
    if stem_id is not None:
        state.stem(stem_id)
    # the whole state, not only the stem: exported stems share the mix's loudness gain
    # naming bars changes no sound (a MIDI file marks its sections, so there they count)
    sound = {k: v for k, v in state.meta.to_dict().items() if k != "sections" or fmt == "midi"}
    identity = json.dumps([ENGINE_VERSION, sound, [s.hash for s in state.stems], stem_id, fmt])
    target = cache_dir / f"{hashlib.sha256(identity.encode()).hexdigest()[:32]}.{FORMATS[fmt]}"
    data_dir = cache_dir.parent
    if target.exists():
        touch(target)  # recently used: the cache keeps it longest
        if (link := pin(target, data_dir)) is not None:
            return link
    # not cached, or dropped by another request's trim just now: made (again)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        written = _export(session, Path(tmp), f"render.{FORMATS[fmt]}", format=fmt, version=version,
                          stems=[stem_id] if stem_id is not None else False)
        audio = [p for p in written if p.suffix != ".json"]
        if len(audio) != 1:
            raise StoreError(f"Rendering {stem_id or 'the mix'} gave {len(audio)} files, not one.")
        os.replace(audio[0], target)
        link = pin(target, data_dir)  # what this request sends, whatever the cache drops next
    if cache_mb is not None:  # back under the cap, least recently used first
        trim_cache(cache_dir, max_bytes=cache_mb * 1024 * 1024, keep=target)
    if link is None:
        raise StoreError(f"The render of {stem_id or 'the mix'} went before it could be sent.")
    return link


def _export(session: Session, folder: Path, name: str, **kw: Any) -> list[Path]:
    """What ``session.export`` wrote (the manifest last), each checked to lie in ``folder``."""
    written = [Path(p).resolve() for p in session.export(folder / name, **kw)]
    root = folder.resolve()
    if not all(p.is_relative_to(root) and p.is_file() for p in written):
        raise StoreError(f"An export wrote outside {folder}: {written}")
    return written


# exports ----------------------------------------------------------------------------------
def create_export(store: Store, session: Session, account: str, *, fmt: str,
                  stems: bool | list[str], version: int | None, data_dir: Path, ttl_days: int = 7,
                  loudness: float | str | None = None) -> ExportRecord:
    """Write an export of ``session`` under ``data_dir/exports/<id>/`` and register it."""
    version = session.version if version is None else version
    state = session.state_at(version)
    if isinstance(stems, list):
        for stem_id in stems:
            state.stem(stem_id)
    if stems is not False and not (state.stems if stems is True else stems):
        raise InvalidValue("stems", stems, f"at least one stem, and version {version} has none: "
                           "export the mix with stems: false")
    export_id = "exp_" + secrets.token_hex(8)
    folder = data_dir / "exports" / export_id
    folder.mkdir(parents=True)
    name = f"{session.id}-v{version}" + ("-stems" if stems is not False else f".{FORMATS[fmt]}")
    try:
        written = _export(session, folder, name, stems=stems, version=version, format=fmt, loudness=loudness)
        files = tuple((p.relative_to(folder.resolve()).as_posix(), p.stat().st_size) for p in written)
        made = now_iso()
        record = ExportRecord(export_id, account, session.id, version, fmt, made, files, expiry(made, ttl_days=ttl_days))
        ensure_tables(store).add_export(record)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return record


def load_export(store: Store, export_id: str, account: str) -> ExportRecord:
    """The export ``export_id`` if ``account`` made it, its session is still open and it has not
    expired; else :class:`NotFound` (never 403: a deleted session's exports are gone with it)."""
    record = None
    if isinstance(export_id, str) and EXPORT_ID_RE.match(export_id):
        record = ensure_tables(store).export(export_id, account, now=now_iso())
    if record is None:
        raise NotFound("export", export_id)
    return record


def export_file(record: ExportRecord, name: str, data_dir: Path) -> Path:
    """The file ``name`` of an export: only a name the export listed is ever served."""
    names = [n for n, _ in record.files]
    if name not in names:
        raise NotFound("file", name, names)
    return data_dir / "exports" / record.id / name
