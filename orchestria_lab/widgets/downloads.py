"""Download links for exported files, as the Studio's Export tab shows them.

The Export tab writes files on the kernel's disk, which is often not the disk of the browser
showing the notebook. Each file therefore gets a link the browser can follow:

- a file from a remote session: the server's signed download URL (``RemoteSession.last_export``);
- a small local file (up to :data:`DATA_LINK_MAX_BYTES`): a ``data:`` link holding its bytes;
- a larger local file under the Jupyter server's root: the server's ``files/`` URL for it;
- a larger local file outside that root (or with no Jupyter server to ask): no link, but where
  the file is, rather than a link that would answer 404.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "a <b>.mid"
...     _ = path.write_bytes(b"MThd")
...     print(local_link(path, server=None))
<a class="orchestria-download" download="a &lt;b&gt;.mid" href="data:audio/midi;base64,TVRoZA==">a &lt;b&gt;.mid</a> <small>4 bytes</small>
"""

from __future__ import annotations

import base64
import html
import json
import mimetypes
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

#: Largest file (bytes) given as a ``data:`` link. The link is base64, 4/3 of the file, and it
#: lives in the widget's state: it crosses the kernel's websocket and sits in the page's DOM for
#: as long as the link is shown, so its cost grows with the file. 25 MB (33 MB of text) covers a
#: 1.5-minute 24-bit stereo WAV and the FLAC, MP3 or MIDI of any song the Studio makes; a larger
#: file is left on disk for the Jupyter server to stream instead of being copied into the page.
DATA_LINK_MAX_BYTES = 25_000_000

#: Links that look like links: JupyterLab's own stylesheet leaves anchors in widgets unstyled.
DOWNLOADS_CSS = """<style>
.orchestria-downloads ul{margin:4px 0;padding-left:1.4em}
.orchestria-downloads li{margin:2px 0}
a.orchestria-download{color:var(--jp-content-link-color,#1976d2);text-decoration:underline;font-weight:600}
a.orchestria-download::before{content:"\\2913\\00a0";text-decoration:none;display:inline-block}
.orchestria-downloads small{color:var(--jp-ui-font-color2,#666)}
</style>"""

_MIME_TYPES = {".wav": "audio/wav", ".flac": "audio/flac", ".mp3": "audio/mpeg", ".mid": "audio/midi",
               ".midi": "audio/midi", ".json": "application/json"}


@dataclass(frozen=True)
class JupyterServer:
    """Where the Jupyter server that started this kernel serves files from: ``root_dir`` on
    disk, under ``base_url`` (``/`` unless behind a hub or a proxy)."""

    root_dir: Path
    base_url: str = "/"

    def files_url(self, path: str | os.PathLike[str]) -> str | None:
        """The server's URL for ``path``, or ``None`` when it lies outside ``root_dir``.

        >>> server = JupyterServer(Path("/home/me/lab"), "/user/me/")
        >>> server.files_url("/home/me/lab/out/mix 1.wav"), server.files_url("/tmp/mix.wav")
        ('/user/me/files/out/mix%201.wav', None)
        """
        try:
            relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(self.root_dir))
        except ValueError:
            return None
        return f"{self.base_url.rstrip('/')}/files/{quote(PurePosixPath(relative).as_posix())}"


def jupyter_server() -> JupyterServer | None:
    """The Jupyter server this kernel runs under, or ``None`` (a plain Python, a remote kernel).

    A Jupyter server writes ``jpserver-<pid>.json`` in the runtime folder and starts its
    kernels as child processes, so the file named by this process's parent is its own.
    """
    try:
        from jupyter_core.paths import jupyter_runtime_dir

        info = json.loads((Path(jupyter_runtime_dir()) / f"jpserver-{os.getppid()}.json").read_text())
        return JupyterServer(Path(info["root_dir"]), str(info.get("base_url") or "/"))
    except (ImportError, OSError, ValueError, KeyError, TypeError):
        return None


def local_link(path: str | os.PathLike[str], *, server: JupyterServer | None,
               max_data_bytes: int = DATA_LINK_MAX_BYTES) -> str:
    """One exported file on the kernel's disk, as HTML: a data link, a server link, or where it is."""
    path = Path(path)
    name, size = path.name, path.stat().st_size
    if size <= max_data_bytes:
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return _anchor(name, f"data:{_mime_type(name)};base64,{encoded}") + f" <small>{_size(size)}</small>"
    url = server.files_url(path) if server is not None else None
    if url is not None:
        return _anchor(name, url) + f" <small>{_size(size)}, served by Jupyter</small>"
    why = ("outside the Jupyter server's root, so it cannot serve it" if server is not None
           else "and no Jupyter server was found to serve it")
    return (f"<b>{html.escape(name)}</b> <small>{_size(size)}: too large for a link in the page, {why}; "
            f"it is at <code>{html.escape(str(path.resolve()))}</code> on the kernel's machine</small>")


def remote_link(file: dict[str, Any]) -> str:
    """One file of ``RemoteSession.last_export`` (``name``, ``url``, ``path``): a link to its
    signed URL, with the copy the client kept on the kernel's disk.

    >>> print(remote_link({"name": "mix.wav", "url": "http://h/d?sig=a&exp=1", "path": "out/mix.wav"}))
    <a class="orchestria-download" download="mix.wav" href="http://h/d?sig=a&amp;exp=1" target="_blank" rel="noopener">mix.wav</a> <small>signed link · a copy at <code>out/mix.wav</code></small>
    """
    name = PurePosixPath(str(file["name"])).name
    kept = f" · a copy at <code>{html.escape(str(file['path']))}</code>" if file.get("path") else ""
    return _anchor(name, str(file["url"]), new_tab=True) + f" <small>signed link{kept}</small>"


def export_links_html(links: list[str], version: Any) -> str:
    """The Export tab's log: one line per file, each from :func:`local_link` or :func:`remote_link`."""
    items = "".join(f"<li>{link}</li>" for link in links)
    files = f"{len(links)} file{'s' if len(links) != 1 else ''}"
    return f'<div class="orchestria-downloads">Wrote {files} of version {html.escape(str(version))}:<ul>{items}</ul></div>'


def _anchor(name: str, href: str, *, new_tab: bool = False) -> str:
    # another origin ignores ``download``; a new tab keeps the notebook open if the server shows the file
    target = ' target="_blank" rel="noopener"' if new_tab else ""
    return (f'<a class="orchestria-download" download="{html.escape(name)}" href="{html.escape(href)}"{target}>'
            f"{html.escape(name)}</a>")


def _mime_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return _MIME_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _size(n: int) -> str:
    """``4 bytes``, ``12.3 kB``, ``5.6 MB`` (powers of 1000, as file managers show them)."""
    if n < 1000:
        return f"{n} bytes"
    return f"{n / 1000:.1f} kB" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"
