"""Generated CI/CD: GitHub Actions workflows, a GitLab CI pipeline, and the `ci` stack they assume roles in.

AWS access is OIDC only: the `ci` stack holds the identity provider (or uses an existing one), one deploy role
per environment whose trust names the repository and the environment (GitHub) or branch (GitLab), a read-only
review role for pull requests, and the CloudFormation execution role that alone holds the resource permissions.
"""

from moorage.ci.pipeline import CiSettings, ci_settings

__all__ = ["CiSettings", "ci_settings"]
