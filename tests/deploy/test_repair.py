"""Stuck and busy stacks, from recorded DescribeStacks responses (states the emulator cannot reach)."""

from __future__ import annotations

from datetime import UTC, datetime

from moorage.deploy.repair import diagnose
from moorage.deploy.stacks import Event, first_failure, parse_stack

STACK_ID = "arn:aws:cloudformation:eu-west-1:111122223333:stack/shop-prod-data/4e1a3b10-0000-11ef-9c5c-0a1b2c3d4e5f"


def recorded(status: str, reason: str = "") -> dict[str, object]:
    """A DescribeStacks ``Stacks[0]`` entry as boto3 returns it (recorded from AWS, identifiers changed)."""
    entry: dict[str, object] = {
        "StackId": STACK_ID, "StackName": "shop-prod-data", "ChangeSetId": "arn:aws:cloudformation:eu-west-1:"
        "111122223333:changeSet/moorage-1714000000000/0d9f", "Description": "databases",
        "Parameters": [{"ParameterKey": "IsolatedSubnets", "ParameterValue": "subnet-0a,subnet-0b"}],
        "CreationTime": datetime(2024, 4, 25, 9, 0, tzinfo=UTC),
        "LastUpdatedTime": datetime(2024, 4, 26, 14, 3, tzinfo=UTC),
        "RollbackConfiguration": {}, "StackStatus": status, "DisableRollback": False, "NotificationARNs": [],
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        "Outputs": [{"OutputKey": "DbDbHost", "OutputValue": "shop-prod-db.abc.eu-west-1.rds.amazonaws.com"}],
        "Tags": [{"Key": "moorage:app", "Value": "shop"}], "EnableTerminationProtection": False,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    if reason:
        entry["StackStatusReason"] = reason
    return entry


def test_update_rollback_failed_is_repaired_by_continuing_the_rollback() -> None:
    state = parse_stack(recorded("UPDATE_ROLLBACK_FAILED", "The following resource(s) failed to update: [DbDb]."))
    problem = diagnose(state)
    assert problem is not None and problem.fix == "continue-rollback"
    assert "continue-update-rollback --stack-name shop-prod-data" in problem.advice
    assert "DbDb" in problem.render() and "--repair" in problem.render()


def test_rollback_complete_is_an_empty_failed_create_to_delete() -> None:
    problem = diagnose(parse_stack(recorded("ROLLBACK_COMPLETE")))
    assert problem is not None and problem.fix == "delete"
    assert "can only be deleted" in problem.explanation


def test_busy_stack_is_refused_with_who_is_running() -> None:
    state = parse_stack(recorded("UPDATE_IN_PROGRESS"))
    assert state.busy and state.change_set_id.endswith("0d9f")
    problem = diagnose(state, "moorage 0.1.0 deploy of shop/prod at commit 1a2b3c")
    assert problem is not None and problem.fix == "none"
    assert "at commit 1a2b3c" in problem.render()


def test_healthy_states_are_not_problems() -> None:
    for status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"):
        assert diagnose(parse_stack(recorded(status))) is None, status
    assert diagnose(None) is None


def test_parse_stack_reads_outputs_parameters_and_tags() -> None:
    state = parse_stack(recorded("UPDATE_COMPLETE"))
    assert state.outputs == {"DbDbHost": "shop-prod-db.abc.eu-west-1.rds.amazonaws.com"}
    assert state.parameters == {"IsolatedSubnets": "subnet-0a,subnet-0b"}
    assert state.tags == {"moorage:app": "shop"} and state.deployed


def test_first_failure_skips_cancellations() -> None:
    def ev(logical: str, status: str, reason: str, rtype: str = "AWS::RDS::DBInstance") -> Event:
        return Event(logical, None, logical, rtype, status, reason)
    events = [ev("Subnets", "UPDATE_COMPLETE", ""),
              ev("Cache", "UPDATE_FAILED", "Resource update cancelled", "AWS::ElastiCache::ReplicationGroup"),
              ev("DbDb", "UPDATE_FAILED", "Cannot upgrade postgres from 16.2 to 15.4"),
              ev("shop-prod-data", "UPDATE_ROLLBACK_IN_PROGRESS", "", "AWS::CloudFormation::Stack")]
    failure = first_failure(events)
    assert failure is not None and failure.logical_id == "DbDb"


def test_advice_is_aimed_where_the_user_aimed() -> None:
    from moorage.deploy.session import Target

    aim = Target(local=True).aim("dev")
    assert aim == "--env dev --local"
    assert Target(profile="ops", region="eu-west-1").aim("prod") == "--env prod --profile ops --region eu-west-1"
    stuck = diagnose(parse_stack(recorded("ROLLBACK_COMPLETE")), aim=aim)
    assert stuck is not None and "`moorage deploy --env dev --local --repair`" in stuck.advice
    busy = diagnose(parse_stack(recorded("UPDATE_IN_PROGRESS")), aim=aim)
    assert busy is not None and "`moorage status --env dev --local`" in busy.advice
    half = diagnose(parse_stack(recorded("DELETE_FAILED")), aim=aim)
    assert half is not None and "`moorage destroy --env dev --local`" in half.advice


def test_aws_commands_in_the_advice_are_aimed_at_the_target() -> None:
    from moorage.deploy.session import Target

    local = Target(local=True, endpoint="http://127.0.0.1:4566")
    stuck = diagnose(parse_stack(recorded("ROLLBACK_COMPLETE")), aim=local.aim("dev"),
                     aws=lambda command: local.aws(command, "eu-west-1"))
    assert stuck is not None
    assert ("`AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws cloudformation delete-stack --stack-name "
            f"{stuck.stack} --region eu-west-1 --endpoint-url http://127.0.0.1:4566`") in stuck.advice
    profiled = Target(profile="ops", region="eu-central-1")
    failed = diagnose(parse_stack(recorded("UPDATE_ROLLBACK_FAILED")),
                      aws=lambda command: profiled.aws(command, "eu-west-1"))
    assert failed is not None and (f"`aws cloudformation continue-update-rollback --stack-name {failed.stack} "
                                   "--region eu-central-1 --profile ops`") in failed.advice


def test_restore_hints_are_aimed_at_the_target() -> None:
    from moorage.deploy.session import Target
    from moorage.deploy.snapshots import restore_hint

    entry = {"cluster": False, "identifier": "shop-dev-db", "database": "db"}
    local = restore_hint(Target(local=True, endpoint="http://127.0.0.1:4566"), "eu-west-1", entry, "snap-1")
    assert local == ("AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws rds "
                     "restore-db-instance-from-db-snapshot --db-snapshot-identifier snap-1 --db-instance-identifier "
                     "shop-dev-db-restored --region eu-west-1 --endpoint-url http://127.0.0.1:4566")
    cluster = restore_hint(Target(profile="ops"), "eu-west-1", {**entry, "cluster": True}, "snap-2")
    assert cluster.startswith("aws rds restore-db-cluster-from-snapshot --snapshot-identifier snap-2 ")
    assert cluster.endswith("--region eu-west-1 --profile ops")
