#!/usr/bin/env python3
"""Check the emulator's realistic mode (scripts/realistic.py), behaviour by behaviour.

Starts scripts/moto_server.py on a free loopback port with BERTH_EMULATOR_REALISTIC=1 and
BERTH_EMULATOR_SCALE=0.02, checks each behaviour before its duration has passed and after, prints
one line per behaviour, kills the server and exits non-zero if anything failed. Plain python3 and
boto3 (which moto installs); about 30 s.

    python3 scripts/test_realistic.py
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import traceback
import urllib.request
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

HERE = Path(__file__).resolve().parent
SCALE = 0.02
REGION = "eu-west-2"
DURATIONS = {k: v["seconds"] * SCALE for k, v in json.loads((HERE / "realistic_durations.json").read_text()).items()}
MARGIN = 0.15  # seconds past a duration before checking the state after it


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def after(start, key):
    """Sleep until the duration `key` has passed since `start` (a time.monotonic())."""
    delay = start + DURATIONS[key] + MARGIN - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def before(start, key, what):
    """Fail if the duration `key` has already passed: the 'before' check would prove nothing."""
    check(time.monotonic() - start < DURATIONS[key], f"{what}: checked too late ({key} already over)")


RAW = {}  # service -> (status, body) of the last response, for checking the wire format


def expect_error(call, code, contains=None, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        check(got == code, f"{call.__name__}: expected {code}, got {got}: {e}")
        check(status == 400, f"{call.__name__}: expected HTTP 400, got {status}")
        message = e.response["Error"].get("Message", "")
        check(contains is None or contains in message, f"{call.__name__}: message {message!r} lacks {contains!r}")
        return message
    raise Failure(f"{call.__name__}: expected {code}, but it succeeded")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server():
    port = free_port()
    env = dict(os.environ, BERTH_EMULATOR_REALISTIC="1", BERTH_EMULATOR_SCALE=str(SCALE),
               MOTO_ECS_SERVICE_RUNNING="2", MOTO_ACM_VALIDATION_WAIT="1")
    log = open(os.environ.get("REALISTIC_TEST_LOG", os.devnull), "w")
    proc = subprocess.Popen([sys.executable, str(HERE / "moto_server.py"), "-H", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
            return proc, url
        except Exception:
            if proc.poll() is not None:
                raise SystemExit(f"moto_server.py exited with {proc.returncode}")
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("moto_server.py did not answer within 30 s")


class Aws:
    def __init__(self, url):
        kw = dict(region_name=REGION, endpoint_url=url, aws_access_key_id="testing",
                  aws_secret_access_key="testing")
        for name in ("ec2", "ecs", "elbv2", "autoscaling", "iam", "logs", "servicediscovery", "acm", "route53"):
            client = boto3.client(name, **kw)
            client.meta.events.register("before-parse", self._record(name))
            setattr(self, name, client)
        self.sd = self.servicediscovery
        self.n = 0

    @staticmethod
    def _record(name):
        def hook(response_dict, **_):
            RAW[name] = (response_dict["status_code"], response_dict["body"].decode(errors="replace"))
        return hook

    def name(self, prefix):
        self.n += 1
        return f"{prefix}-{self.n}"

    # -- fixtures --------------------------------------------------------------------------------
    def vpc(self, cidr):
        vpc = self.ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        base = cidr.rsplit(".", 2)[0]
        subnets = [self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base}.{i}.0/24",
                                          AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
                   for i, az in ((1, "a"), (2, "b"))]
        sg = self.ec2.create_security_group(GroupName=self.name("sg"), Description="x", VpcId=vpc)["GroupId"]
        igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        return vpc, subnets, sg, igw

    def task_definition(self):
        return self.ecs.register_task_definition(
            family=self.name("td"), networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", containerDefinitions=[{"name": "app", "image": "nginx", "essential": True,
                                                 "portMappings": [{"containerPort": 80}]}],
        )["taskDefinition"]["taskDefinitionArn"]

    def service(self, cluster, td, subnets, sg, desired=1, **kw):
        return self.ecs.create_service(
            cluster=cluster, serviceName=self.name("svc"), taskDefinition=td, desiredCount=desired,
            launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                "subnets": subnets, "securityGroups": [sg], "assignPublicIp": "DISABLED"}}, **kw,
        )["service"]

    def describe_service(self, cluster, name):
        return self.ecs.describe_services(cluster=cluster, services=[name])["services"][0]

    def launch_template(self, profile=None):
        data = {"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"}
        if profile:
            data["IamInstanceProfile"] = {"Name": profile}
        return self.ec2.create_launch_template(LaunchTemplateName=self.name("lt"), LaunchTemplateData=data
                                               )["LaunchTemplate"]["LaunchTemplateId"]

    def asg(self, name, lt, subnet):
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name, MinSize=0, MaxSize=1, DesiredCapacity=0, VPCZoneIdentifier=subnet,
            LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Latest"})


# ==================================================================================================
def check_nat_gateway(aws):
    vpc, subnets, _, igw = aws.vpc("10.1.0.0/16")
    alloc = aws.ec2.allocate_address(Domain="vpc")["AllocationId"]
    t0 = time.monotonic()
    nat = aws.ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=alloc)["NatGateway"]["NatGatewayId"]
    time.sleep(0.1)  # past ec2_visibility

    def state():
        return aws.ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"]

    check(state() == "pending", f"new NAT gateway is {state()}, not pending")
    expect_error(aws.ec2.release_address, "InvalidIPAddress.InUse", AllocationId=alloc)
    check(RAW["ec2"][0] == 400 and "<Code>InvalidIPAddress.InUse</Code>" in RAW["ec2"][1], "EC2 error is not query XML")
    expect_error(aws.ec2.detach_internet_gateway, "DependencyViolation", "has some mapped public address(es)",
                 InternetGatewayId=igw, VpcId=vpc)
    before(t0, "nat_create", "NAT pending")
    after(t0, "nat_create")
    check(state() == "available", f"NAT gateway is {state()} after nat_create, not available")
    t1 = time.monotonic()
    aws.ec2.delete_nat_gateway(NatGatewayId=nat)
    check(state() == "deleting", f"deleted NAT gateway is {state()}, not deleting")
    expect_error(aws.ec2.release_address, "InvalidIPAddress.InUse", AllocationId=alloc)
    expect_error(aws.ec2.detach_internet_gateway, "DependencyViolation", InternetGatewayId=igw, VpcId=vpc)
    before(t1, "nat_delete", "NAT deleting")
    after(t1, "nat_delete")
    check(state() == "deleted", f"NAT gateway is {state()} after nat_delete, not deleted")
    aws.ec2.release_address(AllocationId=alloc)
    aws.ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    return "pending->available, deleting->deleted; EIP release and IGW detach refused meanwhile"


def check_load_balancer(aws):
    vpc, subnets, sg, igw = aws.vpc("10.2.0.0/16")
    t0 = time.monotonic()
    lb = aws.elbv2.create_load_balancer(Name=aws.name("alb"), Subnets=subnets, SecurityGroups=[sg],
                                        Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    arn = lb["LoadBalancerArn"]

    def state():
        return aws.elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"]

    check(lb["State"]["Code"] == "provisioning", "CreateLoadBalancer did not answer provisioning")
    check(state() == "provisioning", f"new ALB is {state()}, not provisioning")
    before(t0, "alb_create", "ALB provisioning")
    after(t0, "alb_create")
    check(state() == "active", f"ALB is {state()} after alb_create")
    t1 = time.monotonic()
    aws.elbv2.delete_load_balancer(LoadBalancerArn=arn)
    expect_error(aws.ec2.delete_security_group, "DependencyViolation", f"resource {sg} has a dependent object", GroupId=sg)
    expect_error(aws.ec2.delete_subnet, "DependencyViolation", "has dependencies", SubnetId=subnets[0])
    expect_error(aws.ec2.detach_internet_gateway, "DependencyViolation", "has some mapped public address(es)",
                 InternetGatewayId=igw, VpcId=vpc)
    expect_error(aws.ec2.delete_vpc, "DependencyViolation", VpcId=vpc)
    before(t1, "alb_eni_linger", "ALB ENIs")
    after(t1, "alb_eni_linger")
    aws.ec2.delete_security_group(GroupId=sg)
    aws.ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    for subnet in subnets:
        aws.ec2.delete_subnet(SubnetId=subnet)
    aws.ec2.delete_vpc(VpcId=vpc)
    return "provisioning->active; SG/subnet/IGW/VPC deletes refused while its ENIs linger, then allowed"


def check_task_enis(aws):
    _, subnets, sg, _ = aws.vpc("10.3.0.0/16")
    cluster = aws.ecs.create_cluster(clusterName=aws.name("cl"))["cluster"]["clusterName"]
    td = aws.task_definition()
    name = aws.service(cluster, td, subnets[:1], sg, desired=1)["serviceName"]
    expect_error(aws.ec2.delete_security_group, "DependencyViolation", GroupId=sg)  # running tasks
    aws.ecs.update_service(cluster=cluster, service=name, desiredCount=0)
    expect_error(aws.ec2.delete_security_group, "DependencyViolation", GroupId=sg)  # stopped, ENIs linger
    t0 = time.monotonic()
    deleted = aws.ecs.delete_service(cluster=cluster, service=name, force=True)["service"]
    check(deleted["status"] == "DRAINING", f"DeleteService answered {deleted['status']}, not DRAINING")
    check(aws.describe_service(cluster, name)["status"] == "DRAINING", "deleted service is not DRAINING")
    expect_error(aws.ec2.delete_security_group, "DependencyViolation", f"resource {sg} has a dependent object", GroupId=sg)
    expect_error(aws.ec2.delete_subnet, "DependencyViolation", SubnetId=subnets[0])
    before(t0, "service_drain", "service DRAINING")
    after(t0, "service_drain")
    status = aws.describe_service(cluster, name)["status"]
    check(status == "INACTIVE", f"service is {status} after service_drain")
    expect_error(aws.ec2.delete_security_group, "DependencyViolation", GroupId=sg)
    before(t0, "task_eni_linger", "task ENIs")
    after(t0, "task_eni_linger")
    aws.ec2.delete_security_group(GroupId=sg)
    aws.ec2.delete_subnet(SubnetId=subnets[0])
    return "DRAINING->INACTIVE; task ENIs hold SG and subnet while running, after scale-to-0 and delete, until task_eni_linger"


def check_steady_state(aws):
    _, subnets, sg, _ = aws.vpc("10.4.0.0/16")
    cluster = aws.ecs.create_cluster(clusterName=aws.name("cl"))["cluster"]["clusterName"]
    td = aws.task_definition()
    t0 = time.monotonic()
    created = aws.service(cluster, td, subnets, sg, desired=3)
    name = created["serviceName"]
    check(created["runningCount"] == 0 and created["deployments"][0]["rolloutState"] == "IN_PROGRESS",
          "CreateService answered a finished rollout")
    s = aws.describe_service(cluster, name)
    primary = s["deployments"][0]
    check(primary["status"] == "PRIMARY" and primary["rolloutState"] == "IN_PROGRESS",
          f"new deployment is {primary.get('rolloutState')}")
    check(primary["runningCount"] == 0 and s["runningCount"] == 0 and s["pendingCount"] == 3,
          f"new service runs {s['runningCount']} tasks")
    before(t0, "service_steady", "rollout")
    after(t0, "service_steady")
    s = aws.describe_service(cluster, name)
    check(len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED",
          f"rollout not COMPLETED after service_steady: {s['deployments']}")
    check(s["runningCount"] == 3 and s["deployments"][0]["runningCount"] == 3, "running != desired after steady")
    old_id = s["deployments"][0]["id"]
    t1 = time.monotonic()
    aws.ecs.update_service(cluster=cluster, service=name, forceNewDeployment=True)
    s = aws.describe_service(cluster, name)
    primary = [d for d in s["deployments"] if d["status"] == "PRIMARY"]
    active = [d for d in s["deployments"] if d["status"] == "ACTIVE"]
    check(len(primary) == 1 and primary[0]["rolloutState"] == "IN_PROGRESS" and primary[0]["id"] != old_id,
          f"UpdateService did not start a new deployment: {s['deployments']}")
    check(len(active) == 1 and active[0]["id"] == old_id and s["runningCount"] == 3,
          "the old deployment is not ACTIVE with its tasks running")
    before(t1, "service_steady", "second rollout")
    after(t1, "service_steady")
    s = aws.describe_service(cluster, name)
    check(len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED",
          "second rollout not COMPLETED")
    return "IN_PROGRESS with 0 running -> COMPLETED with running=desired; UpdateService restarts it"


def check_target_group_association(aws):
    vpc, subnets, sg, _ = aws.vpc("10.5.0.0/16")
    cluster = aws.ecs.create_cluster(clusterName=aws.name("cl"))["cluster"]["clusterName"]
    td = aws.task_definition()
    tg = aws.elbv2.create_target_group(Name=aws.name("tg"), Protocol="HTTP", Port=80, VpcId=vpc,
                                       TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    lbs = [{"targetGroupArn": tg, "containerName": "app", "containerPort": 80}]
    expect_error(aws.service, "InvalidParameterException",
                 f"The target group with targetGroupArn {tg} does not have an associated load balancer.",
                 cluster=cluster, td=td, subnets=subnets, sg=sg, loadBalancers=lbs)
    body = json.loads(RAW["ecs"][1])
    check(RAW["ecs"][0] == 400 and body.get("__type", "").endswith("InvalidParameterException"),
          f"ECS error is not JSON with __type: {RAW['ecs']}")
    lb = aws.elbv2.create_load_balancer(Name=aws.name("alb"), Subnets=subnets, SecurityGroups=[sg])
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    aws.elbv2.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    state = aws.elbv2.describe_load_balancers(LoadBalancerArns=[lb_arn])["LoadBalancers"][0]["State"]["Code"]
    aws.service(cluster, td, subnets, sg, loadBalancers=lbs)
    return f"refused without a listener; accepted once one forwards to it (ALB still {state})"


def check_capacity_provider_strategy(aws):
    _, subnets, sg, _ = aws.vpc("10.6.0.0/16")
    cluster = aws.ecs.create_cluster(clusterName=aws.name("cl"))["cluster"]["clusterName"]
    td = aws.task_definition()
    message = "cannot contain a capacity provider that is not associated with the cluster"

    def create(provider):
        return aws.ecs.create_service(
            cluster=cluster, serviceName=aws.name("svc"), taskDefinition=td, desiredCount=1,
            capacityProviderStrategy=[{"capacityProvider": provider, "weight": 1}],
            networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [sg]}})

    expect_error(create, "InvalidParameterException", message, provider="FARGATE")
    expect_error(create, "InvalidParameterException", message, provider="some-provider")
    aws.ecs.put_cluster_capacity_providers(cluster=cluster, capacityProviders=["FARGATE"],
                                           defaultCapacityProviderStrategy=[])
    create("FARGATE")
    expect_error(create, "InvalidParameterException", message, provider="FARGATE_SPOT")
    return "FARGATE and custom providers refused until associated with the cluster"


def check_cluster_attachments(aws):
    cluster = aws.ecs.create_cluster(clusterName=aws.name("cl"))["cluster"]["clusterName"]

    def status():
        return aws.ecs.describe_clusters(clusters=[cluster])["clusters"][0].get("attachmentsStatus")

    put = aws.ecs.put_cluster_capacity_providers
    t0 = time.monotonic()
    put(cluster=cluster, capacityProviders=["FARGATE"], defaultCapacityProviderStrategy=[])
    check(status() == "UPDATE_IN_PROGRESS", f"attachmentsStatus is {status()} right after the put")
    expect_error(put, "UpdateInProgressException", "The specified cluster is in a busy state",
                 cluster=cluster, capacityProviders=["FARGATE", "FARGATE_SPOT"], defaultCapacityProviderStrategy=[])
    before(t0, "cluster_attach", "attachments")
    after(t0, "cluster_attach")
    check(status() == "UPDATE_COMPLETE", f"attachmentsStatus is {status()} after cluster_attach")
    put(cluster=cluster, capacityProviders=["FARGATE", "FARGATE_SPOT"], defaultCapacityProviderStrategy=[])
    return "UPDATE_IN_PROGRESS (second put refused) -> UPDATE_COMPLETE"


def check_capacity_provider_delete(aws):
    _, subnets, _, _ = aws.vpc("10.7.0.0/16")
    lt = aws.launch_template()
    group = aws.name("asg")
    aws.asg(group, lt, subnets[0])
    group_arn = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group]
                                                             )["AutoScalingGroups"][0]["AutoScalingGroupARN"]
    name = aws.name("cp")

    def create():
        return aws.ecs.create_capacity_provider(name=name, autoScalingGroupProvider={"autoScalingGroupArn": group_arn})

    def describe():
        return aws.ecs.describe_capacity_providers(capacityProviders=[name])

    create()
    t0 = time.monotonic()
    aws.ecs.delete_capacity_provider(capacityProvider=name)
    found = describe()["capacityProviders"]
    check(len(found) == 1 and found[0]["status"] == "ACTIVE" and found[0].get("updateStatus") == "DELETE_IN_PROGRESS",
          f"deleted provider reads {found}")
    expect_error(create, "ClientException", "The specified capacity provider already exists")
    before(t0, "cp_delete", "capacity provider delete")
    after(t0, "cp_delete")
    answer = describe()
    check(not answer["capacityProviders"] and answer["failures"], f"provider still listed: {answer}")
    create()
    return "ACTIVE/DELETE_IN_PROGRESS (name taken) -> gone"


def check_asg_delete(aws):
    _, subnets, _, _ = aws.vpc("10.8.0.0/16")
    lt = aws.launch_template()
    group = aws.name("asg")
    aws.asg(group, lt, subnets[0])

    def describe():
        return aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]

    t0 = time.monotonic()
    aws.autoscaling.delete_auto_scaling_group(AutoScalingGroupName=group, ForceDelete=True)
    groups = describe()
    check(len(groups) == 1 and groups[0].get("Status") == "Delete in progress", f"deleted group reads {groups}")
    expect_error(aws.asg, "AlreadyExists", name=group, lt=lt, subnet=subnets[0])
    before(t0, "asg_delete", "ASG delete")
    after(t0, "asg_delete")
    check(describe() == [], "group still listed after asg_delete")
    return "'Delete in progress' (name taken) -> gone"


def check_iam_propagation(aws):
    _, subnets, _, _ = aws.vpc("10.9.0.0/16")
    role = aws.name("role")
    aws.iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    profile = aws.name("profile")
    aws.iam.create_instance_profile(InstanceProfileName=profile)
    t0 = time.monotonic()
    aws.iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    lt = aws.launch_template(profile)
    group = aws.name("asg")
    expect_error(aws.asg, "ValidationError", "Invalid IAM Instance Profile name", name=group, lt=lt, subnet=subnets[0])
    check(RAW["autoscaling"][0] == 400 and "<Code>ValidationError</Code>" in RAW["autoscaling"][1],
          "Auto Scaling error is not query XML")
    before(t0, "iam_propagation", "IAM propagation")
    after(t0, "iam_propagation")
    aws.asg(group, lt, subnets[0])
    return "CreateAutoScalingGroup refused 'Invalid IAM Instance Profile name', then accepted"


def check_tiny_pages(aws):
    out = []
    # @paginate model (logs), with and without an explicit page size
    prefix = f"/berth/{aws.name('lg')}/"
    for i in range(5):
        aws.logs.create_log_group(logGroupName=f"{prefix}{i}")
    page = aws.logs.describe_log_groups(logGroupNamePrefix=prefix)
    check(len(page["logGroups"]) == 2 and page.get("nextToken"), f"logs page has {len(page['logGroups'])} items")
    allg = [g for p in aws.logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix) for g in p["logGroups"]]
    check(len(allg) == 5, f"paging log groups found {len(allg)} of 5")
    check(len(aws.logs.describe_log_groups(logGroupNamePrefix=prefix, limit=10)["logGroups"]) == 5, "limit=10 not honoured")
    out.append("DescribeLogGroups")
    # hand-paginated by moto (IAM ListRoles)
    path = f"/{aws.name('p')}/"
    for i in range(3):
        aws.iam.create_role(RoleName=aws.name("r"), Path=path, AssumeRolePolicyDocument="{}")
    page = aws.iam.list_roles(PathPrefix=path)
    check(len(page["Roles"]) == 2 and page["IsTruncated"], "ListRoles first page is not 2 items")
    roles = [r for p in aws.iam.get_paginator("list_roles").paginate(PathPrefix=path) for r in p["Roles"]]
    check(len(roles) == 3, f"paging roles found {len(roles)} of 3")
    out.append("ListRoles")
    # paginated here (ECS ListServices, Cloud Map ListNamespaces)
    _, subnets, sg, _ = aws.vpc("10.10.0.0/16")
    cluster = aws.ecs.create_cluster(clusterName=aws.name("cl"))["cluster"]["clusterName"]
    td = aws.task_definition()
    for _ in range(3):
        aws.service(cluster, td, subnets, sg, desired=0)
    page = aws.ecs.list_services(cluster=cluster)
    check(len(page["serviceArns"]) == 2 and page.get("nextToken"), "ListServices first page is not 2 items")
    arns = [a for p in aws.ecs.get_paginator("list_services").paginate(cluster=cluster) for a in p["serviceArns"]]
    check(len(arns) == 3 and len(set(arns)) == 3, f"paging services found {len(arns)} of 3")
    check(len(aws.ecs.list_services(cluster=cluster, maxResults=10)["serviceArns"]) == 3, "maxResults not honoured")
    out.append("ListServices")
    before_ns = [n for p in aws.sd.get_paginator("list_namespaces").paginate() for n in p["Namespaces"]]
    for _ in range(3):
        aws.sd.create_http_namespace(Name=aws.name("ns"))
    page = aws.sd.list_namespaces()
    check(len(page["Namespaces"]) == 2 and page.get("NextToken"), "ListNamespaces first page is not 2 items")
    names = [n for p in aws.sd.get_paginator("list_namespaces").paginate() for n in p["Namespaces"]]
    check(len(names) == len(before_ns) + 3, f"paging namespaces found {len(names)}")
    out.append("ListNamespaces")
    return "2 items a page, all found through the tokens: " + ", ".join(out)


def check_read_after_create(aws):
    ec2 = aws.ec2
    check(len(aws.first_vpcs) == 1, "the default VPC was hidden from the first describe")
    vpc = ec2.create_vpc(CidrBlock="10.11.0.0/16")["Vpc"]["VpcId"]
    nat_subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.11.250.0/24")["Subnet"]["SubnetId"]
    time.sleep(DURATIONS["ec2_visibility"] + 0.05)
    n = iter(range(1, 200))

    def nat():
        alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
        t = time.monotonic()
        nat_id = ec2.create_nat_gateway(SubnetId=nat_subnet, AllocationId=alloc)["NatGateway"]["NatGatewayId"]
        return nat_id, t

    def timed(create):
        def run():
            t = time.monotonic()
            return create(), t
        return run

    cases = [
        ("VPC", timed(lambda: ec2.create_vpc(CidrBlock=f"10.{100 + next(n)}.0.0/16")["Vpc"]["VpcId"]),
         ec2.describe_vpcs, "VpcIds", "vpc-id", "Vpcs", "InvalidVpcID.NotFound"),
        ("subnet", timed(lambda: ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.11.{next(n)}.0/24")["Subnet"]["SubnetId"]),
         ec2.describe_subnets, "SubnetIds", "subnet-id", "Subnets", "InvalidSubnetID.NotFound"),
        ("security group", timed(lambda: ec2.create_security_group(GroupName=aws.name("sg"), Description="x",
                                                                   VpcId=vpc)["GroupId"]),
         ec2.describe_security_groups, "GroupIds", "group-id", "SecurityGroups", "InvalidGroup.NotFound"),
        ("route table", timed(lambda: ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]),
         ec2.describe_route_tables, "RouteTableIds", "route-table-id", "RouteTables", "InvalidRouteTableID.NotFound"),
        ("internet gateway", timed(lambda: ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]),
         ec2.describe_internet_gateways, "InternetGatewayIds", "internet-gateway-id", "InternetGateways",
         "InvalidInternetGatewayID.NotFound"),
        ("NAT gateway", nat, ec2.describe_nat_gateways, "NatGatewayIds", "nat-gateway-id", "NatGateways",
         "NatGatewayNotFound"),
    ]
    seen = []
    window = DURATIONS["ec2_visibility"]
    for what, create, describe, ids, filter_name, key, code in cases:
        for attempt in range(5):  # the window is 40 ms at this scale: a slow round trip can miss it
            new_id, t0 = create()
            try:
                expect_error(describe, code, **{ids: [new_id]})
                filtered = describe(Filters=[{"Name": filter_name, "Values": [new_id]}])[key]
                if time.monotonic() - t0 < window:
                    check(filtered == [], f"{what}: describe by filter lists the new id")
                break
            except Failure:
                if time.monotonic() - t0 < window or attempt == 4:
                    raise
        after(t0, "ec2_visibility")
        check(len(describe(**{ids: [new_id]})[key]) == 1, f"{what}: still NotFound after ec2_visibility")
        check(len(describe(Filters=[{"Name": filter_name, "Values": [new_id]}])[key]) == 1,
              f"{what}: describe by filter still omits it after ec2_visibility")
        seen.append(code)
    return "NotFound by id (omitted by filter) right after create, then found: " + ", ".join(seen)


def check_endpoints_and_namespaces(aws):
    vpc, subnets, sg, _ = aws.vpc("10.13.0.0/16")
    t0 = time.monotonic()
    vpce = aws.ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.ecr.api",
                                       VpcEndpointType="Interface", SubnetIds=subnets[:1],
                                       SecurityGroupIds=[sg])["VpcEndpoint"]["VpcEndpointId"]
    gateway = aws.ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3",
                                          VpcEndpointType="Gateway")["VpcEndpoint"]["VpcEndpointId"]

    def state(endpoint):
        return aws.ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"][0]["State"]

    check(state(vpce) == "pending", f"interface endpoint is {state(vpce)}, not pending")
    check(state(gateway) == "available", "gateway endpoint is not available at once")
    t1 = time.monotonic()
    op = aws.sd.create_private_dns_namespace(Name=f"{aws.name('ns')}.internal", Vpc=vpc)["OperationId"]
    status = aws.sd.get_operation(OperationId=op)["Operation"]["Status"]
    check(status in ("SUBMITTED", "PENDING"), f"namespace operation is {status} at once")
    before(t1, "namespace_create", "namespace operation")
    after(t1, "namespace_create")
    status = aws.sd.get_operation(OperationId=op)["Operation"]["Status"]
    check(status == "SUCCESS", f"namespace operation is {status} after namespace_create")
    before(t0, "endpoint_create", "endpoint pending")
    after(t0, "endpoint_create")
    check(state(vpce) == "available", f"interface endpoint is {state(vpce)} after endpoint_create")
    return "interface endpoint pending->available; GetOperation SUBMITTED/PENDING->SUCCESS"


def check_certificate(aws):
    zone_name = f"{aws.name('acm')}.test"
    zone = aws.route53.create_hosted_zone(Name=zone_name, CallerReference=zone_name)["HostedZone"]["Id"]
    arn = aws.acm.request_certificate(DomainName=f"app.{zone_name}", ValidationMethod="DNS")["CertificateArn"]
    t0 = time.monotonic()  # after the call: the window opened inside it

    def describe():
        return aws.acm.describe_certificate(CertificateArn=arn)["Certificate"]

    options = describe()["DomainValidationOptions"]
    check(options and all("ResourceRecord" not in o for o in options), f"records right after the request: {options}")
    before(t0, "acm_records", "validation records")
    after(t0, "acm_records")
    record = describe()["DomainValidationOptions"][0]["ResourceRecord"]
    aws.route53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {
            "Name": record["Name"], "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": record["Value"]}]}}]})
    # ACM's clock starts when it first sees the record: the describe below.
    check(describe()["Status"] == "PENDING_VALIDATION", "issued the moment its record exists")
    t1 = time.monotonic()
    before(t1, "acm_issue", "ACM issuance")
    after(t1, "acm_issue")
    check(describe()["Status"] == "ISSUED", f"still {describe()['Status']} after acm_issue")

    vpc, subnets, sg, _ = aws.vpc("10.12.0.0/16")
    lb = aws.elbv2.create_load_balancer(Name=aws.name("alb"), Subnets=subnets, SecurityGroups=[sg],
                                        Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    listener = aws.elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Port=443, Protocol="HTTPS", Certificates=[{"CertificateArn": arn}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]["ListenerArn"]
    expect_error(aws.acm.delete_certificate, "ResourceInUseException", CertificateArn=arn)
    aws.elbv2.delete_listener(ListenerArn=listener)
    t2 = time.monotonic()
    expect_error(aws.acm.delete_certificate, "ResourceInUseException", CertificateArn=arn)
    before(t2, "cert_release", "certificate release")
    after(t2, "cert_release")
    aws.acm.delete_certificate(CertificateArn=arn)
    return "records after acm_records; ISSUED acm_issue after the CNAME; in use until cert_release after its listener"


CHECKS = [
    ("a", "NAT gateway", check_nat_gateway),
    ("b", "ALB", check_load_balancer),
    ("c", "service delete, task ENIs", check_task_enis),
    ("d", "service steady state", check_steady_state),
    ("e", "target group association", check_target_group_association),
    ("f", "capacity provider strategy", check_capacity_provider_strategy),
    ("g", "cluster attachments", check_cluster_attachments),
    ("h", "capacity provider delete", check_capacity_provider_delete),
    ("i", "Auto Scaling group delete", check_asg_delete),
    ("j", "IAM propagation", check_iam_propagation),
    ("k", "tiny pages", check_tiny_pages),
    ("l", "EC2 read-after-create", check_read_after_create),
    ("m", "VPC endpoint, Cloud Map operation", check_endpoints_and_namespaces),
    ("n", "ACM certificate", check_certificate),
]


def main():
    started = time.monotonic()
    proc, url = start_server()
    failed = 0
    try:
        aws = Aws(url)
        # The first call to each service builds its backend (up to a second): do it now, not
        # inside a timed window.
        aws.first_vpcs = aws.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        aws.ecs.list_clusters(), aws.elbv2.describe_load_balancers()
        aws.autoscaling.describe_auto_scaling_groups(), aws.iam.list_roles(), aws.logs.describe_log_groups()
        aws.sd.list_namespaces(), aws.acm.list_certificates(), aws.route53.list_hosted_zones()
        for letter, title, run in CHECKS:
            t = time.monotonic()
            try:
                detail = run(aws)
                print(f"PASS {letter}. {title}: {detail} ({time.monotonic() - t:.1f} s)", flush=True)
            except Exception as e:
                failed += 1
                print(f"FAIL {letter}. {title}: {e}", flush=True)
                if not isinstance(e, Failure):
                    traceback.print_exc()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(f"{len(CHECKS) - failed}/{len(CHECKS)} behaviours pass in {time.monotonic() - started:.1f} s "
          f"(scale {SCALE})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
