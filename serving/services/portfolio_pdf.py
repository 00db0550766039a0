"""The printable portfolio page as a PDF, through WeasyPrint.

WeasyPrint lays out the same HTML and print CSS as the page (``@page A4``, no break inside a
row or the seal) with Pango, which Debian ships (``libpango-1.0-0``, ``libpangoft2-1.0-0``;
``scripts/system-deps.sh`` installs them with DejaVu fonts for the Cyrillic text). The PDF is a
rendering of the document, not the signed object: the signature covers the JSON document, and
the PDF prints its verification code, key id and hash so a reader can check it.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from serving.errors import NotReadyError

PDF_MEDIA_TYPE = "application/pdf"
# WeasyPrint logs every layout step at INFO and each CSS rule it ignores (the page's screen-only
# focus styles) as a warning: neither says anything about a document the service made
logging.getLogger("weasyprint").setLevel(logging.ERROR)


@functools.cache
def _weasyprint() -> Any:
    """The WeasyPrint module, imported once on first use (its import loads Pango: ~0.5 s)."""
    try:
        import weasyprint
    except OSError as exc:  # the Python package is there, Debian's Pango is not
        raise NotReadyError(
            "PDF export needs Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0); "
            "run scripts/system-deps.sh as root"
        ) from exc
    return weasyprint


def render_pdf(html: str) -> bytes:
    """The page ``html`` as PDF bytes (A4, from the page's own print rules).

    Raises
    ------
    NotReadyError
        Pango is missing on this machine.
    """
    out: bytes = _weasyprint().HTML(string=html).write_pdf()
    return out
