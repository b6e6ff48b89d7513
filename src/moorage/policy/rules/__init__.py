"""The deciding functions of the policy rules, one module per service; importing registers them."""

from moorage.policy.rules import (  # noqa: F401 - imported to register their checks
    ecr,
    ecs,
    efs,
    elasticache,
    elb,
    iam,
    kms,
    logs,
    monitoring,
    network,
    ports,
    rds,
    residency,
    routes,
    s3,
    secrets,
    sqs,
    waf,
)
