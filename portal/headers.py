"""Security headers of every response, set by Flask-Talisman.

The Content-Security-Policy allows scripts, styles, fonts and requests from the portal itself only:
no inline `<script>`, no `on…=` handler attributes, no `style=` attributes, no `javascript:` links,
nothing from another site (the portal serves every asset itself). Pages pass data to their scripts
in `data-*` attributes or `<script type="application/json">` blocks, which are data, not code.

`style-src` is `'self'` without `'unsafe-inline'`: the portal's templates carry no `style=` attribute
and no `<style>` element, and the scripts set styles through the DOM (`element.style.width = …`),
which CSP does not restrict. A style attribute added to a template would be ignored by the browser
and fail tests/test_headers.py, which scans the rendered pages.

The pages may not be framed (`frame-ancestors 'none'`, and X-Frame-Options DENY for old browsers).
HSTS is sent only on requests that arrived over HTTPS (directly or as told by the proxy's
X-Forwarded-Proto); plain-HTTP intranet deployments are neither redirected nor pinned to HTTPS, and
the session cookie's Secure flag stays with the SESSION_COOKIE_SECURE setting.
"""

from __future__ import annotations

from flask import Flask, Response
from flask_talisman import DENY, Talisman

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # Bootstrap's stylesheet draws checkboxes, selects and the menu icon as data: SVG images.
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

PERMISSIONS_POLICY = {
    "browsing-topics": "()",
    "camera": "()",
    "microphone": "()",
    "geolocation": "()",
    "payment": "()",
}

#: One year; subdomains are not included: other hosts of an office's domain may well serve plain HTTP.
HSTS_MAX_AGE = 365 * 24 * 3600

talisman = Talisman()


def init_headers(app: Flask) -> None:
    """Send the security headers on every response of `app`."""
    # Registered before Talisman's own hook, so it runs after it (Flask runs after_request hooks last
    # registered first) and sees the headers Talisman set.
    app.after_request(_no_policy_on_pdf)
    talisman.init_app(
        app,
        force_https=False,
        strict_transport_security=True,
        strict_transport_security_max_age=HSTS_MAX_AGE,
        strict_transport_security_include_subdomains=False,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options=DENY,
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy=PERMISSIONS_POLICY,
        session_cookie_secure=False,  # leave SESSION_COOKIE_SECURE to the configuration
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        x_content_type_options=True,
    )


def _no_policy_on_pdf(response: Response) -> Response:
    """Drop the page policy from PDFs, shown in the browser's own viewer, which it can break.

    Chromium-based browsers long applied a PDF response's Content-Security-Policy to the viewer page
    they wrap around the file (Chromium bug 271452), so `object-src 'none'` or `style-src 'self'` left
    the tab blank or cropped; offices run such older browsers (360, QQ, old Chrome). A PDF runs no
    page script, X-Content-Type-Options keeps it from being read as HTML, and X-Frame-Options still
    forbids framing it.
    """
    if response.mimetype == "application/pdf":
        response.headers.pop("Content-Security-Policy", None)
    return response
