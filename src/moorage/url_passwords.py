"""The one answer to "does this text hold a URL with a password in it?" (``scheme://user:password@host``).

Read by the spec's validation (a moorage.yml env value), by policy (MOO-SEC-007 on any template) and by the
compose importer, so all agree. The password may hold any character but ``@``, ``/`` and white space (``!``,
``$``, ``&``, ``*``, ``+``, ``%40``...); the user may be empty (``redis://:token@``). In text that may still hold
references (a moorage.yml value, a template) a reference in the password's place (``$VAR``, ``${VAR}``, a quote)
is not a password; in text already interpolated (a compose value: ``$$`` in the file is a ``$`` here) it is.
"""

from __future__ import annotations

import re

_USER = r"://[^/\s:@]*:"
_PASSWORD = r"[^@\s/]+"
_REFERENCE = r"(?![$'\"])"  # a password does not start like a reference (or a quoted one)

URL_PASSWORD = re.compile(rf"{_USER}(?P<v>{_REFERENCE}{_PASSWORD})@")
_INTERPOLATED = re.compile(rf"{_USER}(?P<v>{_PASSWORD})@")


def url_passwords(text: str, *, interpolated: bool = False) -> list[str]:
    """The password of every ``scheme://user:password@`` URL in ``text`` (empty when there is none).

    ``interpolated``: ``text`` holds no references any more (a compose value after ``${VAR}`` and ``$$`` were
    replaced), so a password starting with ``$`` or a quote is a password too.
    """
    return [m["v"] for m in (_INTERPOLATED if interpolated else URL_PASSWORD).finditer(text)]
