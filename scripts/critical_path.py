"""The longest chain of AWS waits in a stack's graph, under the realistic emulator's duration
model (scripts/realistic_durations.json): the time no tool could beat, because each wait on
it needs the one before it to have finished.

    python3 scripts/critical_path.py GRAPH.dot up|down [--fargate]

GRAPH.dot is `berth graph` output (an edge points from a resource to what it needs).
Prints the critical path's length in real-world seconds, then the path itself.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SECONDS = {k: v["seconds"] for k, v in json.load(open(os.path.join(HERE, "realistic_durations.json"))).items()}


def create_seconds(node, kind):
    """What AWS makes a create wait for, by kind (the realistic mode's patches)."""
    return {
        "nat_gateway": SECONDS["nat_create"],
        "load_balancer": SECONDS["alb_create"],
        "ecs_service": SECONDS["service_steady"],
        "namespace": SECONDS["namespace_create"],
        "cluster_capacity": SECONDS["cluster_attach"],
        "instance_profile": SECONDS["iam_propagation"],
        # Interface endpoints are pending; the S3 gateway endpoint is ready at once.
        "vpc_endpoint": 0 if node.endswith("/s3") else SECONDS["endpoint_create"],
    }.get(kind, 0)


def delete_seconds(kind, fargate):
    """How long after its delete starts a resource stops holding what it depends on."""
    return {
        "nat_gateway": SECONDS["nat_delete"],
        # Its network interfaces keep the security group, subnets and IGW busy.
        "load_balancer": SECONDS["alb_eni_linger"],
        # Draining; on Fargate the tasks' interfaces then hold the security group and subnets.
        "ecs_service": max(SECONDS["service_drain"], SECONDS["task_eni_linger"] if fargate else 0),
        "capacity_provider": SECONDS["cp_delete"],
        "autoscaling_group": SECONDS["asg_delete"],
        "cluster_capacity": SECONDS["cluster_attach"],
    }.get(kind, 0)


def parse(dot):
    kinds, needs = {}, {}
    for line in dot.splitlines():
        m = re.match(r'\s*"([^"]+)" \[label="[^"]*\(([a-z_0-9]+)\)"\];', line)
        if m:
            kinds[m.group(1)] = m.group(2)
            needs.setdefault(m.group(1), [])
        m = re.match(r'\s*"([^"]+)" -> "([^"]+)";', line)
        if m:
            needs.setdefault(m.group(1), []).append(m.group(2))
    return kinds, needs


def longest(nodes, before, cost):
    """Finish time of each node when it starts as soon as everything in before(n) is done."""
    done, path = {}, {}

    def finish(n):
        if n not in done:
            prior = max(before(n), key=finish, default=None)
            done[n] = cost(n) + (finish(prior) if prior else 0)
            path[n] = (path[prior] if prior else []) + [n]
        return done[n]

    end = max(nodes, key=finish)
    return done[end], [p for p in path[end] if cost(p) > 0] or path[end]


def main():
    dot, direction = open(sys.argv[1]).read(), sys.argv[2]
    fargate = "--fargate" in sys.argv
    kinds, needs = parse(dot)
    if direction == "up":
        total, path = longest(kinds, lambda n: needs.get(n, []), lambda n: create_seconds(n, kinds[n]))
    else:
        users = {n: [m for m in kinds if n in needs.get(m, [])] for n in kinds}
        total, path = longest(kinds, lambda n: users[n], lambda n: delete_seconds(kinds[n], fargate))
    print(total)
    print(" -> ".join(path))


if __name__ == "__main__":
    main()
