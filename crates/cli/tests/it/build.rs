//! `berth deploy --build`: built by the local Docker engine, pushed to a real registry (the
//! Distribution registry on loopback, which the emulated ECR reports as the stack's
//! repository: scripts/registry and scripts/moto_server.py), deployed by digest.

use std::path::Path;
use std::process::Command;

use crate::common::*;

/// The registry `make test` started: `127.0.0.1:PORT`.
fn test_registry() -> String {
    std::env::var("BERTH_TEST_REGISTRY").expect(
        "no test registry: run `make test`, or `scripts/registry start` then \
         `eval \"$(scripts/registry env)\"`",
    )
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=berth",
            "-c",
            "user.email=berth@example.invalid",
        ])
        .args(args)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// What the registry itself says `name:tag` is: its manifest's digest.
fn registry_digest(registry: &str, name: &str, tag: &str) -> String {
    let out = Command::new("curl")
        .args(["-sfI", "-H"])
        .arg("Accept: application/vnd.docker.distribution.manifest.v2+json")
        .args(["-H", "Accept: application/vnd.oci.image.manifest.v1+json"])
        .arg(format!("http://{registry}/v2/{name}/manifests/{tag}"))
        .output()
        .expect("curl");
    assert!(out.status.success(), "{name}:{tag} is not in the registry");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| {
            let (key, value) = l.split_once(':')?;
            key.eq_ignore_ascii_case("docker-content-digest")
                .then(|| value.trim().to_string())
        })
        .expect("Docker-Content-Digest")
}

/// The image of the task definition revision `deploy` printed.
async fn deployed_image(aws: &berth_aws::Aws, arn: &str) -> String {
    let out = aws
        .ecs
        .describe_task_definition()
        .task_definition(arn.trim())
        .send()
        .await
        .unwrap();
    let td = out.task_definition().unwrap();
    td.container_definitions()[0].image().unwrap().to_string()
}

/// The tag a deploy said it pushed: `Pushing REPO:TAG (N MB)...`.
fn pushed_tag(stderr: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("Pushing "))
        .unwrap_or_else(|| panic!("nothing pushed\n{stderr}"));
    let reference = line.split_whitespace().nth(1).unwrap();
    reference.rsplit(':').next().unwrap().to_string()
}

#[tokio::test]
async fn deploy_build_pushes_each_image_once_and_pins_its_digest() {
    let registry = test_registry();
    let aws = aws().await;
    let stack = unique_stack("bld");
    let m = Manifest::new(&(fargate_web(&stack, 39, "") + "build = \"app\"\n"));
    // The build folder: a git checkout whose image needs nothing pulled (FROM scratch).
    let app = m.dir.path().join("app");
    std::fs::create_dir(&app).unwrap();
    std::fs::write(app.join("Dockerfile"), "FROM scratch\nCOPY hello.txt /\n").unwrap();
    std::fs::write(app.join("hello.txt"), format!("hello from {stack}\n")).unwrap();
    git(&app, &["init", "-q"]);
    git(&app, &["add", "."]);
    git(&app, &["commit", "-qm", "hello"]);
    let sha = git(&app, &["rev-parse", "--short=12", "HEAD"]);

    berth(&m.path, &["up", "--yes"]).success();
    // Test side only: the emulated ECR reports the loopback registry as this repository.
    let repo = aws
        .ecr
        .describe_repositories()
        .repository_names(&stack)
        .send()
        .await
        .unwrap();
    let arn = repo.repositories()[0].repository_arn().unwrap();
    aws.ecr
        .tag_resource()
        .resource_arn(arn)
        .tags(
            aws_sdk_ecr::types::Tag::builder()
                .key("berth-test:registry")
                .value(&registry)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let repository = format!("{registry}/{stack}");

    let first = berth(&m.path, &["deploy", "web", "--build"]).success();
    assert_eq!(pushed_tag(&first.stderr), sha, "{}", first.stderr);
    assert!(
        first.stderr.contains("for linux/amd64"),
        "built for Fargate's x86, whatever the laptop\n{}",
        first.stderr
    );
    let pinned = format!("{repository}@{}", registry_digest(&registry, &stack, &sha));
    assert_eq!(deployed_image(&aws, &first.stdout).await, pinned);

    // The same commit again: found in the repository, neither built nor pushed.
    let again = berth(&m.path, &["deploy", "web", "--build"]).success();
    assert!(
        again
            .stderr
            .contains("already in the repository: not built or pushed again")
            && !again.stderr.contains("Building"),
        "{}",
        again.stderr
    );
    assert_eq!(deployed_image(&aws, &again.stdout).await, pinned);
    // ...so it deploys even where no Docker engine answers.
    let without_docker: Run = berth_command(&m.path, &["deploy", "web", "--build"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap()
        .into();
    assert_eq!(without_docker.code, 0, "{}", without_docker.stderr);

    // Uncommitted changes: their own tag, a new image, a new digest.
    std::fs::write(app.join("hello.txt"), "changed\n").unwrap();
    let dirty = berth(&m.path, &["deploy", "web", "--build"]).success();
    let tag = pushed_tag(&dirty.stderr);
    assert!(tag.starts_with(&format!("{sha}-dirty-")), "{tag}");
    let dirty_image = deployed_image(&aws, &dirty.stdout).await;
    assert_eq!(
        dirty_image,
        format!("{repository}@{}", registry_digest(&registry, &stack, &tag))
    );
    assert_ne!(dirty_image, pinned);

    // A build that needs an engine without one, and no Dockerfile: said plainly, nothing
    // deployed.
    let no_engine: Run = berth_command(&m.path, &["deploy", "web", "--build"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap()
        .into();
    assert_eq!(no_engine.code, 1);
    assert!(
        no_engine.stderr.contains("no Docker engine answers"),
        "{}",
        no_engine.stderr
    );
    let empty = m.dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let no_file = berth(
        &m.path,
        &["deploy", "web", "--build", empty.to_str().unwrap()],
    );
    assert_eq!(no_file.code, 1);
    assert!(
        no_file.stderr.contains("no Dockerfile in"),
        "{}",
        no_file.stderr
    );
    assert_eq!(deployed_image(&aws, &dirty.stdout).await, dirty_image);

    berth(&m.path, &["down", "--yes"]).success();
    assert!(leaked(&aws, &stack).await.is_empty());
    // The local images this test made.
    for tag in [sha, tag] {
        let _ = Command::new("docker")
            .args(["image", "rm", &format!("{repository}:{tag}")])
            .output();
    }
}
