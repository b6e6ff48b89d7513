"""Policy: security, reliability and data-residency checks on CloudFormation templates.

The rules read CloudFormation (type + properties), so they judge exactly what is deployed, whether
moorage wrote it or not::

    from moorage.policy import check_template_sets
    from moorage.api import template_sets

    findings = check_template_sets(template_sets([Path("moorage.yml")], envs=["prod"]))

Findings are data (:class:`Finding`); :func:`run_checks` also returns every evaluation, which the
checklist (:func:`checklist`) and the JUnit report use.
"""

from moorage.policy.checklist import ChecklistItem, checklist
from moorage.policy.engine import check_template_sets, check_templates, locate, run_checks
from moorage.policy.findings import SEVERITIES, Evaluation, Finding, Report, Severity
from moorage.policy.registry import Rule, all_rules, checklist_items, get_rule
from moorage.policy.residency import allowed_regions
from moorage.policy.suppressions import Suppression, suppressions_from

__all__ = [
    "SEVERITIES", "ChecklistItem", "Evaluation", "Finding", "Report", "Rule", "Severity", "Suppression",
    "all_rules", "allowed_regions", "check_template_sets", "check_templates", "checklist", "checklist_items",
    "get_rule", "locate", "run_checks", "suppressions_from",
]
