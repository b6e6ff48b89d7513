"""cfn-lint over templates: moorage's own, or any a user brings."""

from moorage.validate.lint import LintFinding, lint_directory, lint_template

__all__ = ["LintFinding", "lint_directory", "lint_template"]
