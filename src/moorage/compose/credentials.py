"""Credentials written into a compose service's command, entrypoint or health check, rewritten to read
them from an environment variable that ECS fills from Secrets Manager at task start.

A task definition's command is readable by anyone who may describe it, so the value must not stay
there. The rewritten command runs through ``sh -c`` (the image needs a shell) and names ``"$VAR"``
where the value was; in a shell text the reference fits the quoting around it.
"""

from __future__ import annotations

import shlex


def _quote_state(text: str, end: int) -> str:
    """The quote open at ``end`` in shell ``text``: ``'``, ``"`` or ``""``."""
    state, i = "", 0
    while i < end:
        ch = text[i]
        if ch == "\\" and state != "'":
            i += 2
            continue
        if state == "" and ch in "'\"":
            state = ch
        elif ch == state:
            state = ""
        i += 1
    return state


def shell_reference(text: str, values: dict[str, str]) -> str:
    """Shell ``text`` with each value of ``values`` (value -> variable) replaced by a reference to its
    variable that expands where it stands (inside single quotes the quote is closed around it)."""
    out = text
    for value, var in sorted(values.items(), key=lambda kv: -len(kv[0])):
        while value in out:
            at = out.index(value)
            state = _quote_state(out, at)
            ref = {"'": f"'\"${{{var}}}\"'", '"': f"${{{var}}}", "": f"\"${{{var}}}\""}[state]
            out = out[:at] + ref + out[at + len(value):]
    return out


def _word(word: str, values: dict[str, str]) -> str:
    pieces: list[str] = []
    rest = word
    while rest:
        hits = [(rest.index(v), v) for v in values if v in rest]
        if not hits:
            pieces.append(shlex.quote(rest))
            break
        at, value = min(hits, key=lambda h: (h[0], -len(h[1])))
        if at:
            pieces.append(shlex.quote(rest[:at]))
        pieces.append(f"\"${{{values[value]}}}\"")
        rest = rest[at + len(value):]
    return "".join(pieces) or "''"


def shell_words(words: list[str], values: dict[str, str]) -> str:
    """``words`` (an exec-form command) as one shell text, each value replaced by its variable."""
    return " ".join(_word(w, values) for w in words)


def rewritten_command(words: list[str], values: dict[str, str], entrypoint: bool = False) -> list[str]:
    """An exec-form command or entrypoint that reads ``values`` from their variables (``sh -c``)."""
    if len(words) >= 3 and words[0] in ("sh", "/bin/sh", "bash", "/bin/bash") and words[1] == "-c":
        return [words[0], "-c", shell_reference(words[2], values), *words[3:]]
    text = "exec " + shell_words(words, values)
    return ["sh", "-c", text + ' "$@"', "sh"] if entrypoint else ["sh", "-c", text]


def rewritten_healthcheck(command: list[str], values: dict[str, str]) -> list[str]:
    """A health check command (``CMD-SHELL`` or ``CMD`` form) that reads ``values`` from their variables."""
    if command and command[0] == "CMD-SHELL":
        return ["CMD-SHELL", shell_reference(" ".join(command[1:]), values)]
    words = command[1:] if command and command[0] == "CMD" else command
    return ["CMD-SHELL", shell_words(words, values)]
