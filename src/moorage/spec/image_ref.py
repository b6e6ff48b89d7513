"""What an image reference looks like: the one answer for the spec's `image:` keys, compose import and
`deploy --image`.

The grammar is the one registries and ECS use (github.com/distribution/reference): a registry host (with a
dot or a port, or `localhost`), a lowercase path, a tag, a digest. A reference outside it passes CloudFormation
and fails only when a task starts (CannotPullContainerError), minutes into a deploy.
"""

from __future__ import annotations

import re

# A path component: lowercase letters and digits, inner separators `.`, `_`, `__` or dashes.
_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_HOST_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_REGISTRY = re.compile(rf"(?:{_HOST_PART}(?:\.{_HOST_PART})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?")
_TAG = re.compile(r"\w[\w.-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
NAME_MAX = 255

IMAGE_SHAPE = ("[REGISTRY/]PATH[:TAG][@sha256:DIGEST]: PATH in lowercase letters, digits and . _ -, separated by /; "
               "no spaces")
IMAGE_HINT = f"an image reference looks like {IMAGE_SHAPE}; e.g. ghcr.io/acme/api:1.4.2 or ghcr.io/acme/api@sha256:..."


def image_problem(ref: str) -> str | None:
    """Why ``ref`` is not an image reference a registry accepts (a phrase: "holds a space", ...), or None."""
    if not ref:
        return "is empty"
    if any(c.isspace() for c in ref):
        return "holds whitespace"
    name, at, digest = ref.partition("@")
    if at and not _DIGEST.fullmatch(digest):
        return f"has digest {digest!r}, which is not ALGORITHM:HEX (sha256: and 64 hex digits)"
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
        if not _TAG.fullmatch(tag):
            return (f"has tag {tag!r}: a tag is 1-128 letters, digits, _ . -, and does not start with . or -"
                    if tag else "ends its name with ':' and no tag")
    if len(name) > NAME_MAX:
        return f"has a name of {len(name)} characters (at most {NAME_MAX})"
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        if not _REGISTRY.fullmatch(parts[0]):
            return f"has registry {parts[0]!r}, which is not a host name (with an optional :port)"
        parts = parts[1:]
    path = "/".join(parts)
    for part in parts:
        if not part:
            return f"has an empty part in its path {path!r}"
        if not _COMPONENT.fullmatch(part):
            if _COMPONENT.fullmatch(part.lower()):
                return f"has upper-case letters in its path {path!r} (registries accept lowercase only)"
            return (f"has {part!r} in its path, which may hold only lowercase letters and digits, separated "
                    "by . _ or -")
    return None


# Registry hosts that name the machine the image was built on: a Fargate task pulls from AWS and never reaches them.
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]", "0.0.0.0", "host.docker.internal", "gateway.docker.internal")
LOOPBACK_HINT = ("push the image to ECR (or another registry AWS can reach) and name it there, or give the service "
                 "a `build:` and moorage builds and pushes it to ECR")


def loopback_registry(ref: str) -> str | None:
    """The registry of ``ref`` when it is this machine (``localhost:5000``, ``127.0.0.1``, ``[::1]``,
    ``host.docker.internal``), which Fargate can never pull from; else None."""
    first, slash, _ = ref.partition("/")
    if not slash:
        return None
    host = first.rsplit(":", 1)[0] if not first.endswith("]") else first
    host = host.lower()
    if host in _LOOPBACK_HOSTS or host.startswith("127.") or host.startswith("localhost."):
        return first
    return None
