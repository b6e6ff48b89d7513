"""The one answer to "does this text hold a URL with a password in it?" (``scheme://user:password@host``).

Read by the spec's validation (a moorage.yml env value) and by policy (MOO-SEC-007 on any template), so
both sides agree. The password may hold any character but ``@``, ``/`` and white space (``!``, ``$``, ``&``,
``*``, ``+``, ``%40``...); the user may be empty (``redis://:token@``). A reference in the password's place
(``$VAR``, ``${VAR}``, a quote) is not a password.
"""

from __future__ import annotations

import re

URL_PASSWORD = re.compile(r"://[^/\s:@]*:(?P<v>(?![$'\"])[^@\s/]+)@")


def url_passwords(text: str) -> list[str]:
    """The password of every ``scheme://user:password@`` URL in ``text`` (empty when there is none)."""
    return [m["v"] for m in URL_PASSWORD.finditer(text)]
