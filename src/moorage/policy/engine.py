"""Run the rules over template sets: every applicable rule on every resource, then suppressions."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

from moorage.cfn.index import Resource, SetIndex
from moorage.cfn.sets import TemplateSet
from moorage.cfn.values import chosen
from moorage.errors import Diagnostic, InputError, Location
from moorage.policy.findings import Evaluation, Finding, Report, Severity, Unchecked
from moorage.policy.registry import PSEUDO_TYPES, Issue, Rule, all_rules, opt_ins
from moorage.policy.scanner_skips import scanner_skips
from moorage.policy.suppressions import Suppression, suppressions_from

DEFAULT_PROFILE = "prod"  # bare templates with no manifest are held to production's bar
MAX_IF_CONDITIONS = 5  # Fn::If conditions in one resource whose combinations are all judged (2**5 = 32)


def check_template_sets(sets: Sequence[TemplateSet], *, suppressions: Iterable[Any] = (),
                        rules: Sequence[Rule] | None = None, default_profile: str = DEFAULT_PROFILE,
                        require: Collection[str] = ()) -> list[Finding]:
    """Findings (suppressed ones included, marked) of every rule on every template of ``sets``."""
    return run_checks(sets, suppressions=suppressions, rules=rules, default_profile=default_profile,
                      require=require).findings


def check_templates(templates: Mapping[str, dict[str, Any]], *, region: str = "us-east-1",
                    residency: Sequence[str] = (), profile: str = DEFAULT_PROFILE,
                    suppressions: Iterable[Any] = (), require: Collection[str] = ()) -> list[Finding]:
    """Findings for a dict of stack -> template deployed to ``region`` (a convenience for one set)."""
    tset = TemplateSet("templates", region, dict(templates), list(residency), profile)
    return check_template_sets([tset], suppressions=suppressions, require=require)


def run_checks(sets: Sequence[TemplateSet], *, suppressions: Iterable[Any] = (),
               rules: Sequence[Rule] | None = None, default_profile: str = DEFAULT_PROFILE,
               require: Collection[str] = ()) -> Report:
    """The full :class:`Report`: findings, every evaluation, what was checked, unused suppressions.

    ``suppressions``: :class:`Suppression` objects, dicts or spec models with ``rule``, ``reason`` and
    optional ``resource`` / ``environments``. Resources may also carry their own in
    ``Metadata: {moorage: {suppress: [{rule, reason}]}}``. ``require`` turns on opt-in rule groups
    (``cmk``: customer-managed KMS keys).
    """
    unknown = sorted(set(require) - set(opt_ins()))
    if unknown:
        raise InputError([Diagnostic("error", f"unknown requirement {', '.join(unknown)}", None,
                                     f"known: {', '.join(opt_ins())}")])
    active = [r for r in (rules if rules is not None else all_rules())
              if r.check is not None and (r.opt_in is None or r.opt_in in require)]
    known = [r.id for r in all_rules()]
    given = suppressions_from(suppressions, known, source="spec")
    report = Report()
    used: set[Suppression] = set()
    for tset in sets:
        index = SetIndex(tset, tset.profile or default_profile)
        report.sets.append({"label": tset.label, "region": tset.region, "profile": index.profile,
                            "required": sorted(require),
                            "residency": list(tset.residency), "stacks": list(tset.templates),
                            "regions": dict(tset.regions), "resources": len(index.resources)})
        by_type: dict[str, list[Rule]] = {}
        for res in [*index.ordered(), *index.entries]:
            why = unchecked_type(res.type)
            if why:
                report.unchecked.append(_unchecked(res, tset, *why))
            applicable = by_type.setdefault(res.type, [
                r for r in active if r.applies_to_type(res.type) and r.applies_to_profile(index.profile)
                and (index.residency or not r.residency)])
            if not applicable:
                continue
            variants = res.variants(MAX_IF_CONDITIONS)
            if variants is None:
                report.unchecked.append(_unchecked(
                    res, tset, "conditions", f"Fn::If on more than {MAX_IF_CONDITIONS} conditions: its branches "
                    "were not judged (values under Fn::If read as unknown)"))
                variants = [({}, res)]
            local = _metadata_suppressions(res, known, tset)
            blind: dict[str, list[Any]] = {}
            for rule in applicable:
                _evaluate(rule, res, variants, tset, local, given, used, report, blind)
            if blind:
                report.unchecked.append(_unchecked(res, tset, "unknown-value", _blind_reason(blind)))
    report.findings.sort(key=lambda f: (-f.severity.rank, f.label, f.stack, f.resource, f.rule, f.message))
    # A suppression of a rule that did not run (another standard, an opt-in not asked for) is not unused.
    ran = [r.id for r in active]
    report.unused_suppressions = [s.describe() for s in given
                                  if s not in used and any(fnmatchcase(r, s.rule) for r in ran)]
    report.scanner_skips = scanner_skips(sets)
    return report


def _evaluate(rule: Rule, res: Resource, variants: list[tuple[dict[str, bool], Resource]], tset: TemplateSet,
              local: list[Suppression], given: list[Suppression], used: set[Suppression], report: Report,
              blind: dict[str, list[Any]]) -> None:
    """Run ``rule`` on each Fn::If variant of ``res``; an issue found in only some is reported with its condition.

    A pass that read values only deployment knows is noted in ``blind`` (rule id -> those expressions).
    """
    assert rule.check is not None
    seen: dict[Issue, list[dict[str, bool]]] = {}
    applied = 0
    for assignment, variant in variants:
        variant.unknown_reads = []
        try:
            outcome = rule.check(variant)
            issues = None if outcome is None else list(outcome)
        except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
            report.evaluations.append(Evaluation(rule.id, tset.label, res.stack, res.id, res.type, "error",
                                                 f"{type(exc).__name__}: {exc}"))
            return
        finally:
            reads, variant.unknown_reads = variant.unknown_reads, None
        if issues is None:
            continue
        applied += 1
        if not issues and reads:
            blind.setdefault(rule.id, []).extend(r for r in reads if r not in blind.get(rule.id, []))
        for item in issues:
            seen.setdefault(item, []).append(assignment)
    if not applied:
        return
    report.evaluations.append(Evaluation(rule.id, tset.label, res.stack, res.id, res.type,
                                         "fail" if seen else "pass"))
    for item, where in seen.items():
        some = len(where) < applied  # found in some branches only: located in the first of them
        if some:
            item = replace(item, message=f"{item.message} (when {_when(where[0])})")
        finding = _finding(rule, res, tset, item, where[0] if some else None)
        match = next((s for s in (*local, *given) if s.matches(finding)), None)
        if match is not None:
            used.add(match)
            finding = replace(finding, suppressed=True, reason=match.reason, suppressed_by=match.source)
        report.findings.append(finding)


def _when(assignment: Mapping[str, bool]) -> str:
    """``condition IsProd is true`` (and the others) for a finding of one Fn::If branch."""
    return " and ".join(f"condition {n} is {'true' if v else 'false'}" for n, v in assignment.items())


@cache
def _known_types() -> frozenset[str]:
    return frozenset(t for r in all_rules() for t in r.types if t != "*" and t not in PSEUDO_TYPES)


def unchecked_type(resource_type: str) -> tuple[str, str] | None:
    """(kind, why) no rule can judge a resource of this type: a nested stack, a custom resource, a type
    outside AWS's (a registry or third-party type), an AWS type no rule reads; None when rules read it."""
    if resource_type == "AWS::CloudFormation::Stack":
        return "nested-stack", "nested stack: its template is not read here; run `moorage check` on the child template"
    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
        return "custom", ("custom resource: what it creates is decided by code behind its ServiceToken, "
                          "which no rule reads")
    if resource_type in PSEUDO_TYPES or resource_type in _known_types():
        return None
    if not resource_type.startswith("AWS::"):
        return "foreign-type", (f"{resource_type or 'no Type'} is not an AWS type: no rule reads it "
                                "(only secrets in its properties are scanned)")
    return "aws-type", f"no rule reads {resource_type} (only secrets in its properties are scanned)"


def _blind_reason(blind: Mapping[str, list[Any]]) -> str:
    """"MOO-RDS-001 passed without knowing Ref Encrypt, ..." for the rules that passed on deploy-time values."""
    exprs = sorted({_expression(e) for reads in blind.values() for e in reads})
    shown = ", ".join(exprs[:4]) + (f" and {len(exprs) - 4} more" if len(exprs) > 4 else "")
    return f"{', '.join(sorted(blind))} passed without knowing {shown} (set at deploy time)"


def _expression(value: Any) -> str:
    """A short text of an intrinsic: ``Ref Encrypt``, ``Fn::GetAtt Db.Endpoint``."""
    if isinstance(value, Mapping) and len(value) == 1:
        fn, arg = next(iter(value.items()))
        text = ".".join(map(str, arg)) if fn == "Fn::GetAtt" and isinstance(arg, list) else str(arg)
        return f"{fn} {text if len(text) <= 40 else text[:37] + '...'}"
    return str(value)[:40]


def _unchecked(res: Resource, tset: TemplateSet, kind: str, reason: str) -> Unchecked:
    return Unchecked(tset.label, res.stack, res.id, res.type, reason, kind, tset.files.get(res.stack),
                     locate(tset.templates[res.stack], res.id, (), res.section))


def _finding(rule: Rule, res: Resource, tset: TemplateSet, item: Issue,
             assignment: Mapping[str, bool] | None = None) -> Finding:
    template = tset.templates[res.stack]
    return Finding(rule=rule.id, severity=Severity(item.severity or rule.severity), title=rule.title,
                   message=item.message, resource=res.id, resource_type=res.type, stack=res.stack, label=tset.label,
                   region=res.region, file=tset.files.get(res.stack),
                   line=locate(template, res.id, item.path, res.section, assignment))


def _metadata_suppressions(res: Resource, known: list[str], tset: TemplateSet) -> list[Suppression]:
    meta = res.body.get("Metadata")
    ours = meta.get("moorage") if isinstance(meta, Mapping) else None
    items = ours.get("suppress") if isinstance(ours, Mapping) else None
    if not items:
        return []
    file = tset.files.get(res.stack, f"{tset.label}/{res.stack}")
    where = Location(file, locate(tset.templates[res.stack], res.id, ("Metadata",)) or 0,
                     path=("Resources", res.id, "Metadata", "moorage", "suppress"))
    entries = [{**item, "resource": f"{res.stack}/{res.id}"} if isinstance(item, Mapping) else item
               for item in (items if isinstance(items, list) else [items])]
    return suppressions_from(entries, known, source="template", location=where)


def _line(node: Any) -> int | None:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None


def locate(template: Mapping[str, Any], logical_id: str, path: Sequence[str | int] = (),
           section: str = "Resources", assignment: Mapping[str, bool] | None = None) -> int | None:
    """1-based line of a resource (or of ``path`` under it) in a template read from a file; None otherwise.

    ``section`` "Parameters" / "Outputs" locates those entries; their ``path`` may start with
    "Properties" like a resource's (their fields are their pseudo resource's properties). ``assignment``
    (condition -> true/false): ``path`` is one in the Fn::If variant those conditions pick, so the walk goes into
    the branch each Fn::If on its way picks (and skips the list items AWS::NoValue drops) and ends on its line.
    """
    resources = template.get(section)
    if section != "Resources" and path[:1] == ("Properties",):
        path = path[1:]
    if not isinstance(resources, Mapping) or logical_id not in resources:
        return None
    line = next((_line(k) for k in resources if k == logical_id), None)
    node: Any = resources[logical_id]
    chosen_by = dict(assignment or {})
    for step in path:
        if isinstance(node, Mapping) and step in node:
            line = next((_line(k) for k in node if k == step), None) or line
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int):
            kept = [item for item in node if not chosen_by or chosen(item, chosen_by) is not None or item is None]
            if not 0 <= step < len(kept):
                break
            node = kept[step]
            line = _line(node) or line
        else:
            break
        node, line = _branch(node, chosen_by, line)
    return line


def _branch(node: Any, assignment: Mapping[str, bool], line: int | None) -> tuple[Any, int | None]:
    """The branch of ``node`` (an Fn::If on a condition of ``assignment``, nested ones too) and its line; ``node``
    and ``line`` as they are when it is no such Fn::If."""
    while isinstance(node, Mapping) and len(node) == 1 and "Fn::If" in node:
        arg = node["Fn::If"]
        if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str) and arg[0] in assignment):
            break
        index = 1 if assignment[arg[0]] else 2
        line = _line(arg[index]) or _scalar_branch_line(arg, index, line)
        node = arg[index]
    return node, line


def _scalar_branch_line(arg: list[Any], index: int, line: int | None) -> int | None:
    """The line of a branch the YAML reader kept no position for (true, 3): the line after the condition's name
    (or after the true branch) when the Fn::If is written one item a line, else the Fn::If's own line."""
    name = _line(arg[0])
    if name is None or line is None or name <= line:
        return line  # `!If [Cond, a, b]` on one line, or JSON: the property's line
    if index == 1:
        return name + 1
    end = getattr(arg[1], "end_mark", None)  # a multi-line true branch ends where the false one starts
    return end.line + 1 if end is not None and isinstance(arg[1], Mapping | list) else name + 2
