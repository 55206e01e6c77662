"""boto3 against a local moto server, for ferrocol's AWS tests.

Usage: aws_peer.py ENDPOINT COMMAND [ARGS...]

Credentials and region come from the usual AWS_* environment variables.

Commands:
  iam-user                  create an IAM user with an allow-all inline policy and an access key,
                            print {"access_key": ..., "secret_key": ...}, then switch moto's SigV4
                            verification on (POST /moto-api/reset-auth with 0)
  log-events GROUP STREAM   print the stream's events as JSON [{"timestamp", "message"}, ...]
  log-group GROUP           print {"retention": days|null, "tags": {...}} of the group
  put-parameter NAME VALUE TYPE   SSM PutParameter (TYPE: String or SecureString)
  get-parameter NAME        print the decrypted value of an SSM parameter
  put-object BUCKET KEY FILE      create BUCKET if needed, upload FILE as KEY
  role ROLE_NAME            create a role anyone may assume, print its ARN
"""
import json
import sys
import urllib.request

import boto3


def client(service, endpoint):
    return boto3.client(service, endpoint_url=endpoint)


def main():
    endpoint, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if command == "iam-user":
        iam = client("iam", endpoint)
        iam.create_user(UserName="ferrocol")
        iam.put_user_policy(
            UserName="ferrocol",
            PolicyName="all",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                }
            ),
        )
        key = iam.create_access_key(UserName="ferrocol")["AccessKey"]
        request = urllib.request.Request(
            endpoint + "/moto-api/reset-auth",
            data=b"0",
            headers={"Content-Type": "text/plain"},
            method="POST",
        )
        urllib.request.urlopen(request).read()
        print(json.dumps({"access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}))
    elif command == "log-events":
        group, stream = args
        logs = client("logs", endpoint)
        events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
        print(json.dumps([{"timestamp": e["timestamp"], "message": e["message"]} for e in events["events"]]))
    elif command == "group-events":
        # group-events GROUP [REGION]: every event of a group, in another region if given.
        group, region = args[0], (args[1] if len(args) > 1 else None)
        logs = boto3.client("logs", endpoint_url=endpoint, region_name=region)
        events = logs.filter_log_events(logGroupName=group)["events"]
        print(json.dumps([{"timestamp": e["timestamp"], "message": e["message"]} for e in events]))
    elif command == "log-group":
        (group,) = args
        logs = client("logs", endpoint)
        found = [g for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] if g["logGroupName"] == group]
        if not found:
            print(json.dumps(None))
            return
        tags = logs.list_tags_log_group(logGroupName=group).get("tags", {})
        print(json.dumps({"retention": found[0].get("retentionInDays"), "tags": tags}))
    elif command == "put-parameter":
        name, value, kind = args
        client("ssm", endpoint).put_parameter(Name=name, Value=value, Type=kind, Overwrite=True)
    elif command == "get-parameter":
        (name,) = args
        print(client("ssm", endpoint).get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"], end="")
    elif command == "put-object":
        bucket, key, path = args
        s3 = client("s3", endpoint)
        try:
            s3.create_bucket(Bucket=bucket)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            pass
        with open(path, "rb") as f:
            s3.put_object(Bucket=bucket, Key=key, Body=f.read())
    elif command == "role":
        (name,) = args
        iam = client("iam", endpoint)
        doc = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
        }
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(doc))["Role"]
        print(role["Arn"])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
