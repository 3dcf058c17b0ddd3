"""The page cache of the public pages (``middleware``), the content version it checks on every request
(``version``, kept by database triggers in ``models.PublicVersion``), and when a page turns with the clock
(``timeline``)."""

from __future__ import annotations

from app.pagecache.middleware import PageCacheMiddleware, accepts_gzip, etag_matches
from app.pagecache.timeline import valid_until
from app.pagecache.version import Content, ContentWatch

__all__ = ["Content", "ContentWatch", "PageCacheMiddleware", "accepts_gzip", "etag_matches", "valid_until"]
