"""Turn raw spec data into a validated :class:`AppSpec`, with located, human errors."""

from __future__ import annotations

import difflib
import re
import shlex
import types
import typing
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from moorage.data import load_data
from moorage.errors import Diagnostic, InputError, dotted
from moorage.kinds import CONNECTION_REF_RE, attributes, kind_of_block
from moorage.kinds import blocks as registry_blocks
from moorage.spec.image_ref import IMAGE_HINT, LOOPBACK_HINT, image_problem, loopback_registry
from moorage.spec.models import PATTERN_FORMS, SECRET_NAME_RE, AppSpec, embedded_credential
from moorage.spec.source import KeyPath, SourceMap
from moorage.url_passwords import url_passwords


def validate_app(data: Any, smap: SourceMap) -> AppSpec:
    """Validate ``data`` as an AppSpec; raise :class:`InputError` with every problem located."""
    if not isinstance(data, dict):
        raise InputError([Diagnostic("error", "the file must be a mapping of keys (name:, services:, ...)",
                                     smap.locate(()), "see `moorage schema` for the layout")])
    try:
        app = AppSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(diagnostics_from_pydantic(exc, smap)) from None
    problems = image_problems(app, smap) + reference_problems(app, smap)
    if problems:
        raise InputError(problems)
    return app


def image_problems(app: AppSpec, smap: SourceMap) -> list[Diagnostic]:
    """Every service's and sidecar's `image` that is not an image reference (:mod:`moorage.spec.image_ref`):
    it would pass CloudFormation and fail only when tasks start."""
    refs: list[tuple[KeyPath, str]] = []
    for sname, svc in app.services.items():
        if svc.image is not None:
            refs.append((("services", sname, "image"), svc.image))
        refs += [(("services", sname, "sidecars", cname, "image"), car.image) for cname, car in svc.sidecars.items()]
    out = [Diagnostic("error", f"{ref!r} is not an image reference: it {why}", smap.locate(path), IMAGE_HINT)
           for path, ref in refs if (why := image_problem(ref))]
    return out + [Diagnostic("error", f"{ref!r} is pulled from {host}, this machine: a Fargate task runs in AWS and "
                             "can never pull from it", smap.locate(path), LOOPBACK_HINT)
                  for path, ref in refs if not image_problem(ref) and (host := loopback_registry(ref))]


def diagnostics_from_pydantic(exc: ValidationError, smap: SourceMap, prefix: KeyPath = ()) -> list[Diagnostic]:
    """One located diagnostic per pydantic error; unknown keys get a 'did you mean'."""
    out: list[Diagnostic] = []
    seen: set[tuple[KeyPath, str]] = set()
    for err in exc.errors(include_url=False):
        path = prefix + _data_path(err["loc"])
        etype = err["type"]
        hint = ""
        if etype == "extra_forbidden":
            key = str(path[-1]) if path else ""
            allowed = allowed_keys(AppSpec, path[len(prefix):-1])
            msg = f"unknown key {key!r}"
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            if close:
                hint = f"did you mean {close[0]!r}?"
            elif allowed:
                hint = "allowed here: " + ", ".join(sorted(allowed))
        elif etype == "missing":
            msg = f"missing required key {str(path[-1])!r}"
            hint = "see `moorage schema` for what each block needs"
        elif etype == "string_pattern_mismatch" and (err.get("ctx") or {}).get("pattern") in PATTERN_FORMS:
            what, example = PATTERN_FORMS[err["ctx"]["pattern"]]  # words, not the regular expression
            msg, hint = f"{err['input']!r} is not {what}", f"e.g. {example}"
        else:
            msg = _clean(err["msg"])
            hint = str((err.get("ctx") or {}).get("hint", ""))  # a custom error (PydanticCustomError) may give one
            if err.get("input") is not None and etype not in ("value_error", "assertion_error") and not hint \
                    and not isinstance(err["input"], dict | list):
                msg += f" (got {err['input']!r})"
        sig = (path, msg)
        if sig in seen:
            continue
        seen.add(sig)
        out.append(Diagnostic("error", msg, smap.locate(path), hint))
    return _drop_union_noise(out)


def _data_path(loc: tuple[Any, ...]) -> KeyPath:
    # pydantic adds union-branch names (e.g. 'str', 'HealthCheck', 'list[str]') to loc; drop them (a class name
    # has a lower-case letter: an upper-case data key such as GLACIER or DEBUG is kept)
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, int):
            out.append(part)
        elif re.match(r"^(str|int|float|bool|list\[.*\]|dict\[.*\]|literal\[.*\]|[A-Z]+[a-z][A-Za-z]*|function-.*)$",
                      str(part)):
            continue
        else:
            out.append(str(part))
    return tuple(out)


def _clean(msg: str) -> str:
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _drop_union_noise(diags: list[Diagnostic]) -> list[Diagnostic]:
    # For `str | Model` fields pydantic reports every branch; keep the most specific per location.
    by_key: dict[KeyPath, list[Diagnostic]] = {}
    paths = [d.location.path if d.location else () for d in diags]
    for d in diags:
        here = d.location.path if d.location else ()
        if d.message.startswith("Input should be") and any(len(p) > len(here) and p[:len(here)] == here
                                                           for p in paths):
            continue  # the branch the value was written for says what is wrong inside it (domain: {zone_id: ..})
        by_key.setdefault(d.location.path if d.location else (), []).append(d)
    out = []
    for group in by_key.values():
        specific = [d for d in group if not d.message.startswith(("Input should be a valid", "Input should be"))]
        out.extend(specific or [_accepted_forms(group)])
    return out


def _accepted_forms(group: list[Diagnostic]) -> Diagnostic:
    """One diagnostic for a value no branch of a union took: every accepted form, in words (no model names)."""
    if len(group) == 1:
        return group[0]
    got = re.search(r" \(got .*\)$", group[0].message)
    forms: list[str] = []
    for d in group:
        form = re.sub(r" \(got .*\)$", "", d.message).removeprefix("Input should be ")
        form = re.sub(r"^a valid dictionary or instance of \w+$", "a mapping of keys", form)
        form = re.sub(r"^a valid dictionary$", "a mapping of keys", form)
        form = re.sub(r"^a valid (\w)", lambda m: ("an " if m[1] in "aeiou" else "a ") + m[1], form)
        if form not in forms:
            forms.append(form)
    return Diagnostic("error", "expected " + ", or ".join(forms) + (got[0] if got else ""), group[0].location,
                      group[0].hint or "see `moorage schema` for this key's forms")


def allowed_keys(model: type[BaseModel], path: KeyPath) -> list[str]:
    """Field names allowed at ``path`` below ``model`` (for 'did you mean' hints)."""
    current: Any = model
    for part in path:
        current = _step(current, part)
        if current is None:
            return []
    models = [m for m in _flatten(current) if isinstance(m, type) and issubclass(m, BaseModel)]
    names: list[str] = []
    for m in models:
        names.extend(m.model_fields)
    return names


def _flatten(tp: Any) -> list[Any]:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in get_args(tp):
            out.extend(_flatten(arg))
        return out
    if origin is typing.Annotated:
        return _flatten(get_args(tp)[0])
    return [tp]


def _step(tp: Any, part: str | int) -> Any:
    for option in _flatten(tp):
        if isinstance(option, type) and issubclass(option, BaseModel) and isinstance(part, str):
            field = option.model_fields.get(part)
            if field is not None:
                return field.annotation
        origin = get_origin(option)
        if origin is dict and isinstance(part, str):
            return get_args(option)[1]
        if origin is list and isinstance(part, int):
            return get_args(option)[0]
    return None


# --------------------------------------------------------------------------- cross references


def reference_problems(app: AppSpec, smap: SourceMap) -> list[Diagnostic]:
    """Problems pydantic cannot see alone: names, references, cycles, routes, secrets in env."""
    out: list[Diagnostic] = []

    def err(path: KeyPath, msg: str, hint: str = "") -> None:
        out.append(Diagnostic("error", msg, smap.locate(path), hint))

    owner: dict[str, str] = {}
    for kind in ("services", *registry_blocks()):
        for name in getattr(app, kind):
            if name in owner:
                err((kind, name), f"name {name!r} is used by both {owner[name]} and {kind}",
                    "names must be unique across services, databases, caches and buckets: `uses` refers to them")
            owner.setdefault(name, kind)

    for sname, svc in app.services.items():
        for i, ref in enumerate(svc.uses):
            if ref in svc.uses[:i]:
                err(("services", sname, "uses", i), f"{ref!r} is listed twice in uses", "list each name once")
            elif ref == sname:
                err(("services", sname, "uses", i), "a service cannot use itself")
            elif ref not in owner:
                close = difflib.get_close_matches(ref, list(owner), n=1)
                err(("services", sname, "uses", i), f"uses {ref!r}, which is not defined",
                    f"did you mean {close[0]!r}?" if close else
                    "define it under services, databases, caches or buckets")
            elif owner[ref] == "services" and not app.services[ref].port:
                err(("services", sname, "uses", i), f"uses service {ref!r}, which has no port to talk to",
                    f"give {ref!r} a port, or drop it from uses")
        if svc.scaling is not None and svc.scaling.queue is not None:
            queue = svc.scaling.queue
            if owner.get(queue) != "queues":
                err(("services", sname, "scaling", "queue"), f"scaling follows {queue!r}, which is not a queue",
                    "name one of the top-level `queues:`")
            elif queue not in svc.uses:
                err(("services", sname, "scaling", "queue"), f"scaling follows queue {queue!r}, which the service "
                    "does not use", f"add {queue!r} to services.{sname}.uses")
        for env_var, secret in svc.secret_env.items():
            if secret not in app.secrets:
                path: KeyPath = ("services", sname, "secrets", env_var) if isinstance(svc.secrets, dict) else \
                    ("services", sname, "secrets", svc.secrets.index(secret))  # type: ignore[union-attr]
                err(path, f"secret {secret!r} is not defined", "declare it under the top-level `secrets:`")
        for i, name in enumerate(svc.config):
            if name not in app.config:
                err(("services", sname, "config", i), f"config {name!r} is not defined",
                    "declare it under the top-level `config:`")
            elif name in svc.env or name in svc.secret_env:
                err(("services", sname, "config", i), f"{name} is set both as config and as env or a secret")
        for key, value in svc.env.items():
            out.extend(_connection_ref_problems(app, smap, sname, key, value, owner))
            if key in svc.secret_env:
                err(("services", sname, "env", key), f"{key} is set both as plain env and as a secret")
            out.extend(_plain_credential_problems(smap, ("services", sname, "env", key), key, value))
        base: KeyPath = ("services", sname)
        out.extend(_command_credential_problems(smap, base + ("command",), svc.command))
        out.extend(_command_credential_problems(smap, base + ("entrypoint",), svc.entrypoint))
        if svc.healthcheck is not None:
            out.extend(_command_credential_problems(smap, base + ("healthcheck", "command"), svc.healthcheck.command))
        out.extend(_shell_problems(smap, base, svc.image, [("command", svc.command), ("entrypoint", svc.entrypoint),
                   ("healthcheck", svc.healthcheck.command if svc.healthcheck else None)]))
        for car_name, car in svc.sidecars.items():
            out.extend(_shell_problems(smap, base + ("sidecars", car_name), car.image, [("command", car.command)]))
            for key, value in car.env.items():
                out.extend(_plain_credential_problems(
                    smap, ("services", sname, "sidecars", car_name, "env", key), key, value))
            out.extend(_command_credential_problems(smap, base + ("sidecars", car_name, "command"), car.command))
    for bname, bucket in app.buckets.items():
        for sname in bucket.access:
            if sname not in app.services:
                err(("buckets", bname, "access", sname), f"access names service {sname!r}, which is not defined")
            elif bname not in app.services[sname].uses:
                err(("buckets", bname, "access", sname), f"service {sname!r} has access but does not use {bname!r}",
                    f"add {bname!r} to services.{sname}.uses")

    routes: dict[str, str] = {}
    for sname, svc in app.services.items():
        if svc.route:
            if svc.route in routes:
                err(("services", sname, "route"), f"route {svc.route!r} is already taken by {routes[svc.route]!r}",
                    "each path pattern can lead to one service only")
            routes.setdefault(svc.route, sname)

    out.extend(_rotation_account_problems(app, smap))

    cycle = _find_cycle({s: [u for u in svc.uses if u in app.services] for s, svc in app.services.items()})
    if cycle:
        err(("services", cycle[0], "uses"), "dependency cycle: " + " -> ".join(cycle),
            "services that use each other cannot be started in order; break the cycle")

    return out


def arn_account(arn: str | None) -> str | None:
    """The 12-digit account id in an ARN (``arn:PARTITION:SERVICE:REGION:ACCOUNT:...``), or None."""
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 and re.fullmatch(r"\d{12}", parts[4]) else None


def _rotation_account_problems(app: AppSpec, smap: SourceMap) -> list[Diagnostic]:
    """A rotation function in another account than the app's, when the spec names that account: the domain's
    certificate_arn (an ACM certificate serves a load balancer or CloudFront of its own account only). The stack
    grants Secrets Manager the right to invoke the function (lambda:AddPermission), which an account can do only
    on its own functions. No certificate ARN: the account is unknown here and nothing is said."""
    domain = app.domain_spec
    account = arn_account(domain.certificate_arn if domain else None)
    if account is None:
        return []
    out = []
    for name, secret in app.secrets.items():
        theirs = arn_account(secret.rotation_function)
        if theirs and theirs != account:
            out.append(Diagnostic(
                "error", f"secrets.{name}.rotation_function is in account {theirs}, this environment in {account} "
                "(the account of its domain.certificate_arn)", smap.locate(("secrets", name, "rotation_function")),
                f"Secrets Manager invokes the function from the secret's account, so the function needs a resource "
                f"policy allowing secretsmanager.amazonaws.com from {account}, and the deploy adds it "
                f"(lambda:AddPermission) only on a function of its own account: deploy the rotation function in "
                f"{account} and name that ARN"))
    return out


def _plain_credential_problems(smap: SourceMap, path: KeyPath, key: str, value: object) -> list[Diagnostic]:
    """Credentials written as plain text: a credential-named variable, or a URL with a password."""
    if not isinstance(value, str):
        return []
    literal = CONNECTION_REF_RE.sub("", value)  # references are wired at deploy time, not literal text
    if literal.strip() and SECRET_NAME_RE.search(key):
        return [Diagnostic("error", f"{key} looks like a credential but is plain text", smap.locate(path),
                           f"declare it under `secrets:` and list {key} in the service's `secrets:`; "
                           "plain env ends up in the template")]
    if url_passwords(CONNECTION_REF_RE.sub("ref", value)):
        return [Diagnostic("error", f"{key} holds a URL with a password in it", smap.locate(path),
                           "use `uses:` to wire a database or cache (moorage injects its URL as a secret)")]
    found = embedded_credential(CONNECTION_REF_RE.sub("ref", value))
    if found:
        return [Diagnostic("error", f"{key} holds {found} in plain text", smap.locate(path),
                           f"declare it under `secrets:` and list {key} in the service's `secrets:`; "
                           "plain env ends up in the template")]
    return []


def _command_credential_problems(smap: SourceMap, path: KeyPath, command: object) -> list[Diagnostic]:
    """Credentials written into a command, an entrypoint or a health check (they end up in the task
    definition, readable by anyone who can describe it)."""
    words = command if isinstance(command, list) else [command] if isinstance(command, str) else []
    found = embedded_credential(" ".join(str(w) for w in words))
    if not found:
        return []
    return [Diagnostic("error", f"{dotted(path[-1:])} holds {found} in plain text", smap.locate(path),
                       "put the credential under `secrets:`, list it in the service's `secrets:` (an environment "
                       "variable) and refer to it as $NAME in the command (CMD-SHELL / sh -c form)")]


_SHELLS = ("sh", "/bin/sh", "bash", "/bin/bash", "ash", "/bin/ash")


def shellless_image(image: str | None) -> bool:
    """True when ``image`` is known to have no /bin/sh (``data/shellless_images.yaml``: distroless, scratch,
    Chainguard), False when it has one or moorage cannot tell."""
    if not image:
        return False
    table = load_data("shellless_images")
    return any(re.search(p, image) for p in table["patterns"]) and not re.search(table["with_shell"], image)


def _shell_problems(smap: SourceMap, base: KeyPath, image: str | None,
                    commands: list[tuple[str, object]]) -> list[Diagnostic]:
    """A command run through a shell (``sh -c``, a CMD-SHELL health check; moorage's rewrite of a command
    that held a credential is one) in an image known to have no shell: the container cannot start it."""
    if not shellless_image(image):
        return []
    out = []
    for key, command in commands:
        words = _words(command)
        if key == "healthcheck" and words[:1] == ["CMD"]:  # CMD form: the program itself may be a shell
            words = words[1:]
        if key == "healthcheck" and words[:1] == ["CMD-SHELL"]:
            shell = "/bin/sh"
        elif words and words[0] in _SHELLS:
            shell = words[0] if words[0].startswith("/") else f"/bin/{words[0]}"
        else:
            continue
        path = base + (("healthcheck", "command") if key == "healthcheck" else (key,))
        out.append(Diagnostic(
                "error", f"{key} runs through {shell} (as written, or as moorage rewrote it to read a credential "
                f"from an environment variable), and image {image} has none (distroless, scratch and Chainguard "
                "images ship without a shell), so the container cannot run it", smap.locate(path),
                "use a variant with a shell (a :debug distroless tag, a Chainguard -dev image), or run the program "
                "directly in exec form and let it read the credential from its environment variable"))
    return out


def _words(command: object) -> list[str]:
    """A command's words: a list as written, a string split as resolve splits it (``sh -c '...'``)."""
    if isinstance(command, list):
        return [str(w) for w in command]
    if isinstance(command, str):
        try:
            return shlex.split(command)
        except ValueError:  # unbalanced quotes: nothing to tell from it here
            return []
    return []


def connection_refs(value: object) -> list[tuple[str, str]]:
    """The ``{{ name.attribute }}`` references in an env value."""
    return CONNECTION_REF_RE.findall(value) if isinstance(value, str) else []


def _connection_ref_problems(app: AppSpec, smap: SourceMap, sname: str, key: str, value: object,
                             owner: dict[str, str]) -> list[Diagnostic]:
    out = []
    path: KeyPath = ("services", sname, "env", key)
    for ref, attr in connection_refs(value):
        if ref not in owner:
            out.append(Diagnostic("error", f"{key} refers to {ref!r}, which is not defined", smap.locate(path)))
            continue
        kind = kind_of_block(owner[ref]) or owner[ref]
        allowed = attributes(kind)
        if attr not in allowed:
            out.append(Diagnostic("error", f"{key}: a {kind} has no attribute {attr!r}", smap.locate(path),
                                  "available: " + ", ".join(sorted(allowed))))
        elif ref not in app.services[sname].uses:
            out.append(Diagnostic("error", f"{key} refers to {ref!r}, which the service does not use",
                                  smap.locate(path), f"add {ref!r} to services.{sname}.uses"))
        elif kind == "database" and attr == "url" and app.databases[ref].password == "managed":
            out.append(Diagnostic("error", f"{key}: {ref} has password: managed, so RDS rotates it and a URL "
                                  "built at deploy time would go stale", smap.locate(path),
                                  f"use {{{{ {ref}.host }}}}, {{{{ {ref}.user }}}} and {{{{ {ref}.password }}}} "
                                  "(injected fresh at each task start)"))
        elif allowed[attr] == "secret" and CONNECTION_REF_RE.sub("", str(value)).strip():
            out.append(Diagnostic("error", f"{key}: {ref}.{attr} is a secret and must be the whole value",
                                  smap.locate(path), "ECS injects secrets as whole values; drop the text around it"))
    return out


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if state.get(nxt, 0) == 0:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node, 0) == 0:
            found = visit(node)
            if found:
                return found
    return None
