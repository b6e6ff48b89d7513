"""Which Redis client a service looks like it runs, when the spec does not say (``caches.<name>.client``).

Cluster mode breaks clients that keep related keys on one node (BullMQ without hash tags, Sidekiq,
Resque, RQ, Celery as a broker). A spec that declares ``client:`` is checked directly; otherwise the
services that use the cache give their client away by a command word (``bundle exec sidekiq``,
``celery -A app worker``, ``rq worker``), an image name (``acme/sidekiq-worker``) or a variable
prefix (``CELERY_BROKER_URL``, ``BULLMQ_PREFIX``).
"""

from __future__ import annotations

import re
from typing import Any

from moorage.data import load_data


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def client_signs(service: Any) -> dict[str, str]:
    """Cluster-mode-off clients ``service`` (a resolved service) shows signs of: client -> the sign."""
    clients = load_data("profiles")["cluster_mode_off_clients"]
    places: list[tuple[str, str]] = []
    for label, value in (("command", service.command), ("entrypoint", service.entrypoint)):
        if value:
            places.append((f"its {label} `{' '.join(value)}`", " ".join(value)))
    for sidecar_name, sidecar in (service.sidecars or {}).items():
        if getattr(sidecar, "command", None):
            places.append((f"sidecar {sidecar_name}'s command `{' '.join(sidecar.command)}`",
                           " ".join(sidecar.command)))
    if service.image:
        places.append((f"its image {service.image}", service.image.rsplit(":", 1)[0].rsplit("/", 1)[-1]))
    names = [*service.env, *service.secret_env, *service.config]
    out: dict[str, str] = {}
    for client in clients:
        place = next((where for where, text in places if client in _words(text)), None)
        if place is None:
            place = next((f"its variable {n}" for n in names if n.upper().startswith(f"{client.upper()}_")), None)
        if place is not None:
            out[client] = place
    return out
