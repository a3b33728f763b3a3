"""Start moto's server with berth's emulator patches applied.

Each patch fixes one moto behaviour that differs from AWS in a way berth's tests depend on.
Product code never special-cases the emulator; the patches live here, one commented block each.
"""
import os
import sys

from moto.server import main


def patch_private_namespace_zone_vpc():
    """AWS attaches a private DNS namespace's hosted zone to the namespace's VPC (that is what
    makes NAME.zone resolve inside it); moto creates the zone with no VPC at all."""
    from moto.route53.models import route53_backends
    from moto.servicediscovery.models import ServiceDiscoveryBackend

    original = ServiceDiscoveryBackend.create_private_dns_namespace

    def create_private_dns_namespace(self, name, creator_request_id, description, vpc, tags, properties):
        operation_id = original(self, name, creator_request_id, description, vpc, tags, properties)
        route53 = route53_backends[self.account_id]["aws"]
        for namespace in self.namespaces.values():
            if namespace.name == name and namespace.vpc == vpc:
                zone_id = namespace.dns_properties["HostedZoneId"].split("/")[-1]
                route53.zones[zone_id].add_vpc(vpc, self.region_name)
        return operation_id

    ServiceDiscoveryBackend.create_private_dns_namespace = create_private_dns_namespace


def patch_nat_gateway_tag_filters():
    """AWS filters DescribeNatGateways by `tag:KEY` and `tag-key`; moto ignores every filter but
    id, VPC, subnet and state, and returns other stacks' gateways."""
    from moto.ec2.models.nat_gateways import NatGatewayBackend
    from moto.ec2.utils import generic_filter

    original = NatGatewayBackend.describe_nat_gateways

    def describe_nat_gateways(self, filters, nat_gateway_ids):
        found = original(self, filters, nat_gateway_ids)
        tag_filters = {k: v for k, v in (filters or {}).items() if k.startswith("tag")}
        return generic_filter(tag_filters, found) if tag_filters else found

    NatGatewayBackend.describe_nat_gateways = describe_nat_gateways


def patch_create_service_keeps_settings():
    """AWS keeps every CreateService setting; moto drops deploymentConfiguration (circuit
    breaker, percentages), capacityProviderStrategy, healthCheckGracePeriodSeconds,
    placementStrategy and enableExecuteCommand, which its UpdateService does store. Store them
    the way UpdateService does, right after the create."""
    from moto.core.utils import camelcase_to_underscores
    from moto.ecs.responses import EC2ContainerServiceResponse

    original = EC2ContainerServiceResponse.create_service
    kept = ["deploymentConfiguration", "capacityProviderStrategy", "healthCheckGracePeriodSeconds",
            "placementStrategy", "enableExecuteCommand"]

    def create_service(self):
        result = original(self)
        settings = {camelcase_to_underscores(k): self._get_param(k) for k in kept if self._get_param(k) is not None}
        if settings:
            settings["cluster"] = self._get_param("cluster", "default")
            settings["service"] = self._get_param("serviceName")
            self.ecs_backend.update_service(settings)
        return result

    EC2ContainerServiceResponse.create_service = create_service


def patch_autoscaling_not_found_code():
    """AWS answers DeleteScalingPolicy and DeregisterScalableTarget for a policy or target that
    does not exist with ObjectNotFoundException (API reference, "Errors"; Terraform's
    resourcePolicyDelete treats it as already gone); moto raises ValidationException."""
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
    from moto.core.exceptions import JsonRESTError

    def not_found_code(method):
        def wrapped(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except JsonRESTError as e:
                if e.error_type == "ValidationException" and e.message.startswith("No scal"):
                    raise JsonRESTError("ObjectNotFoundException", e.message)
                raise

        return wrapped

    for name in ["delete_scaling_policy", "deregister_scalable_target"]:
        setattr(ApplicationAutoscalingBackend, name, not_found_code(getattr(ApplicationAutoscalingBackend, name)))


def patch_delete_missing_capacity_provider():
    """AWS answers DeleteCapacityProvider for a provider that does not exist with this
    ClientException (quoted in Terraform's resourceCapacityProviderDelete); moto crashes on
    None and answers an HTML 500."""
    from moto.core.exceptions import JsonRESTError
    from moto.ecs.models import EC2ContainerServiceBackend

    original = EC2ContainerServiceBackend.delete_capacity_provider

    def delete_capacity_provider(self, name_or_arn):
        if self._get_provider(name_or_arn) is None:
            raise JsonRESTError(
                "ClientException",
                "The specified capacity provider does not exist. Specify a valid name or ARN and try again.",
            )
        return original(self, name_or_arn)

    EC2ContainerServiceBackend.delete_capacity_provider = delete_capacity_provider


def patch_acm_validates_through_dns():
    """AWS issues a DNS-validated certificate once every name's validation CNAME resolves, and
    never otherwise; moto issues every certificate 60 s after the request (ACM_VALIDATION_WAIT),
    records or not. Issue it when each record is in a Route 53 zone of the account: a public
    zone berth wrote to, or one a test uses to play the user's own DNS provider."""
    from moto.acm.models import CertBundle
    from moto.route53.models import route53_backends

    original = CertBundle.check

    def resolves(account_id, name, value):
        zones = route53_backends[account_id]["aws"].zones.values()
        return any(
            r.name.rstrip(".") == name.rstrip(".") and r.type == "CNAME" and value in r.records
            for zone in zones
            for r in zone.rrsets
        )

    def check(self):
        if self.type == "AMAZON_ISSUED" and self.status == "PENDING_VALIDATION":
            options = self.describe()["Certificate"].get("DomainValidationOptions", [])
            records = [o.get("ResourceRecord") for o in options]
            account_id = self.arn.split(":")[4]
            if records and all(r and resolves(account_id, r["Name"], r["Value"]) for r in records):
                self.status = "ISSUED"
            return
        original(self)

    CertBundle.check = check


def patch_run_task_runs_its_command():
    """moto starts no containers, its RunTask for an awsvpc (Fargate) task crashes outright
    (its ENI has no private_dns_name), and it answers a container's cpu and memory as numbers. AWS runs the command; the task stops with the container's
    exit code, and awslogs has written the output to <prefix>/<container>/<task id>. Here a task
    started with a command override stops at once: its container exits with N when the command
    ends with `exit N` (else 0), and the command line is the one line in its log stream. A
    stand-in for a container runtime, for `berth run`'s tests."""
    import time as _time

    from moto.ec2.models.elastic_network_interfaces import NetworkInterface
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.logs.models import logs_backends

    if not hasattr(NetworkInterface, "private_dns_name"):
        # Read where moto never set one; settable where it does (VPC endpoints' ENIs).
        def get_dns(self):
            return self.__dict__.get("_dns") or f"ip-{self.private_ip_address.replace('.', '-')}.ec2.internal"

        def set_dns(self, value):
            self.__dict__["_dns"] = value

        NetworkInterface.private_dns_name = property(get_dns, set_dns)

    original = EC2ContainerServiceBackend.run_task

    def run_task(self, *args, **kwargs):
        tasks = original(self, *args, **kwargs)
        for task in tasks:
            # The API's Container.cpu and .memory are strings; moto answers numbers, which
            # the Rust SDK (unlike boto3) refuses to parse.
            for container in task.containers:
                container.cpu = None if container.cpu is None else str(container.cpu)
                container.memory = None if container.memory is None else str(container.memory)
            overrides = (task.overrides or {}).get("containerOverrides") or []
            command = next((o["command"] for o in overrides if o.get("command")), None)
            if not command:
                continue
            words = " ".join(command).split()
            code = int(words[-1]) if len(words) >= 2 and words[-2] == "exit" and words[-1].isdigit() else 0
            task.last_status = task.desired_status = "STOPPED"
            task.stopped_reason = "Essential container in task exited"
            for container in task.containers:
                container.last_status = "STOPPED"
                container.exitCode = code
            definition = self.describe_task_definition(task.task_definition_arn).container_definitions[0]
            options = (definition.get("logConfiguration") or {}).get("options") or {}
            group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
            if group and prefix:
                logs = logs_backends[self.account_id][self.region_name]
                stream = f"{prefix}/{definition['name']}/{task.id}"
                logs.create_log_stream(group, stream)
                logs.put_log_events(group, stream, [{"timestamp": int(_time.time() * 1000), "message": " ".join(command)}])
        return tasks

    EC2ContainerServiceBackend.run_task = run_task


def patch_ecr_reports_test_registry():
    """AWS's ECR is itself a registry: `docker push` to a repository's repositoryUri
    (ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME) stores the image, and DescribeImages and
    BatchGetImage then report it (digest = the manifest's, as Docker printed it). moto runs no
    registry, so nothing can be pushed to its URIs, and it only knows images given to PutImage.
    A repository tagged `berth-test:registry` = HOST:PORT (a real registry on loopback, started by
    scripts/registry) reports HOST:PORT/NAME as its repositoryUri instead, and its DescribeImages
    and BatchGetImage answer from that registry's manifests, so a test can push a real image and
    watch berth find it. Repositories without the tag are unchanged."""
    import hashlib
    import json
    import urllib.error
    import urllib.request

    from moto.core.exceptions import ServiceException
    from moto.ecr.exceptions import ImageNotFoundException
    from moto.ecr.models import ECRBackend, Image, Repository, ecr_backends

    class ServerException(ServiceException):
        """ECR's ServerException, for a registry that is down or answers an error (defined here,
        not raised as a bare ServiceException: moto looks a moto.core exception's code up in a
        service model named "core" and answers an HTML 500). moto sends it with HTTP 400."""
        code = "ServerException"

    tag_key = "berth-test:registry"
    accept = ", ".join([
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    ])
    # Straight to loopback, whatever HTTP_PROXY says.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def registry_of(repo):
        tagger = ecr_backends[repo.account_id][repo.region_name].tagger
        return tagger.get_tag_dict_for_resource(repo.arn).get(tag_key)

    def get_uri(self):
        registry = registry_of(self)
        return f"{registry}/{self.name}" if registry else self.__dict__.get("_uri")

    def set_uri(self, value):
        self.__dict__["_uri"] = value

    # Set in Repository.__init__, read wherever moto reports the URI (responses, CloudFormation).
    Repository.uri = property(get_uri, set_uri)

    def fetch(registry, path):
        """The registry's answer to GET /v2/PATH: (headers, body), or None for a 404."""
        request = urllib.request.Request(f"http://{registry}/v2/{path}", headers={"Accept": accept})
        try:
            with opener.open(request, timeout=10) as response:
                return response.headers, response.read()
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise ServerException(f"test registry {registry}: HTTP {e.code} for /v2/{path}")
        except OSError as e:
            raise ServerException(f"test registry {registry} unreachable: {e}")

    def manifest(registry, repo, reference):
        """(digest, media type, manifest) of NAME:TAG or NAME@DIGEST, or None if there is none."""
        found = fetch(registry, f"{repo.name}/manifests/{reference}")
        if found is None:
            return None
        headers, body = found
        digest = headers.get("Docker-Content-Digest") or "sha256:" + hashlib.sha256(body).hexdigest()
        media_type = (headers.get("Content-Type") or "").split(";")[0].strip() or None
        return digest, media_type, body.decode()

    def registry_tags(registry, repo):
        found = fetch(registry, f"{repo.name}/tags/list")
        return (json.loads(found[1]).get("tags") or []) if found else []

    def image(repo, tags, found):
        digest, media_type, body = found
        result = Image(repo.account_id, tags[0] if tags else None, body, repo.name, media_type, digest, repo.registry_id)
        result.image_tags = list(tags)
        return result

    def find(registry, repo, tag, digest, all_tags):
        """The image NAME:TAG (or NAME@DIGEST: with every tag naming it when all_tags), else None."""
        if tag:
            found = manifest(registry, repo, tag)
            if found is None or (digest and found[0] != digest):
                return None
            return image(repo, [tag], found)
        if not digest:
            return None
        found = manifest(registry, repo, digest)
        if found is None:
            return None
        tags = []
        if all_tags:
            tags = [t for t in registry_tags(registry, repo) if (manifest(registry, repo, t) or [None])[0] == digest]
        return image(repo, tags, found)

    def merged(images):
        """One image per digest, with all its tags (moto answers a set of its images)."""
        by_digest = {}
        for each in images:
            if each.image_digest in by_digest:
                kept = by_digest[each.image_digest]
                kept.image_tags += [t for t in each.image_tags if t not in kept.image_tags]
            else:
                by_digest[each.image_digest] = each
        return list(by_digest.values())

    original_describe_images = ECRBackend.describe_images

    def describe_images(self, repository_name, registry_id=None, image_ids=None):
        repo = self._get_repository(repository_name, registry_id)
        registry = registry_of(repo)
        if not registry:
            return original_describe_images(self, repository_name, registry_id, image_ids)
        if not image_ids:
            image_ids = [{"imageTag": t} for t in registry_tags(registry, repo)]
        images = []
        for image_id in image_ids:
            tag, digest = image_id.get("imageTag"), image_id.get("imageDigest")
            found = find(registry, repo, tag, digest, all_tags=True)
            if found is None:
                # Word for word what moto raises for an image it does not have.
                raise ImageNotFoundException(
                    image_id=f"{{imageDigest:'{digest or 'null'}', imageTag:'{tag or 'null'}'}}",
                    repository_name=repo.name,
                    registry_id=repo.registry_id,
                )
            images.append(found)
        return merged(images)

    original_batch_get_image = ECRBackend.batch_get_image

    def batch_get_image(self, repository_name, registry_id=None, image_ids=None):
        repo = self.repositories.get(repository_name)
        registry = repo and registry_of(repo)
        if not registry or not image_ids:
            return original_batch_get_image(self, repository_name, registry_id, image_ids)
        response = {"images": [], "failures": []}
        for image_id in image_ids:
            found = find(registry, repo, image_id.get("imageTag"), image_id.get("imageDigest"), all_tags=False)
            if found is None:
                # The failure moto reports for an image it does not have.
                response["failures"].append({
                    "imageId": {"imageTag": image_id.get("imageTag", "null")},
                    "failureCode": "ImageNotFound",
                    "failureReason": "Requested image not found",
                })
            else:
                response["images"].append(found)
        return response

    ECRBackend.describe_images = describe_images
    ECRBackend.batch_get_image = batch_get_image


def patch_price_list_api():
    """moto has no Price List API (`pricing`, AWSPriceListService.GetProducts). This answers it
    from scripts/price-list.json: product documents in AWS's offer format for eu-west-2 (and
    Route 53's global ones). Their figures are the shipped table's, except the NAT gateway hour
    (0.052, not 0.05) so a test can tell a refreshed price from a shipped one, and one instance
    type the table lacks (c7i.large); Fargate Spot is left out, so a refresh has a rate to keep.
    Like AWS: TERM_MATCH filters on the product's attributes (field names in any case), the
    documents sent as JSON strings, and pages shorter than MaxResults with a NextToken."""
    import json
    from pathlib import Path

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    documents = json.loads((Path(__file__).parent / "price-list.json").read_text())
    page_size = 2
    original_call = DomainDispatcherApplication.__call__

    def matches(document, service, filters):
        if document["serviceCode"] != service:
            return False
        fields = {k.lower(): v for k, v in document["product"]["attributes"].items()}
        fields["productfamily"] = document["product"]["productFamily"]
        fields["servicecode"] = document["serviceCode"]
        return all(fields.get(f["Field"].lower()) == f["Value"] for f in filters)

    def get_products(request):
        found = [d for d in documents if matches(d, request["ServiceCode"], request.get("Filters", []))]
        start = int(request.get("NextToken") or 0)
        end = start + min(page_size, request.get("MaxResults", 100))
        response = {"FormatVersion": "aws_v1", "PriceList": [json.dumps(d) for d in found[start:end]]}
        if end < len(found):
            response["NextToken"] = str(end)
        return response

    def __call__(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target != "AWSPriceListService.GetProducts":
            return original_call(self, environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.dumps(get_products(json.loads(environ["wsgi.input"].read(length) or b"{}")))
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1")])
        return [body.encode()]

    DomainDispatcherApplication.__call__ = __call__


def patch_latency():
    """AWS answers in tens of milliseconds, moto at once: with BERTH_EMULATOR_LATENCY_MS=N every
    request is answered N ms late, so a benchmark shows what berth does one call after another
    (`BERTH_EMULATOR_LATENCY_MS=50 make bench`). Off unless set."""
    import time

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    delay = float(os.environ.get("BERTH_EMULATOR_LATENCY_MS") or 0) / 1000
    if delay <= 0:
        return
    original_call = DomainDispatcherApplication.__call__

    def __call__(self, environ, start_response):
        time.sleep(delay)
        return original_call(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__


if __name__ == "__main__":
    patch_create_service_keeps_settings()
    patch_private_namespace_zone_vpc()
    patch_nat_gateway_tag_filters()
    patch_autoscaling_not_found_code()
    patch_delete_missing_capacity_provider()
    patch_acm_validates_through_dns()
    patch_run_task_runs_its_command()
    patch_ecr_reports_test_registry()
    patch_price_list_api()
    patch_latency()
    if os.environ.get("BERTH_EMULATOR_REALISTIC") == "1":
        # Slow and strict like AWS: see realistic.py. After the patches above, so its checks
        # run first. Imported without leaving a __pycache__ in scripts/.
        write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
        import realistic

        sys.dont_write_bytecode = write_bytecode
        realistic.apply_all()
    sys.exit(main())
