"""Redis clients that need cluster mode off, and the signs a container gives of running one.

One answer for the resolver (a spec's services) and policy (any template's containers): a word of a
command or entrypoint (``bundle exec sidekiq``, ``celery -A app worker``, ``rq worker``), of an image
name (``acme/sidekiq-worker``), or a variable prefix (``CELERY_BROKER_URL``, ``BULLMQ_PREFIX``). The
clients and why each needs cluster mode off are data (``data/profiles.yaml``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from moorage.data import load_data


def cluster_off_clients() -> dict[str, str]:
    """Client name -> why it needs cluster mode off."""
    return dict(load_data("profiles")["cluster_mode_off_clients"])


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def image_name(image: str) -> str:
    """The repository's last part, without registry, path or tag: what an image is called."""
    return image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]


def client_signs(places: Iterable[tuple[str, str]], variables: Iterable[str]) -> dict[str, str]:
    """Clients that need cluster mode off shown by ``places`` ((where, text) of commands, image names...)
    or ``variables`` (names): client -> where the sign is."""
    places, variables = list(places), list(variables)
    out: dict[str, str] = {}
    for client in cluster_off_clients():
        where = next((w for w, text in places if client in _words(text)), None)
        if where is None:
            where = next((f"variable {n}" for n in variables if n.upper().startswith(f"{client.upper()}_")), None)
        if where is not None:
            out[client] = where
    return out
