"""What `uses` gives a service: its environment, its secret references and its IAM permissions."""

from __future__ import annotations

import re
from typing import Any, Literal, cast

from moorage import kinds
from moorage.kinds import CONNECTION_REF_RE
from moorage.plan.model import EnvRef, Permission, PlainValue, SecretValue
from moorage.resolve.environment import EnvSpec, ResolvedService

Kind = Literal["database", "cache", "bucket", "service", "user_pool"]
XRAY_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries")
EXEC_ACTIONS = ("ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel")



def kind_of(env: EnvSpec, name: str) -> Kind | None:
    """What ``name`` is in this environment (the kinds registry's answer)."""
    return cast(Kind | None, kinds.kind_of(env, name))


def upper_snake(name: str) -> str:
    """``svc-auth`` -> ``SVC_AUTH``."""
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def service_environment(env: EnvSpec, svc: ResolvedService) -> tuple[dict[str, PlainValue], dict[str, SecretValue]]:
    """Plain env values and secret references for ``svc``, with the default connection variables."""
    plain: dict[str, PlainValue] = {}
    secrets: dict[str, SecretValue] = {}
    for key, value in svc.env.items():
        refs = CONNECTION_REF_RE.findall(value)
        if refs and len(refs) == 1 and CONNECTION_REF_RE.fullmatch(value.strip()):
            target, attr = refs[0]
            kind = kind_of(env, target)
            if kind and kinds.attributes(kind).get(attr) == "secret":
                secrets[key] = SecretValue(cast(Any, kind), target, attr)
                continue
        plain[key] = _plain(env, value)
    for key, secret in svc.secret_env.items():
        secrets[key] = SecretValue("app-secret", secret)
        if (s := env.secrets.get(secret)) is not None and s.previous and f"{key}_PREVIOUS" not in svc.env:
            # the value before the last rotation: tokens signed with it still verify
            secrets[f"{key}_PREVIOUS"] = SecretValue("app-secret", secret, stage="AWSPREVIOUS")
    for name in svc.config:
        secrets[name] = SecretValue("config", name)
    if svc.tracing == "xray" and "AWS_XRAY_DAEMON_ADDRESS" not in plain:
        plain["AWS_XRAY_DAEMON_ADDRESS"] = PlainValue(("127.0.0.1:2000",))  # the sidecar, same task network
    taken = set(plain) | set(secrets)
    by_kind: dict[str, list[str]] = {}
    for used in svc.uses:
        used_kind = kind_of(env, used)
        if used_kind:
            by_kind.setdefault(used_kind, []).append(used)
    for kind_name, names in by_kind.items():
        kind = cast(Kind, kind_name)
        for name in names:
            managed = kind == "database" and env.databases[name].managed_password
            # RDS rotates a managed password: a URL built at deploy time would go stale, so the parts are injected.
            for pattern, attr in kinds.connection_env(kind, managed).items():
                if "{PREFIX}" not in pattern and len(names) != 1:
                    continue
                var = pattern.replace("{PREFIX}", upper_snake(name))
                if var in taken:
                    continue
                if kind == "user_pool" and attr == "client_id" and env.user_pools[name].existing \
                        and not env.user_pools[name].client_id:
                    continue  # an existing pool whose app client was not given
                taken.add(var)
                if kinds.attributes(kind)[attr] == "secret":
                    secrets[var] = SecretValue(cast(Any, kind), name, attr)
                else:
                    plain[var] = PlainValue((EnvRef(cast(Any, kind), name, attr),))
    return dict(sorted(plain.items())), dict(sorted(secrets.items()))


def _plain(env: EnvSpec, value: str) -> PlainValue:
    parts: list[str | EnvRef] = []
    pos = 0
    for m in CONNECTION_REF_RE.finditer(value):
        if m.start() > pos:
            parts.append(value[pos:m.start()])
        kind = kind_of(env, m.group(1))
        parts.append(EnvRef(cast(Any, kind), m.group(1), m.group(2)))
        pos = m.end()
    if pos < len(value) or not parts:
        parts.append(value[pos:])
    return PlainValue(tuple(parts))


def task_permissions(env: EnvSpec, svc: ResolvedService) -> list[Permission]:
    """The task role's statements: only what `uses` implies."""
    perms: list[Permission] = []
    for used in svc.uses:
        kind = kinds.kind_of(env, used)
        if kind is None or kind == "service":
            continue
        registered, sid = kinds.kind(kind), upper_snake(used).replace("_", "").title()
        if kind == "user_pool":  # the pool's own `actions:` list decides
            actions = tuple(sorted({f"cognito-idp:{a}" for a in env.user_pools[used].actions}))
            perms.append(Permission(f"UserPool{sid}", actions, (f"user-pool:{used}",)))
            continue
        if not registered.actions:
            continue  # reached over the network with credentials, not through IAM
        mode = env.buckets[used].access.get(svc.name, "readwrite") if kind == "bucket" else "readwrite"
        # Object actions apply to the objects' ARN (bucket/*), the rest to the resource's own ARN.
        target = f"bucket-objects:{used}" if kind == "bucket" else f"{kind}:{used}"
        perms.append(Permission(f"{registered.iam_sid}{sid}", registered.actions[mode], (target,)))
        if kind == "bucket" and mode != "write":
            perms.append(Permission(f"List{sid}", ("s3:ListBucket",), (f"bucket:{used}",)))
        if env.customer_key and registered.key_actions:
            perms.append(Permission(f"Key{sid}", registered.key_actions[mode], ("key",)))
    if svc.tracing == "xray":
        # X-Ray's write and sampling actions have no resource-level permissions: "*" is the only resource.
        perms.append(Permission("XRay", XRAY_ACTIONS, ("*",)))
    if svc.exec:
        perms.append(Permission("ExecChannels", EXEC_ACTIONS, ("*",)))
        perms.append(Permission("ExecLogs", ("logs:CreateLogStream", "logs:PutLogEvents"), ("exec-logs",)))
        perms.append(Permission("ExecLogGroups", ("logs:DescribeLogGroups",), ("*",)))
        if env.customer_key:
            perms.append(Permission("ExecKey", ("kms:Decrypt",), ("key",)))
    return perms
