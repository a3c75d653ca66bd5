"""``ownit serve`` says so when sign-in cookies would go out without the Secure flag."""

from __future__ import annotations

import pytest

from ownit.cli.serve import cookie_warning


@pytest.mark.parametrize(
    ("host", "base_url", "warned"),
    [
        ("127.0.0.1", "http://127.0.0.1:8080", False),
        ("localhost", "http://localhost:8080", False),
        ("::1", "http://[::1]:8080", False),
        ("127.0.0.2", "http://ownit.example:8080", False),
        ("0.0.0.0", "http://ownit.example:8080", True),
        ("10.1.2.3", "http://10.1.2.3:8080", True),
        ("::", "http://ownit.example", True),
        ("ownit.internal", "http://ownit.internal", True),
        ("0.0.0.0", "https://ownit.example", False),  # TLS in front: Secure cookies
        ("0.0.0.0", "HTTPS://ownit.example", False),
    ],
)
def test_cookie_warning(host: str, base_url: str, warned: bool) -> None:
    warning = cookie_warning(host, base_url)
    assert (warning is not None) is warned
    if warning is not None:
        assert "Secure" in warning
        assert base_url in warning
