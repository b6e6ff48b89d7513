"""EFS file systems and how ECS mounts them."""

from __future__ import annotations

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN, as_list, dig
from moorage.policy.checks import Outcome, issue, rule
from moorage.policy.rules.common import retains


@rule("MOO-EFS-001")
def encrypted(r: Resource) -> Outcome:
    if r.flag("Encrypted") or r.value("Encrypted") is UNKNOWN:
        return []
    return [issue("Encrypted is not true", "Properties")]


@rule("MOO-EFS-002")
def mounted_with_tls(r: Resource) -> Outcome:
    volumes = [(i, v) for i, v in enumerate(as_list(r.get("Volumes"))) if dig(v, "EFSVolumeConfiguration")]
    if not volumes:
        return None
    out = []
    for i, volume in volumes:
        mode = r.resolve(dig(volume, "EFSVolumeConfiguration", "TransitEncryption"))
        if mode is not UNKNOWN and mode != "ENABLED":
            out.append(issue(f"volume {dig(volume, 'Name') or i + 1} mounts EFS without TLS (TransitEncryption "
                             f"{mode or 'DISABLED'})", "Properties", "Volumes", i))
    return out


@rule("MOO-EFS-003")
def backups(r: Resource) -> Outcome:
    status = r.value("BackupPolicy", "Status")
    if status is UNKNOWN or status == "ENABLED":
        return []
    return [issue("automatic backups are off (BackupPolicy Status not ENABLED)", "Properties")]


@rule("MOO-EFS-004")
def retained(r: Resource) -> Outcome:
    return [issue(f"{p}: the files are deleted with the stack") for p in retains(r)]
