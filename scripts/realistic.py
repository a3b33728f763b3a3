"""Realistic mode for berth's emulator: moto made slow and strict the way AWS is.

moto answers every create with a finished resource and lets any delete through. Real AWS keeps
NAT gateways pending, ALBs provisioning and ECS deployments in progress for minutes, keeps ENIs
after their owner is gone (so security group, subnet, IGW and VPC deletes fail meanwhile), refuses
services whose target group has no load balancer yet, and returns lists a page at a time. This
module patches moto so the emulator behaves that way; `scripts/moto_server.py` calls
`apply_all()` when BERTH_EMULATOR_REALISTIC=1 and never otherwise.

One function per behaviour, each saying what AWS does and the evidence. Durations are real-world
seconds from realistic_durations.json times BERTH_EMULATOR_SCALE (default 0.05), measured with
time.monotonic() from the create or delete call. State lives in the module-level dicts below,
keyed by resource id (or ARN, or (account, region, name) where AWS keys by name); a
POST /moto-api/reset clears them with moto's own state.

Errors are moto's own exception classes (or the service's ServiceException base with AWS's code),
so moto serialises them per protocol exactly as it does its own: EC2 query XML, ECS JSON
`__type`, Auto Scaling query XML.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

PAGE_SIZE = 2
DURATIONS: dict[str, float] = {}  # key -> scaled seconds
SCALE = 0.05

_LOCK = threading.RLock()

# --- state, keyed by resource id ----------------------------------------------------------------
_NAT_PENDING: dict[str, float] = {}  # nat id -> end of `pending`
_NAT_DELETING: dict[str, float] = {}  # nat id -> end of `deleting`
_LB_PROVISIONING: dict[str, float] = {}  # load balancer arn -> end of `provisioning`
_LINGER: list[dict[str, Any]] = []  # ENIs that outlive their owner: account, region, until, vpc, subnets, sgs, public
_SERVICES: dict[str, dict[str, Any]] = {}  # ECS service arn -> steady_until, drain_until, ever_desired
_CLUSTER_ATTACH: dict[str, float] = {}  # cluster arn -> end of attachments UPDATE_IN_PROGRESS
_CP_DELETING: dict[tuple[str, str, str], tuple[Any, float]] = {}  # (account, region, name) -> (provider, end)
_ASG_DELETING: dict[tuple[str, str, str], float] = {}  # (account, region, group name) -> end
_IAM_PROPAGATING: dict[tuple[str, str], float] = {}  # (account, instance profile name) -> end
_EC2_INVISIBLE: dict[str, float] = {}  # new EC2 id -> end of NotFound window
_ENDPOINT_PENDING: dict[str, float] = {}  # vpce id -> end of `pending`
_SD_OPERATIONS: dict[str, tuple[float, float]] = {}  # Cloud Map operation id -> (start, end)
_ACM_RECORDS: dict[str, float] = {}  # certificate arn -> when its validation records appear
_ACM_ISSUE: dict[str, float] = {}  # certificate arn -> when ACM issues it (CNAMEs in place)
_ACM_IN_USE: dict[str, float] = {}  # certificate arn -> end of ResourceInUse after its listener

_ALL_STATE: list[Any] = [_NAT_PENDING, _NAT_DELETING, _LB_PROVISIONING, _LINGER, _SERVICES,
                         _CLUSTER_ATTACH, _CP_DELETING, _ASG_DELETING, _IAM_PROPAGATING,
                         _EC2_INVISIBLE, _ENDPOINT_PENDING, _SD_OPERATIONS, _ACM_RECORDS, _ACM_ISSUE,
                         _ACM_IN_USE]


def _now() -> float:
    return time.monotonic()


def _until(key: str) -> float:
    return _now() + DURATIONS[key]


def _active(deadline: float | None) -> bool:
    return deadline is not None and _now() < deadline


def load_durations() -> None:
    """Real-world seconds from realistic_durations.json, times BERTH_EMULATOR_SCALE."""
    global SCALE
    SCALE = float(os.environ.get("BERTH_EMULATOR_SCALE") or 0.05)
    raw = json.loads(Path(__file__).with_name("realistic_durations.json").read_text())
    for key, entry in raw.items():
        DURATIONS[key] = float(entry["seconds"]) * SCALE


# --- resources that hold ENIs ---------------------------------------------------------------------
def _lb_footprint(lb: Any) -> dict[str, Any]:
    return {
        "what": f"load balancer {lb.name}",
        "vpc": lb.vpc_id,
        "subnets": {s.id for s in lb.subnets},
        "sgs": set(lb.security_groups or []),
        "public": lb.scheme != "internal",
    }


def _service_footprint(service: Any, ec2: Any) -> dict[str, Any] | None:
    config = (service.network_configuration or {}).get("awsvpcConfiguration")
    if not config:
        return None
    subnets = set(config.get("subnets") or [])
    vpc = None
    for subnet_id in subnets:
        try:
            vpc = ec2.get_subnet(subnet_id).vpc_id
            break
        except Exception:
            continue
    return {
        "what": f"ECS service {service.name} tasks",
        "vpc": vpc,
        "subnets": subnets,
        "sgs": set(config.get("securityGroups") or []),
        "public": config.get("assignPublicIp") == "ENABLED",
    }


def _footprints(account: str, region: str) -> list[dict[str, Any]]:
    """Every set of ENIs that exists now in this account and region: NAT gateways not yet
    `deleted`, live load balancers, live awsvpc ECS services with tasks, and the ENIs that
    linger after a load balancer or a service was deleted."""
    from moto.ec2.models import ec2_backends
    from moto.ecs.models import ecs_backends
    from moto.elbv2.models import elbv2_backends

    ec2 = ec2_backends[account][region]
    found = []
    for nat in list(ec2.nat_gateways.values()):
        if nat.state != "deleted":
            found.append({"what": f"NAT gateway {nat.id}", "vpc": nat.vpc_id, "subnets": {nat.subnet_id},
                          "sgs": set(), "public": nat.connectivity_type != "private"})
    for lb in list(elbv2_backends[account][region].load_balancers.values()):
        found.append(_lb_footprint(lb))
    for service in list(ecs_backends[account][region].services.values()):
        if service.status == "ACTIVE" and (service.desired_count or 0) > 0:
            footprint = _service_footprint(service, ec2)
            if footprint:
                found.append(footprint)
    now = _now()
    with _LOCK:
        _LINGER[:] = [entry for entry in _LINGER if entry["until"] > now]
        found.extend(e for e in _LINGER if e["account"] == account and e["region"] == region)
    return found


def _linger(account: str, region: str, footprint: dict[str, Any], key: str) -> None:
    footprint = dict(footprint, account=account, region=region, until=_until(key))
    with _LOCK:
        _LINGER.append(footprint)


# ==================================================================================================
# a. NAT gateways
# ==================================================================================================
def patch_nat_gateway_lifecycle():
    """AWS: CreateNatGateway returns the gateway `pending`; it becomes `available` after one to two
    minutes. DeleteNatGateway moves it to `deleting` for about a minute, then `deleted` (still
    listed). Terraform waits pending -> available (10 min) and deleting -> deleted (30 min):
    internal/service/ec2 waitNATGatewayCreated / waitNATGatewayDeleted. moto answers `available`
    at once and `deleted` at once. The state is a property here, so DescribeNatGateways and its
    `state` filter both see it."""
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models import EC2Backend
    from moto.ec2.models.nat_gateways import NatGateway

    def get_state(self):
        deleting = _NAT_DELETING.get(self.id)
        if deleting is not None:
            return "deleting" if _now() < deleting else "deleted"
        if _active(_NAT_PENDING.get(self.id)):
            return "pending"
        return self.__dict__.get("state")

    def set_state(self, value):
        self.__dict__["state"] = value

    NatGateway.state = property(get_state, set_state)

    create = EC2Backend.create_nat_gateway
    delete = EC2Backend.delete_nat_gateway

    def create_nat_gateway(self, *args, **kwargs):
        nat = create(self, *args, **kwargs)
        _NAT_PENDING[nat.id] = _until("nat_create")
        return nat

    def delete_nat_gateway(self, nat_gateway_id):
        if nat_gateway_id not in self.nat_gateways:
            raise EC2ClientError("NatGatewayNotFound", f"The Nat Gateway {nat_gateway_id} was not found")
        result = delete(self, nat_gateway_id)
        with _LOCK:
            _NAT_DELETING.setdefault(nat_gateway_id, _until("nat_delete"))
        return result

    EC2Backend.create_nat_gateway = create_nat_gateway
    EC2Backend.delete_nat_gateway = delete_nat_gateway


def patch_eip_held_by_nat_gateway():
    """AWS ReleaseAddress API reference: 'you must disassociate the Elastic IP address before you
    can release it. Otherwise, Amazon EC2 returns an error (InvalidIPAddress.InUse).' A NAT
    gateway holds its EIP while pending, available and deleting; only once `deleted` is it
    free. moto releases it whatever holds it."""
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models import EC2Backend

    release = EC2Backend.release_address

    def release_address(self, address=None, allocation_id=None):
        alloc = allocation_id or next(
            (a.allocation_id for a in self.addresses if address and a.public_ip == address), None)
        if alloc:
            for nat in list(self.nat_gateways.values()):
                if nat.state != "deleted" and any(a.get("allocationId") == alloc for a in nat.address_set):
                    raise EC2ClientError("InvalidIPAddress.InUse",
                                         f"Address {address or alloc} is in use by {nat.id} ({nat.state}).")
        return release(self, address=address, allocation_id=allocation_id)

    EC2Backend.release_address = release_address


# ==================================================================================================
# a, b, c. ENIs that block security group, subnet, IGW and VPC deletes
# ==================================================================================================
def patch_dependency_violations():
    """AWS refuses to delete what an ENI still uses, with DependencyViolation (HTTP 400):
    DeleteSecurityGroup 'resource sg-x has a dependent object', DeleteSubnet 'The subnet
    'subnet-x' has dependencies and cannot be deleted.', DeleteVpc 'The vpc 'vpc-x' has
    dependencies and cannot be deleted.', and DetachInternetGateway, while a public address is
    mapped in the VPC, 'Network vpc-x has some mapped public address(es). Please unmap those
    public address(es) before detaching the gateway.' ENIs come from NAT gateways (until
    `deleted`), load balancers (and for minutes after DeleteLoadBalancer: the Terraform provider's
    aws_lb delete notes 'ALB automatically creates ENI(s) on creation but the cleanup is
    asynchronous and may take time which then blocks IGW, SG or VPC on deletion',
    internal/service/elbv2 cleanupALBNetworkInterfaces) and awsvpc ECS tasks (until their tasks
    have stopped, after DeleteService). Terraform's aws_security_group, aws_subnet and
    aws_internet_gateway deletes retry DependencyViolation for this reason (internal/service/ec2).
    moto checks none of this (it only refuses a VPC with subnets)."""
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.models import EC2Backend

    def blocking(backend, predicate):
        for footprint in _footprints(backend.account_id, backend.region_name):
            if predicate(footprint):
                return footprint
        return None

    delete_security_group = EC2Backend.delete_security_group
    delete_subnet = EC2Backend.delete_subnet
    delete_vpc = EC2Backend.delete_vpc
    detach_internet_gateway = EC2Backend.detach_internet_gateway

    def delete_security_group_(self, name=None, group_id=None):
        gid = group_id
        if not gid and name:
            group = self.get_security_group_by_name_or_id(name)
            gid = group.id if group else None
        if gid and blocking(self, lambda f: gid in f["sgs"]):
            raise DependencyViolationError(f"resource {gid} has a dependent object")
        return delete_security_group(self, name=name, group_id=group_id)

    def delete_subnet_(self, subnet_id):
        if blocking(self, lambda f: subnet_id in f["subnets"]):
            raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
        return delete_subnet(self, subnet_id)

    def delete_vpc_(self, vpc_id):
        if blocking(self, lambda f: f["vpc"] == vpc_id):
            raise DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        return delete_vpc(self, vpc_id)

    def detach_internet_gateway_(self, internet_gateway_id, vpc_id):
        if blocking(self, lambda f: f["public"] and f["vpc"] == vpc_id):
            raise DependencyViolationError(
                f"Network {vpc_id} has some mapped public address(es). "
                "Please unmap those public address(es) before detaching the gateway.")
        return detach_internet_gateway(self, internet_gateway_id, vpc_id)

    EC2Backend.delete_security_group = delete_security_group_
    EC2Backend.delete_subnet = delete_subnet_
    EC2Backend.delete_vpc = delete_vpc_
    EC2Backend.detach_internet_gateway = detach_internet_gateway_


# ==================================================================================================
# b. Load balancers
# ==================================================================================================
def patch_load_balancer_provisioning():
    """AWS: CreateLoadBalancer returns State.Code `provisioning`; an ALB becomes `active` after
    two to three minutes. Terraform waits provisioning -> active (internal/service/elbv2
    waitLoadBalancerActive, 10 min). moto turns it active on the first describe; here only once
    alb_create has passed (NLBs too: they provision the same way)."""
    from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer

    create = ELBv2Backend.create_load_balancer
    activate = FakeLoadBalancer.activate

    def create_load_balancer(self, *args, **kwargs):
        lb = create(self, *args, **kwargs)
        _LB_PROVISIONING[lb.arn] = _until("alb_create")
        return lb

    def activate_(self):
        if _active(_LB_PROVISIONING.get(self.arn)):
            return
        activate(self)

    ELBv2Backend.create_load_balancer = create_load_balancer
    FakeLoadBalancer.activate = activate_


def patch_load_balancer_enis_linger():
    """AWS: a load balancer's ENIs are released asynchronously, minutes after DeleteLoadBalancer
    (see patch_dependency_violations for the Terraform evidence). Until alb_eni_linger has passed
    its security groups, subnets and VPC stay in use, and an internet-facing one keeps public
    addresses mapped in the VPC. moto forgets it at once."""
    from moto.elbv2.models import ELBv2Backend

    delete = ELBv2Backend.delete_load_balancer

    def delete_load_balancer(self, arn):
        lb = self.load_balancers.get(arn)
        result = delete(self, arn)
        if lb is not None:
            _linger(self.account_id, self.region_name, _lb_footprint(lb), "alb_eni_linger")
            _LB_PROVISIONING.pop(arn, None)
        return result

    ELBv2Backend.delete_load_balancer = delete_load_balancer


# ==================================================================================================
# c, d. ECS services: rollout, drain, task ENIs
# ==================================================================================================
_NEW_DEPLOYMENT_KEYS = ("taskDefinition", "forceNewDeployment", "networkConfiguration",
                        "capacityProviderStrategy", "platformVersion", "loadBalancers",
                        "serviceRegistries", "serviceConnectConfiguration", "volumeConfigurations",
                        "launchType")


def patch_service_lifecycle():
    """AWS: a new deployment is IN_PROGRESS, with its tasks pending and runningCount 0, until the
    tasks run and pass their health checks (about two minutes); then rolloutState COMPLETED and
    running = desired. UpdateService that changes the task definition, network, capacity
    strategy... (or forceNewDeployment) starts a new PRIMARY deployment, the old one staying
    ACTIVE until the new one completes; any UpdateService restarts the clock here, since new
    tasks have to start. DeleteService answers DRAINING, and INACTIVE once its tasks have
    stopped (ECS API reference, DeleteService). An awsvpc service's task ENIs (see
    patch_dependency_violations) exist while it has tasks and linger task_eni_linger after
    DeleteService or an UpdateService to desiredCount 0. Terraform waits on both: internal/service/ecs
    waitServiceStable (wait_for_steady_state) and waitServiceInactive. moto, with
    MOTO_ECS_SERVICE_RUNNING=2, shows every deployment COMPLETED at once (rolloutState is
    COMPLETED when that count >= desired) and INACTIVE at once.

    Only what the API answers changes: Service.Meta.serialization_aliases points the response's
    status, runningCount, pendingCount and deployments at the properties below, so moto's own
    bookkeeping (cluster task counts, force_new_deployment) is untouched."""
    from moto.core.utils import utcnow
    from moto.ec2.models import ec2_backends
    from moto.ecs.models import EC2ContainerServiceBackend, Service
    from moto.ecs.responses import EC2ContainerServiceResponse
    from moto.moto_api._internal import mock_random

    def tracked(service):
        return _SERVICES.get(service.arn)

    def steady(state):
        return _now() >= state["steady_until"]

    def draining(state):
        return state.get("drain_until") is not None

    def realistic_status(self):
        state = tracked(self)
        if state and draining(state) and _now() < state["drain_until"]:
            return "DRAINING"
        return self.status

    def realistic_deployments(self):
        state = tracked(self)
        if state is None:
            return self.deployments
        done = steady(state)
        shown = []
        for deployment in self.deployments:
            copy = dict(deployment)
            if deployment.get("status") != "PRIMARY":
                if not done:
                    shown.append(copy)
                continue
            desired = self.desired_count
            copy["desiredCount"] = desired
            if done:
                copy.update(runningCount=desired, pendingCount=0, rolloutState="COMPLETED",
                            rolloutStateReason=f"ECS deployment {copy.get('id')} completed.")
            else:
                copy.update(runningCount=0, pendingCount=desired, rolloutState="IN_PROGRESS",
                            rolloutStateReason=f"ECS deployment {copy.get('id')} in progress.")
            shown.append(copy)
        return shown

    def realistic_running_count(self):
        state = tracked(self)
        if state is None:
            return self.running_count
        if draining(state):
            return 0
        if steady(state):
            return self.desired_count
        return sum(d.get("runningCount") or 0 for d in realistic_deployments(self) if d.get("status") != "PRIMARY")

    def realistic_pending_count(self):
        state = tracked(self)
        if state is None:
            return self.pending_count
        if draining(state) or steady(state):
            return 0
        return self.desired_count

    class Meta:
        serialization_aliases = {
            "status": "realistic_status",
            "deployments": "realistic_deployments",
            "runningCount": "realistic_running_count",
            "pendingCount": "realistic_pending_count",
        }

    Service.Meta = Meta
    Service.realistic_status = property(realistic_status)
    Service.realistic_deployments = property(realistic_deployments)
    Service.realistic_running_count = property(realistic_running_count)
    Service.realistic_pending_count = property(realistic_pending_count)

    create = EC2ContainerServiceBackend.create_service
    delete = EC2ContainerServiceBackend.delete_service
    update_response = EC2ContainerServiceResponse.update_service

    def create_service(self, *args, **kwargs):
        service = create(self, *args, **kwargs)
        _SERVICES[service.arn] = {"steady_until": _until("service_steady"), "drain_until": None,
                                  "ever_desired": (service.desired_count or 0) > 0}
        return service

    def delete_service(self, cluster_name, service_name, force):
        service = delete(self, cluster_name, service_name, force)
        with _LOCK:
            state = _SERVICES.setdefault(service.arn, {"steady_until": 0.0, "drain_until": None,
                                                       "ever_desired": True})
            first_delete = state["drain_until"] is None
            if first_delete:
                state["drain_until"] = _until("service_drain")
        footprint = _service_footprint(service, ec2_backends[self.account_id][self.region_name])
        if first_delete and footprint and state["ever_desired"]:
            _linger(self.account_id, self.region_name, footprint, "task_eni_linger")
        return service

    def update_service(self):
        params = self._get_params()
        cluster = params.get("cluster") or "default"
        name = str(params.get("service") or "").split("/")[-1]
        _check_capacity_provider_strategy(self.ecs_backend, cluster, params.get("capacityProviderStrategy"))
        _check_target_groups_associated(self, params.get("loadBalancers"))
        try:
            previous = self.ecs_backend._get_service(cluster, name)
            before, desired_before = realistic_deployments(previous), previous.desired_count or 0
        except Exception:
            before, desired_before = None, 0
        result = update_response(self)
        service = self.ecs_backend._get_service(cluster, name)
        if desired_before > 0 and not service.desired_count:
            # Scaled to zero: the tasks stop and their ENIs linger as after a delete.
            footprint = _service_footprint(service, ec2_backends[self.current_account][self.region])
            if footprint:
                _linger(self.current_account, self.region, footprint, "task_eni_linger")
        with _LOCK:
            state = _SERVICES.setdefault(service.arn, {"steady_until": 0.0, "drain_until": None,
                                                       "ever_desired": False})
            new_deployment = any(params.get(k) for k in _NEW_DEPLOYMENT_KEYS)
            primary = [d for d in service.deployments if d.get("status") == "PRIMARY"]
            if new_deployment and primary and before is not None:
                now = utcnow()
                task_definition = service.task_definition
                try:
                    task_definition = self.ecs_backend.describe_task_definition(task_definition).arn
                except Exception:
                    pass
                fresh = dict(primary[0], id=f"ecs-svc/{mock_random.randint(0, 32**12)}", createdAt=now,
                             updatedAt=now, taskDefinition=task_definition, status="PRIMARY")
                old = [dict(d, status="ACTIVE") for d in before]
                service.deployments = [fresh] + old
            state["steady_until"] = _until("service_steady")
            state["ever_desired"] = state["ever_desired"] or (service.desired_count or 0) > 0
        return result

    EC2ContainerServiceBackend.create_service = create_service
    EC2ContainerServiceBackend.delete_service = delete_service
    EC2ContainerServiceResponse.update_service = update_service


# ==================================================================================================
# e, f. CreateService checks
# ==================================================================================================
def _check_target_groups_associated(response, load_balancers):
    from moto.ecs.exceptions import InvalidParameterException
    from moto.elbv2.models import elbv2_backends

    elbv2 = elbv2_backends[response.current_account][response.region]
    for entry in load_balancers or []:
        arn = entry.get("targetGroupArn")
        if arn and arn in elbv2.target_groups and not elbv2._any_listener_using(arn):
            raise InvalidParameterException(
                f"The target group with targetGroupArn {arn} does not have an associated load balancer.")


def _check_capacity_provider_strategy(backend, cluster_str, strategy):
    from moto.ecs.exceptions import InvalidParameterException

    if not strategy:
        return
    try:
        cluster = backend._get_cluster(cluster_str or "default")
    except Exception:
        return  # moto's own ClusterNotFoundException follows
    associated = {str(p).split("/")[-1] for p in (cluster.capacity_providers or [])}
    for item in strategy:
        if str(item.get("capacityProvider") or "").split("/")[-1] not in associated:
            raise InvalidParameterException(
                "The specified capacity provider strategy cannot contain a capacity provider that is "
                "not associated with the cluster. Associate the capacity provider with the cluster "
                "or specify a valid capacity provider and try again.")


def patch_service_needs_associated_target_group():
    """AWS: CreateService (and UpdateService) with a target group that no listener or rule of a
    load balancer forwards to fails InvalidParameterException 'The target group with
    targetGroupArn <arn> does not have an associated load balancer.' Terraform retries exactly
    that message (internal/service/ecs service.go retryServiceCreate, and on update). Only the
    association counts: a load balancer still `provisioning` is accepted. moto accepts any target
    group. The association is computed live (moto's load_balancer_arns is never cleaned up)."""
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.create_service

    def create_service(self):
        _check_target_groups_associated(self, self._get_param("loadBalancers"))
        return original(self)

    EC2ContainerServiceResponse.create_service = create_service


def patch_service_capacity_provider_must_be_associated():
    """AWS: CreateService (and UpdateService) whose capacityProviderStrategy names a provider the
    cluster does not have in its capacityProviders fails InvalidParameterException 'The specified
    capacity provider strategy cannot contain a capacity provider that is not associated with the
    cluster. Associate the capacity provider with the cluster or specify a valid capacity provider
    and try again.' That holds for FARGATE and FARGATE_SPOT too: they must be put on the cluster
    (PutClusterCapacityProviders / CreateCluster capacityProviders) to be used in a strategy.
    moto accepts any name."""
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.create_service

    def create_service(self):
        _check_capacity_provider_strategy(self.ecs_backend, self._get_param("cluster", "default"),
                                          self._get_param("capacityProviderStrategy"))
        return original(self)

    EC2ContainerServiceResponse.create_service = create_service


# ==================================================================================================
# g, h. Cluster capacity providers
# ==================================================================================================
def patch_cluster_attachments_in_progress():
    """AWS: after PutClusterCapacityProviders (or CreateCluster with capacityProviders) the
    cluster's attachmentsStatus is UPDATE_IN_PROGRESS for a while, then UPDATE_COMPLETE; a second
    PutClusterCapacityProviders meanwhile fails UpdateInProgressException 'The specified cluster
    is in a busy state. Cluster attachments must be in UPDATE_COMPLETE or UPDATE_FAILED state
    before they can be updated.' Terraform retries UpdateInProgressException and then waits for
    the cluster (internal/service/ecs cluster_capacity_providers.go
    retryClusterCapacityProvidersPut, waitClusterAvailable). moto has no attachmentsStatus at all;
    DescribeClusters returns it here (without include=ATTACHMENTS, as AWS does)."""
    from moto.ecs.exceptions import ClusterNotFoundException, ECSException
    from moto.ecs.models import Cluster, EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    def attachments_status(self):
        end = _CLUSTER_ATTACH.get(self.arn)
        if end is None:
            return None
        return "UPDATE_IN_PROGRESS" if _now() < end else "UPDATE_COMPLETE"

    Cluster.attachments_status = property(attachments_status)

    create = EC2ContainerServiceBackend.create_cluster
    put = EC2ContainerServiceResponse.put_cluster_capacity_providers

    def create_cluster(self, *args, **kwargs):
        cluster = create(self, *args, **kwargs)
        if cluster.capacity_providers:
            _CLUSTER_ATTACH[cluster.arn] = _until("cluster_attach")
        else:
            _CLUSTER_ATTACH.pop(cluster.arn, None)
        return cluster

    def put_cluster_capacity_providers(self):
        try:
            cluster = self.ecs_backend._get_cluster(self._get_param("cluster"))
        except ClusterNotFoundException:
            return put(self)
        with _LOCK:
            if _active(_CLUSTER_ATTACH.get(cluster.arn)):
                raise ECSException(
                    "UpdateInProgressException",
                    "The specified cluster is in a busy state. Cluster attachments must be in "
                    "UPDATE_COMPLETE or UPDATE_FAILED state before they can be updated.")
            result = put(self)
            _CLUSTER_ATTACH[cluster.arn] = _until("cluster_attach")
        return result

    EC2ContainerServiceBackend.create_cluster = create_cluster
    EC2ContainerServiceResponse.put_cluster_capacity_providers = put_cluster_capacity_providers


def patch_capacity_provider_delete_in_progress():
    """AWS: DeleteCapacityProvider leaves the provider status ACTIVE with updateStatus
    DELETE_IN_PROGRESS until ECS has detached it, then it goes (INACTIVE). Terraform waits for it
    to leave ACTIVE (internal/service/ecs waitCapacityProviderDeleted, 20 min). Meanwhile its name
    is taken: CreateCapacityProvider fails ClientException 'The specified capacity provider
    already exists. To change the configuration of an existing capacity provider, update the
    capacity provider.' (ClientException is what the CreateCapacityProvider API reference lists
    for a request the client got wrong). moto forgets it at once."""
    from moto.ecs.exceptions import EcsClientException
    from moto.ecs.models import EC2ContainerServiceBackend

    create = EC2ContainerServiceBackend.create_capacity_provider
    delete = EC2ContainerServiceBackend.delete_capacity_provider
    describe = EC2ContainerServiceBackend.describe_capacity_providers

    def deleting(backend, name_or_arn):
        name = str(name_or_arn).split("/")[-1]
        key = (backend.account_id, backend.region_name, name)
        with _LOCK:
            entry = _CP_DELETING.get(key)
            if entry and not _active(entry[1]):
                _CP_DELETING.pop(key, None)
                return None
        return entry[0] if entry else None

    def create_capacity_provider(self, name, *args, **kwargs):
        if deleting(self, name) is not None:
            raise EcsClientException(
                "The specified capacity provider already exists. To change the configuration of an "
                "existing capacity provider, update the capacity provider.")
        return create(self, name, *args, **kwargs)

    def delete_capacity_provider(self, name_or_arn):
        pending = deleting(self, name_or_arn)
        if pending is not None and self._get_provider(name_or_arn) is None:
            return pending
        provider = delete(self, name_or_arn)
        provider.update_status = "DELETE_IN_PROGRESS"
        _CP_DELETING[(self.account_id, self.region_name, provider.name)] = (provider, _until("cp_delete"))
        return provider

    def describe_capacity_providers(self, names):
        providers, failures = describe(self, names)
        for name in names or []:
            provider = deleting(self, name)
            if provider is not None and provider not in providers:
                providers.append(provider)
                failures = [f for f in failures if f.arn.split("/")[-1] != provider.name]
        return providers, failures

    EC2ContainerServiceBackend.create_capacity_provider = create_capacity_provider
    EC2ContainerServiceBackend.delete_capacity_provider = delete_capacity_provider
    EC2ContainerServiceBackend.describe_capacity_providers = describe_capacity_providers


# ==================================================================================================
# i, j. Auto Scaling
# ==================================================================================================
def _profile_in_launch_template(ec2, spec):
    if not spec:
        return None
    try:
        if spec.get("LaunchTemplateId"):
            template = ec2.get_launch_template(spec["LaunchTemplateId"])
        else:
            template = ec2.get_launch_template_by_name(spec.get("LaunchTemplateName"))
        version = template.get_version(spec.get("Version") or "$Default")
    except Exception:
        return None
    profile = (version.data or {}).get("IamInstanceProfile") or {}
    if profile.get("Name"):
        return "name", profile["Name"], profile["Name"]
    if profile.get("Arn"):
        return "arn", profile["Arn"], profile["Arn"].split("/")[-1]
    return None


def patch_asg_delete_in_progress():
    """AWS: DeleteAutoScalingGroup (with ForceDelete it terminates the instances first) leaves the
    group listed by DescribeAutoScalingGroups with Status 'Delete in progress' (the one value
    AutoScalingGroup.Status documents) until its instances are gone, then it disappears.
    Terraform's aws_autoscaling_group delete polls until it is gone (internal/service/autoscaling).
    Creating a group with the same name meanwhile fails AlreadyExists 'AutoScalingGroup by this
    name already exists'. moto removes it at once. Here it stays until asg_delete has passed."""
    from moto.autoscaling.exceptions import AutoscalingClientError
    from moto.autoscaling.models import AutoScalingBackend

    delete = AutoScalingBackend.delete_auto_scaling_group
    describe = AutoScalingBackend.describe_auto_scaling_groups
    describe_instances = AutoScalingBackend.describe_auto_scaling_instances
    create = AutoScalingBackend.create_auto_scaling_group

    def purge(backend):
        now = _now()
        with _LOCK:
            for key, end in list(_ASG_DELETING.items()):
                if key[:2] == (backend.account_id, backend.region_name) and now >= end:
                    backend.autoscaling_groups.pop(key[2], None)
                    _ASG_DELETING.pop(key, None)

    def delete_auto_scaling_group(self, group_name):
        purge(self)
        key = (self.account_id, self.region_name, group_name)
        if key in _ASG_DELETING:
            return None
        if group_name not in self.autoscaling_groups:
            return delete(self, group_name)  # moto's ValidationError: not found
        self.set_desired_capacity(group_name, 0)
        self.autoscaling_groups[group_name].status = "Delete in progress"
        _ASG_DELETING[key] = _until("asg_delete")
        return None

    def describe_auto_scaling_groups(self, *args, **kwargs):
        purge(self)
        return describe(self, *args, **kwargs)

    def describe_auto_scaling_instances(self, *args, **kwargs):
        purge(self)
        return describe_instances(self, *args, **kwargs)

    def create_auto_scaling_group(self, *args, **kwargs):
        purge(self)
        name = kwargs.get("name", args[0] if args else None)
        if (self.account_id, self.region_name, name) in _ASG_DELETING:
            raise AutoscalingClientError(
                "AlreadyExists", f"AutoScalingGroup by this name already exists - A group with the name {name} already exists")
        return create(self, *args, **kwargs)

    AutoScalingBackend.delete_auto_scaling_group = delete_auto_scaling_group
    AutoScalingBackend.describe_auto_scaling_groups = describe_auto_scaling_groups
    AutoScalingBackend.describe_auto_scaling_instances = describe_auto_scaling_instances
    AutoScalingBackend.create_auto_scaling_group = create_auto_scaling_group


def patch_iam_instance_profile_propagation():
    """AWS: IAM is eventually consistent. For about ten seconds after CreateInstanceProfile (or
    AddRoleToInstanceProfile) Auto Scaling rejects a launch template naming the profile:
    CreateAutoScalingGroup fails ValidationError 'You must use a valid fully-formed launch
    template. Value (NAME) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance
    Profile name'. Terraform's CreateAutoScalingGroup retries ValidationError 'Invalid IAM Instance
    Profile' for its propagation timeout, 2 min (internal/service/autoscaling group.go).
    CreateLaunchTemplate does not check the profile, on AWS or here. moto never checks."""
    from moto.autoscaling.exceptions import ValidationError
    from moto.autoscaling.models import AutoScalingBackend
    from moto.iam.models import IAMBackend

    create_profile = IAMBackend.create_instance_profile
    add_role = IAMBackend.add_role_to_instance_profile
    create_group = AutoScalingBackend.create_auto_scaling_group

    def create_instance_profile(self, *args, **kwargs):
        profile = create_profile(self, *args, **kwargs)
        _IAM_PROPAGATING[(self.account_id, profile.name)] = _until("iam_propagation")
        return profile

    def add_role_to_instance_profile(self, profile_name, role_name):
        result = add_role(self, profile_name, role_name)
        _IAM_PROPAGATING[(self.account_id, profile_name)] = _until("iam_propagation")
        return result

    def create_auto_scaling_group(self, *args, **kwargs):
        spec = kwargs.get("launch_template")
        if not spec and kwargs.get("mixed_instances_policy"):
            spec = (kwargs["mixed_instances_policy"].get("LaunchTemplate") or {}).get("LaunchTemplateSpecification")
        found = _profile_in_launch_template(self.ec2_backend, spec)
        if found and _active(_IAM_PROPAGATING.get((self.account_id, found[2]))):
            kind, value, _ = found
            raise ValidationError(
                "You must use a valid fully-formed launch template. "
                f"Value ({value}) for parameter iamInstanceProfile.{kind} is invalid. "
                f"Invalid IAM Instance Profile {'name' if kind == 'name' else 'ARN'}")
        return create_group(self, *args, **kwargs)

    IAMBackend.create_instance_profile = create_instance_profile
    IAMBackend.add_role_to_instance_profile = add_role_to_instance_profile
    AutoScalingBackend.create_auto_scaling_group = create_auto_scaling_group


# ==================================================================================================
# k. Tiny pages
# ==================================================================================================
# Every operation built on moto's @paginate (moto/utilities/paginator.py, PAGINATION_MODEL dicts)
# gets limit_default 2 when the request gives no page size; an explicit MaxResults/limit is
# honoured. In moto 5.2.1 that is (service: backend method):
#   acmpca: list_certificate_authorities; amp: list_rule_groups_namespaces, list_workspaces;
#   appmesh: list_meshes, list_routes, list_tags_for_resource, list_virtual_nodes,
#   list_virtual_routers; athena: list_databases, list_named_queries; bedrock: list_custom_models,
#   list_model_customization_jobs; bedrockagent: list_agents, list_knowledge_bases;
#   clouddirectory: list_development_schema_arns, list_directories, list_published_schema_arns;
#   cloudhsmv2: describe_backups, describe_clusters; cognitoidp: admin_list_groups_for_user,
#   list_groups, list_identity_providers, list_resource_servers, list_user_pool_clients,
#   list_user_pools, list_users, list_users_in_group; connect: list_analytics_data_associations,
#   list_instances; connectcampaigns: list_campaigns; databrew: list_datasets, list_jobs,
#   list_recipe_versions, list_recipes, list_rulesets; dax: describe_clusters; ds:
#   describe_directories, describe_ldaps_settings, describe_settings, describe_trusts,
#   list_log_subscriptions, list_tags_for_resource; events: list_rule_names_by_target, list_rules,
#   list_targets_by_rule; fsx: describe_backups, describe_file_systems; glue: get_connections,
#   get_dev_endpoints, get_job_runs, get_jobs, get_triggers, get_workflow_runs, list_crawlers,
#   list_crawls, list_jobs, list_sessions, list_triggers, list_workflows; identitystore:
#   list_group_memberships, list_group_memberships_for_member, list_groups, list_users; iot:
#   list_billing_groups, list_job_executions_for_job, list_job_executions_for_thing,
#   list_job_templates, list_jobs, list_things, list_things_in_billing_group; ivs: list_channels;
#   kinesis: list_shards; kms: list_key_rotations; logs: describe_log_groups (its response passes
#   limit 50: see below); mediapackagev2: list_channel_groups; networkfirewall: list_firewalls;
#   networkmanager: describe_global_networks, get_devices, get_links, get_sites,
#   list_core_networks; organizations: list_accounts, list_accounts_for_parent,
#   list_organizational_units_for_parent, list_policies, list_policies_for_target; osis:
#   list_pipelines; panorama: list_application_instances, list_devices, list_nodes; pipes:
#   list_pipes; quicksight: list_group_memberships, list_groups, list_user_groups, list_users,
#   search_groups; resiliencehub: list_apps, list_resiliency_policies; route53: list_hosted_zones
#   (its response passes MaxItems 100: see below), list_query_logging_configs; route53domains:
#   list_domains, list_operations; route53resolver: list_resolver_dnssec_configs,
#   list_resolver_endpoint_ip_addresses, list_resolver_endpoints,
#   list_resolver_query_log_config_associations, list_resolver_query_log_configs,
#   list_resolver_rule_associations, list_resolver_rules, list_tags_for_resource; s3control:
#   list_access_points, list_multi_region_access_points, list_storage_lens_configurations;
#   s3tables: list_namespaces, list_table_buckets, list_tables; sagemaker: list_auto_ml_jobs,
#   list_cluster_nodes, list_clusters, list_compilation_jobs, list_data_quality_job_definitions,
#   list_domains, list_endpoint_configs, list_endpoints, list_experiments,
#   list_hyper_parameter_tuning_jobs, list_model_bias_job_definitions, list_model_card_versions,
#   list_model_cards, list_model_explainability_job_definitions, list_model_package_groups,
#   list_model_packages, list_model_quality_job_definitions, list_notebook_instances, list_tags,
#   list_trial_components, list_trials; scheduler: list_schedule_groups, list_schedules;
#   securityhub: get_findings, list_members; servicecatalog: list_portfolio_access; sesv2:
#   list_configuration_sets, list_dedicated_ip_pools, list_email_identities; sns:
#   list_config_service_resources; ssoadmin: list_account_assignments,
#   list_account_assignments_for_principal,
#   list_customer_managed_policy_references_in_permission_set,
#   list_managed_policies_in_permission_set, list_permission_sets; stepfunctions: list_activities,
#   list_executions, list_state_machine_aliases, list_state_machines; timestreaminfluxdb:
#   list_db_clusters, list_db_parameter_groups; vpclattice: list_listeners,
#   list_service_network_resource_associations, list_service_network_service_associations,
#   list_service_network_vpc_associations, list_service_networks, list_services,
#   list_target_groups; wafv2: list_ip_sets, list_logging_configurations, list_regex_pattern_sets,
#   list_rule_groups, list_tags_for_resource, list_web_acls.
# None of the services berth uses (EC2, ECS, ELBv2, IAM, Auto Scaling, Cloud Map...) is built on
# @paginate in moto 5.2.1, so berth's own list calls are covered by the two lists below.
#
# Operations where moto paginates by hand with its own default page size: the default becomes 2.
_DEFAULT_PAGE_SIZE = [
    ("moto.autoscaling.responses", "AutoScalingResponse", "describe_auto_scaling_groups", "MaxRecords"),
    ("moto.elbv2.responses", "ELBV2Response", "describe_load_balancers", "PageSize"),
    ("moto.elbv2.responses", "ELBV2Response", "describe_rules", "PageSize"),
    ("moto.iam.responses", "IamResponse", "list_roles", "MaxItems"),
    ("moto.iam.responses", "IamResponse", "list_attached_role_policies", "MaxItems"),
    ("moto.logs.responses", "LogsResponse", "describe_log_groups", "limit"),
    ("moto.route53.responses", "Route53", "list_hosted_zones", "MaxItems"),
    ("moto.applicationautoscaling.responses", "ApplicationAutoScalingResponse",
     "describe_scaling_policies", "MaxResults"),
]
# Operations AWS paginates and moto answers in one piece: paged here by offset tokens
# (module, class, method, list key, request token, request page size, response token, IAM-style
# IsTruncated).
_ADDED_PAGINATION = [
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "list_clusters", "clusterArns", "nextToken", "maxResults", "nextToken", False),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "list_services", "serviceArns", "nextToken", "maxResults", "nextToken", False),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "list_tasks", "taskArns", "nextToken", "maxResults", "nextToken", False),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "list_task_definitions", "taskDefinitionArns", "nextToken", "maxResults", "nextToken", False),
    ("moto.ecs.responses", "EC2ContainerServiceResponse", "list_task_definition_families", "families", "nextToken", "maxResults", "nextToken", False),
    ("moto.iam.responses", "IamResponse", "list_instance_profiles", "InstanceProfiles", "Marker", "MaxItems", "Marker", True),
    ("moto.iam.responses", "IamResponse", "list_instance_profiles_for_role", "InstanceProfiles", "Marker", "MaxItems", "Marker", True),
    ("moto.elbv2.responses", "ELBV2Response", "describe_target_groups", "TargetGroups", "Marker", "PageSize", "NextMarker", False),
    ("moto.servicediscovery.responses", "ServiceDiscoveryResponse", "list_namespaces", "Namespaces", "NextToken", "MaxResults", "NextToken", False),
    ("moto.servicediscovery.responses", "ServiceDiscoveryResponse", "list_services", "Services", "NextToken", "MaxResults", "NextToken", False),
]


def _with_default_page_size(cls, method, param):
    original = getattr(cls, method)

    def wrapped(self):
        get = self._get_param

        def _get_param(name, if_none=None):
            value = get(name, None)
            if value is None:
                return PAGE_SIZE if name == param else if_none
            return value

        self._get_param = _get_param
        try:
            return original(self)
        finally:
            del self._get_param

    setattr(cls, method, wrapped)


def _with_offset_pages(cls, method, list_key, token_in, size_in, token_out, truncated):
    from moto.core.responses import ActionResult

    original = getattr(cls, method)

    def cut(result, start, size):
        items = list(result.get(list_key) or [])
        following = start + size if start + size < len(items) else None
        result[list_key] = items[start:start + size]
        result[token_out] = None if following is None else str(following)
        if truncated:
            result["IsTruncated"] = following is not None

    def wrapped(self):
        token = self._get_param(token_in)
        start = int(token) if token and str(token).isdigit() else 0
        size = int(self._get_param(size_in) or PAGE_SIZE)
        response = original(self)
        if isinstance(response, ActionResult) and isinstance(response.result, dict):
            cut(response.result, start, size)
            return response
        body = response[2] if isinstance(response, tuple) else response
        result = json.loads(body)
        cut(result, start, size)
        if result.get(token_out) is None:
            result.pop(token_out, None)
        body = json.dumps(result)
        return (response[0], response[1], body) if isinstance(response, tuple) else body

    setattr(cls, method, wrapped)


def patch_tiny_pages():
    """AWS returns list results a page at a time and a caller that ignores NextToken/Marker misses
    the rest; pages can be small (ECS ListServices defaults to 10, DescribeNatGateways can return
    fewer than MaxResults with a token). moto returns everything in one page almost everywhere.
    Here every paginated list answers at most 2 items per page unless the request asks for
    another page size, so a missing pagination loop shows up in tests: moto's @paginate models
    (limit_default 2, through moto.utilities.paginator.Paginator, which every model's decorator
    builds at call time), the hand-paginated operations in _DEFAULT_PAGE_SIZE, and the
    unpaginated ones in _ADDED_PAGINATION. The one moto-internal caller of a paginated method
    (Route 53 CreateQueryLoggingConfig looking up the log group) sees only its first page."""
    import importlib

    from moto.utilities import paginator

    init = paginator.Paginator.__init__

    def __init__(self, *args, **kwargs):
        if len(args) >= 2:
            args = (args[0], PAGE_SIZE) + tuple(args[2:])
        else:
            kwargs["max_results_default"] = PAGE_SIZE
        init(self, *args, **kwargs)

    paginator.Paginator.__init__ = __init__
    for module, cls, method, param in _DEFAULT_PAGE_SIZE:
        _with_default_page_size(getattr(importlib.import_module(module), cls), method, param)
    for module, cls, method, list_key, token_in, size_in, token_out, truncated in _ADDED_PAGINATION:
        _with_offset_pages(getattr(importlib.import_module(module), cls), method, list_key, token_in,
                           size_in, token_out, truncated)


# ==================================================================================================
# l. EC2 read-after-create
# ==================================================================================================
def patch_ec2_read_after_create():
    """AWS EC2 API reference, 'Eventual consistency in the Amazon EC2 API': right after a create,
    a describe of the new id can fail with its NotFound code. Terraform retries NotFound after
    every create (internal/service/ec2 tfresource.RetryWhenNewResourceNotFound,
    ec2PropagationTimeout). For ec2_visibility after CreateVpc, CreateSubnet,
    CreateSecurityGroup, CreateRouteTable, CreateInternetGateway and CreateNatGateway (and what
    they create with them, e.g. a VPC's main route table and default group), a describe that names
    the id in VpcIds/SubnetIds/GroupIds/RouteTableIds/InternetGatewayIds/NatGatewayIds fails with
    InvalidVpcID.NotFound, InvalidSubnetID.NotFound, InvalidGroup.NotFound,
    InvalidRouteTableID.NotFound, InvalidInternetGatewayID.NotFound or NatGatewayNotFound, and a
    describe by filter (by id or by tag) omits it, as AWS does: filters never raise NotFound.
    Only API describes change: moto's own internal lookups (ECS checking a service's subnets)
    still see the resource."""
    from moto.core.responses import ActionResult
    from moto.ec2 import exceptions as ex
    from moto.ec2.models import EC2Backend
    from moto.ec2.responses import EC2Response

    table = [
        ("create_vpc", "describe_vpcs", "VpcIds", "Vpcs", ex.InvalidVPCIdError),
        ("create_subnet", "describe_subnets", "SubnetIds", "Subnets", ex.InvalidSubnetIdError),
        ("create_security_group", "describe_security_groups", "GroupIds", "SecurityGroups",
         ex.InvalidSecurityGroupNotFoundError),
        ("create_route_table", "describe_route_tables", "RouteTableIds", "RouteTables", ex.InvalidRouteTableIdError),
        ("create_internet_gateway", "describe_internet_gateways", "InternetGatewayIds", "InternetGateways",
         ex.InvalidInternetGatewayIdError),
        ("create_nat_gateway", "describe_nat_gateways", "NatGatewayIds", "NatGateways",
         lambda i: ex.EC2ClientError("NatGatewayNotFound", f"The Nat Gateway {i} was not found")),
    ]

    def record(create):
        def wrapped(self, *args, **kwargs):
            created = create(self, *args, **kwargs)
            # Not the default VPC and its subnets, which moto builds with the backend: on AWS
            # they have always been there.
            if getattr(self, "_realistic_built", False) and getattr(created, "id", None):
                _EC2_INVISIBLE[created.id] = _until("ec2_visibility")
            return created
        return wrapped

    init = EC2Backend.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._realistic_built = True

    EC2Backend.__init__ = __init__

    def hide(describe, ids_param, key, not_found):
        def wrapped(self):
            for resource_id in self._get_param(ids_param) or []:
                if _active(_EC2_INVISIBLE.get(resource_id)):
                    raise not_found(resource_id)
            response = describe(self)
            if isinstance(response, ActionResult) and isinstance(response.result, dict) and response.result.get(key):
                response.result[key] = [r for r in response.result[key]
                                        if not _active(_EC2_INVISIBLE.get(getattr(r, "id", None)))]
            return response
        return wrapped

    for create, describe, ids_param, key, not_found in table:
        setattr(EC2Backend, create, record(getattr(EC2Backend, create)))
        setattr(EC2Response, describe, hide(getattr(EC2Response, describe), ids_param, key, not_found))


# ==================================================================================================
# m. VPC endpoints, Cloud Map operations
# ==================================================================================================
def patch_vpc_endpoint_pending():
    """AWS: an Interface (or GatewayLoadBalancer) VPC endpoint is `pending` while its ENIs are
    provisioned, one to two minutes, then `available`; Gateway endpoints are available at once.
    Terraform waits pending -> available (internal/service/ec2 waitVPCEndpointAvailable). moto
    answers `available` at once."""
    from moto.ec2.models import EC2Backend
    from moto.ec2.models.vpcs import VPCEndPoint

    def get_state(self):
        state = self.__dict__.get("state")
        if state == "available" and _active(_ENDPOINT_PENDING.get(self.id)):
            return "pending"
        return state

    def set_state(self, value):
        self.__dict__["state"] = value

    VPCEndPoint.state = property(get_state, set_state)

    create = EC2Backend.create_vpc_endpoint

    def create_vpc_endpoint(self, *args, **kwargs):
        endpoint = create(self, *args, **kwargs)
        if str(endpoint.vpc_endpoint_type or "").lower() in ("interface", "gatewayloadbalancer"):
            _ENDPOINT_PENDING[endpoint.id] = _until("endpoint_create")
        return endpoint

    EC2Backend.create_vpc_endpoint = create_vpc_endpoint


def patch_namespace_operation_pending():
    """AWS: CreatePrivateDnsNamespace (and CreatePublicDnsNamespace, CreateHttpNamespace) is
    asynchronous: it returns an OperationId whose GetOperation Status is SUBMITTED, then PENDING
    while Cloud Map creates the namespace and its Route 53 zone, then SUCCESS (Cloud Map API
    reference, GetOperation). Terraform polls it (internal/service/servicediscovery
    waitOperationSuccess, 5 min). moto answers SUCCESS at once. Here: SUBMITTED for the first
    fifth of namespace_create, PENDING for the rest, then SUCCESS."""
    from moto.servicediscovery.models import Operation, ServiceDiscoveryBackend

    def get_status(self):
        window = _SD_OPERATIONS.get(self.id)
        if window is not None and _now() < window[1]:
            start, end = window
            return "SUBMITTED" if _now() < start + (end - start) / 5 else "PENDING"
        return self.__dict__.get("status")

    def set_status(self, value):
        self.__dict__["status"] = value

    Operation.status = property(get_status, set_status)

    def record(create):
        def wrapped(self, *args, **kwargs):
            operation_id = create(self, *args, **kwargs)
            _SD_OPERATIONS[operation_id] = (_now(), _until("namespace_create"))
            return operation_id
        return wrapped

    for name in ("create_private_dns_namespace", "create_public_dns_namespace", "create_http_namespace"):
        setattr(ServiceDiscoveryBackend, name, record(getattr(ServiceDiscoveryBackend, name)))


# ==================================================================================================
def patch_reset_clears_state():
    """POST /moto-api/reset wipes moto's state; the timers here go with it, so a name reused
    after a reset (a capacity provider, an Auto Scaling group) starts clean."""
    from moto.moto_api._internal.models import MotoAPIBackend

    reset = MotoAPIBackend.reset

    def reset_(self):
        reset(self)
        with _LOCK:
            for state in _ALL_STATE:
                state.clear()

    MotoAPIBackend.reset = reset_


# ==================================================================================================
# n. ACM certificates
# ==================================================================================================
def patch_acm_certificate_lifecycle():
    """AWS: a DNS-validated certificate's validation records are not in DescribeCertificate
    right after RequestCertificate: DomainValidationOptions lists each name without a
    ResourceRecord for a few seconds (Terraform waits for them:
    internal/service/acm certificate.go waitCertificateDomainValidationsAvailable). Once the
    CNAMEs resolve, ACM takes minutes more to issue it (ACM user guide, "DNS validation": "it
    can take up to 30 minutes"; Terraform's aws_acm_certificate_validation waits 75). And a
    certificate a listener used is refused by DeleteCertificate with ResourceInUseException
    for a while after the listener is gone (Terraform's resourceCertificateDelete retries it
    for certificateCrossServicePropagationTimeout). moto: records at once, issued as soon as
    the plain patch sees the CNAME, deletable at once."""
    from moto.acm.models import AWSCertificateManagerBackend, CertBundle
    from moto.core.exceptions import JsonRESTError
    from moto.elbv2.models import ELBv2Backend, elbv2_backends

    request = AWSCertificateManagerBackend.request_certificate
    describe = CertBundle.describe
    check = CertBundle.check
    delete = AWSCertificateManagerBackend.delete_certificate
    delete_listener = ELBv2Backend.delete_listener

    def request_certificate(self, *args, **kwargs):
        arn = request(self, *args, **kwargs)
        with _LOCK:
            _ACM_RECORDS.setdefault(arn, _until("acm_records"))
        return arn

    def describe_(self):
        result = describe(self)
        with _LOCK:
            assigned = _ACM_RECORDS.get(self.arn)
        if _active(assigned):
            for option in result["Certificate"].get("DomainValidationOptions", []):
                option.pop("ResourceRecord", None)
        return result

    def check_(self):
        if self.type == "AMAZON_ISSUED" and self.status == "PENDING_VALIDATION":
            was = self.status
            check(self)  # the plain patch: ISSUED once every CNAME exists
            if self.status == "ISSUED" and was != "ISSUED":
                with _LOCK:
                    issued = _ACM_ISSUE.setdefault(self.arn, _until("acm_issue"))
                if _now() < issued:
                    self.status = "PENDING_VALIDATION"
            return
        check(self)

    def delete_certificate(self, arn):
        with _LOCK:
            held = _ACM_IN_USE.get(arn)
        elbv2 = elbv2_backends[self.account_id][self.region_name]
        in_use = any(arn in (getattr(listener, "certificates", None) or [])
                     for lb in elbv2.load_balancers.values()
                     for listener in lb.listeners.values())
        if in_use or _active(held):
            raise JsonRESTError("ResourceInUseException", f"Certificate {arn} in use by a load balancer")
        return delete(self, arn)

    def delete_listener_(self, listener_arn):
        listener = delete_listener(self, listener_arn)
        with _LOCK:
            for cert in getattr(listener, "certificates", None) or []:
                _ACM_IN_USE[cert] = _until("cert_release")
        return listener

    AWSCertificateManagerBackend.request_certificate = request_certificate
    CertBundle.describe = describe_
    CertBundle.check = check_
    AWSCertificateManagerBackend.delete_certificate = delete_certificate
    ELBv2Backend.delete_listener = delete_listener_



def apply_all() -> None:
    """Install every realistic behaviour. Call after the plain patches in moto_server.py: the
    CreateService checks then run before the plain CreateService patch and moto."""
    load_durations()
    patch_nat_gateway_lifecycle()
    patch_eip_held_by_nat_gateway()
    patch_dependency_violations()
    patch_load_balancer_provisioning()
    patch_load_balancer_enis_linger()
    patch_service_lifecycle()
    patch_service_needs_associated_target_group()
    patch_service_capacity_provider_must_be_associated()
    patch_cluster_attachments_in_progress()
    patch_capacity_provider_delete_in_progress()
    patch_asg_delete_in_progress()
    patch_iam_instance_profile_propagation()
    patch_tiny_pages()
    patch_ec2_read_after_create()
    patch_vpc_endpoint_pending()
    patch_namespace_operation_pending()
    patch_acm_certificate_lifecycle()
    patch_reset_clears_state()
    table = ", ".join(f"{k}={v:g}s" for k, v in DURATIONS.items())
    print(f"berth emulator: realistic mode, scale {SCALE:g}: {table}", file=sys.stderr, flush=True)
