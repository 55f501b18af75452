"""What exists in ministack, for scripts/deploy-check.

    inventory.py save FILE            writes what exists now (before any deploy)
    inventory.py check FILE           exits 1, naming them, if resources exist now that FILE does not list
    inventory.py empty-tables STACK   deletes every item of the stack's DynamoDB tables

Looks at what a Serverless WebSocket stack creates: CloudFormation stacks
(other than deleted ones), WebSocket APIs, Lambda functions, DynamoDB tables,
IAM roles, S3 buckets and CloudWatch log groups. Talks to ministack with
botocore (ministack's own dependency) at DEPLOY_CHECK_ENDPOINT, trusting
DEPLOY_CHECK_CA.
"""

import json
import os
import sys

import botocore.session

SESSION = botocore.session.get_session()


def client(service):
    return SESSION.create_client(
        service,
        region_name=os.environ.get("DEPLOY_CHECK_REGION", "eu-west-1"),
        endpoint_url=os.environ["DEPLOY_CHECK_ENDPOINT"],
        verify=os.environ["DEPLOY_CHECK_CA"],
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def everything(service, operation, key, name=None):
    """Every item of a paginated list, by `name` (the item itself when None)."""
    paginator = service.get_paginator(operation) if service.can_paginate(operation) else None
    pages = paginator.paginate() if paginator else [getattr(service, operation)()]
    return sorted(item[name] if name else item for page in pages for item in page.get(key, []))


def inventory():
    stacks = [
        stack["StackName"]
        for stack in client("cloudformation").list_stacks()["StackSummaries"]
        if stack["StackStatus"] != "DELETE_COMPLETE"
    ]
    return {
        "CloudFormation stacks": sorted(stacks),
        "API Gateway v2 APIs": everything(client("apigatewayv2"), "get_apis", "Items", "Name"),
        "Lambda functions": everything(client("lambda"), "list_functions", "Functions", "FunctionName"),
        "DynamoDB tables": everything(client("dynamodb"), "list_tables", "TableNames"),
        "IAM roles": everything(client("iam"), "list_roles", "Roles", "RoleName"),
        "S3 buckets": everything(client("s3"), "list_buckets", "Buckets", "Name"),
        "CloudWatch log groups": everything(client("logs"), "describe_log_groups", "logGroups", "logGroupName"),
    }


def check(file):
    with open(file) as saved:
        before = json.load(saved)
    left = {kind: sorted(set(names) - set(before.get(kind, []))) for kind, names in inventory().items()}
    left = {kind: names for kind, names in left.items() if names}
    if left:
        print("Left behind after the removal:")
        for kind, names in left.items():
            print(f"  {kind}: {', '.join(names)}")
        sys.exit(1)
    print("Nothing left: no stack, API, function, table, role, bucket or log group.")


def empty_tables(stack):
    resources = client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    dynamodb = client("dynamodb")
    for resource in resources:
        if resource["ResourceType"] != "AWS::DynamoDB::Table":
            continue
        table = resource["PhysicalResourceId"]
        keys = [key["AttributeName"] for key in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]]
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                dynamodb.delete_item(TableName=table, Key={key: item[key] for key in keys})


def main():
    commands = {"save": None, "check": check, "empty-tables": empty_tables}
    if len(sys.argv) != 3 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    command, argument = sys.argv[1:]
    if command == "save":
        with open(argument, "w") as out:
            json.dump(inventory(), out)
    else:
        commands[command](argument)


if __name__ == "__main__":
    main()
