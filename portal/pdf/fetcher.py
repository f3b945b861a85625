"""The only way a document reaches a resource: the app's own static files and `data:` URLs.

Templates refer to files as `portal:static/pdf/print.css`; everything else (http, https, ftp,
file, redirects, relative paths) is refused before any I/O, and every request is recorded so tests
can prove what a document asked for. Images a template inlined as `data:` URLs reach WeasyPrint as
`portal:inline/<sha256>` (see `portal.pdf.lift_inline_images`), served from the bytes handed over.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from weasyprint.urls import URLFetcher, URLFetcherResponse

SCHEME = "portal:"
INLINE = SCHEME + "inline/"


class PortalFetcher(URLFetcher):
    """Serve `portal:static/...` from the app's static folder and `data:` URLs; refuse anything else."""

    def __init__(self, static_folder: str | Path, inline: dict[str, tuple[bytes, str]] | None = None) -> None:
        super().__init__(allowed_protocols={"data", "portal"}, allow_redirects=False, timeout=1)
        self.static = Path(static_folder).resolve()
        #: `portal:inline/<sha256>` → (bytes, content type): the document's own inlined images.
        self.inline = inline or {}
        self.requested: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        self.requested.append(url)
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url in self.inline:
            body, content_type = self.inline[url]
            return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})
        if not url.startswith(SCHEME + "static/"):
            # Raised before any network or file access; WeasyPrint logs it and leaves the resource out.
            raise ValueError(f"refused resource {url[:80]!r}: documents load only the portal's own files")
        path = (self.static / url[len(SCHEME + "static/") :].split("?")[0]).resolve()
        if not path.is_relative_to(self.static) or not path.is_file():
            raise ValueError(f"refused resource {url[:80]!r}: not a static file of the portal")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})
