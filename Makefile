# berth: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
MANIFEST ?= berth.toml
BERTH := target/release/berth

.PHONY: demo test build image bench bench-real bench-hello fuzz reliability fmt lint validate plan apply destroy emulator-start emulator-stop

## demo: the whole stack up and down against the local AWS emulator (no AWS account needed)
demo:
	scripts/demo

## test: every test: unit, engine (fake cloud), integration against the emulator, image
test:
	scripts/test

## build: the release binaries (berth, hello)
build:
	cargo build --release --locked -p berth -p hello

## image: the hello container image (FROM scratch), tagged hello:<sha> and hello:latest
image:
	scripts/image

## bench: berth's own numbers on the emulator: up, no-change plan, image change, down
bench: build
	scripts/bench

## bench-real: up and down on the realistic emulator (AWS's durations, scaled) vs the graph's critical path
bench-real: build
	scripts/bench-real

## bench-hello: hello vs the seed's Flask app under gunicorn and vs nginx serving a fixed 200 (wrk, loopback)
bench-hello:
	scripts/bench-hello

## fuzz: the manifest parser against 20,000 generated inputs per property (make test runs 256)
fuzz:
	PROPTEST_CASES=20000 cargo test --release -p berth-spec --test fuzz

## reliability: many fault seeds, a SIGKILL after every mutating call, concurrent ups; one table
reliability:
	scripts/reliability

fmt:
	cargo fmt --all

## lint: formatting, clippy with warnings denied, cargo deny (licences, bans, sources, advisories)
lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	scripts/deny

# The seed's own targets, now thin wrappers over berth (MANIFEST=examples/seed-ec2.toml to pick one).
validate: build
	$(BERTH) validate -f $(MANIFEST)
plan: build
	$(BERTH) plan -f $(MANIFEST)
apply: build
	$(BERTH) up -f $(MANIFEST)
destroy: build
	$(BERTH) down -f $(MANIFEST)

emulator-start:
	scripts/emulator start
emulator-stop:
	scripts/emulator stop
