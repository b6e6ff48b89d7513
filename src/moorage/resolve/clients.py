"""Which Redis client a service looks like it runs, when the spec does not say (``caches.<name>.client``)."""

from __future__ import annotations

from typing import Any

from moorage.redis_clients import client_signs, image_name


def service_client_signs(service: Any) -> dict[str, str]:
    """Cluster-mode-off clients a resolved service shows signs of (moorage/redis_clients.py): client -> sign."""
    places: list[tuple[str, str]] = []
    for label, value in (("command", service.command), ("entrypoint", service.entrypoint)):
        if value:
            places.append((f"its {label} `{' '.join(value)}`", " ".join(value)))
    for sidecar_name, sidecar in (service.sidecars or {}).items():
        if getattr(sidecar, "command", None):
            places.append((f"sidecar {sidecar_name}'s command `{' '.join(sidecar.command)}`",
                           " ".join(sidecar.command)))
    if service.image:
        places.append((f"its image {service.image}", image_name(service.image)))
    signs = client_signs(places, [*service.env, *service.secret_env, *service.config])
    return {c: (f"its {s}" if s.startswith("variable ") else s) for c, s in signs.items()}
