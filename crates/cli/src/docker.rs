//! `berth deploy --build`: the service's image built by the local Docker engine, tagged with
//! the git commit, pushed to the stack's ECR repository and deployed by digest.
//!
//! Through the `docker` command rather than the Engine API: it is what the user's own builds
//! use, so BuildKit, `.dockerignore`, `docker context`, and credential helpers for private
//! base images all behave exactly as in their terminal, and berth carries no Docker client
//! library. Only the push runs with a configuration of its own: a throwaway folder holding
//! ECR's token for this one registry, deleted afterwards, so nothing is written to the user's
//! `~/.docker`.

use std::io::ErrorKind;
use std::path::Path;
use std::process::Output;

use anyhow::{Context, Result, bail};
use berth_aws::Aws;
use berth_aws::ecr_repository::EcrRepository;
use berth_aws::images;
use berth_engine::Kind;
use serde_json::json;
use tokio::process::Command;

/// How a build is named in the repository. Tags there are immutable, so a tag must always
/// mean the same image.
#[derive(Debug, PartialEq, Eq)]
enum Source {
    /// A clean checkout: the commit is the image; built once, ever.
    Commit(String),
    /// Uncommitted changes in the build folder: the commit plus `-dirty` plus the image's own
    /// id, so each different build gets its own tag and an identical one is not pushed twice.
    Dirty(String),
    /// Not a git checkout: the image's id alone.
    Untracked,
}

impl Source {
    fn tag(&self, image_id: &str) -> String {
        let short = image_id.trim_start_matches("sha256:");
        let short = &short[..short.len().min(12)];
        match self {
            Source::Commit(sha) => sha.clone(),
            Source::Dirty(sha) => format!("{sha}-dirty-{short}"),
            Source::Untracked => format!("build-{short}"),
        }
    }
}

/// Build the image in `context` (its `Dockerfile`) for `platform` (`linux/amd64`), push it to
/// `stack`'s repository unless it is there already, and return it pinned by digest:
/// `repository@sha256:...`.
pub async fn build_and_push(
    aws: &Aws,
    stack: &str,
    context: &Path,
    platform: &str,
) -> Result<String> {
    if !context.join("Dockerfile").is_file() {
        bail!(
            "no Dockerfile in {}: set `build = \"FOLDER\"` in the service's table (relative to \
             the manifest), or pass --build FOLDER",
            context.display()
        );
    }
    let repository = repository_uri(aws, stack).await?;
    let (registry, name) = repository
        .split_once('/')
        .with_context(|| format!("repository URI `{repository}` has no registry host"))?;

    let source = git_source(context).await;
    // A clean commit that was built before is not built again: CI re-runs are instant.
    if let Source::Commit(sha) = &source
        && let Some(digest) = images::digest(aws, name, sha).await?
    {
        eprintln!("{repository}:{sha} is already in the repository: not built or pushed again.");
        return Ok(format!("{repository}@{digest}"));
    }

    // Only now: a commit already pushed deploys without any Docker engine.
    let engine = engine_endpoint().await?;
    eprintln!(
        "Building {} for {platform} with Docker...",
        context.display()
    );
    let id_file = tempfile::NamedTempFile::new()?;
    let mut build = Command::new("docker");
    build
        .args(["build", "--platform", platform, "--iidfile"])
        .arg(id_file.path());
    if let Source::Commit(sha) | Source::Dirty(sha) = &source {
        build.args([
            "--label",
            &format!("org.opencontainers.image.revision={sha}"),
        ]);
    }
    build.arg(context);
    streamed(&mut build, "docker build").await?;
    let image_id = std::fs::read_to_string(id_file.path())?.trim().to_string();
    let tag = source.tag(&image_id);
    let reference = format!("{repository}:{tag}");

    if let Some(digest) = images::digest(aws, name, &tag).await? {
        eprintln!("{reference} is already in the repository: not pushed again.");
        return Ok(format!("{repository}@{digest}"));
    }
    output(Command::new("docker").args(["tag", &image_id, &reference])).await?;
    let bytes: f64 = output(Command::new("docker").args([
        "image",
        "inspect",
        "--format",
        "{{.Size}}",
        &image_id,
    ]))
    .await?
    .trim()
    .parse()
    .unwrap_or(0.0);
    let size = if bytes < 1e6 {
        format!("{:.0} kB", bytes / 1e3)
    } else {
        format!("{:.1} MB", bytes / 1e6)
    };
    eprintln!("Pushing {reference} ({size})...");

    // The push's own configuration: ECR's token for this registry and nothing else. It must
    // reach the same engine as the build, which the user's context named.
    let config = tempfile::tempdir()?;
    let token = images::push_credentials(aws).await?;
    std::fs::write(
        config.path().join("config.json"),
        serde_json::to_vec(&json!({ "auths": { registry: { "auth": token } } }))?,
    )?;
    let mut push = Command::new("docker");
    push.arg("--config")
        .arg(config.path())
        .args(["push", &reference])
        .env("DOCKER_HOST", &engine)
        .env_remove("DOCKER_CONTEXT");
    streamed(&mut push, "docker push").await.with_context(|| {
        format!(
            "the push to {registry} failed: Docker's output above says why. berth signed in \
             with ECR's GetAuthorizationToken; the credentials also need \
             ecr:InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload and PutImage on \
             {name} (the stack's CI role has them)"
        )
    })?;
    let digest = images::digest(aws, name, &tag).await?.with_context(|| {
        format!("Docker pushed {reference}, but ECR does not list it; run the deploy again")
    })?;
    Ok(format!("{repository}@{digest}"))
}

/// The URI of the stack's repository: `registry/name`.
pub async fn repository_uri(aws: &Aws, stack: &str) -> Result<String> {
    EcrRepository(aws.clone())
        .discover(stack)
        .await?
        .into_iter()
        .next()
        .and_then(|r| r.outputs.get("url").cloned())
        .context("the stack has no ECR repository yet: run `berth up` first")
}

/// The engine `docker` talks to (DOCKER_HOST, or the current context's endpoint); a plain
/// error when none answers.
async fn engine_endpoint() -> Result<String> {
    let answered = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .await;
    match answered {
        Err(e) if e.kind() == ErrorKind::NotFound => bail!(
            "--build builds with Docker, and there is no `docker` command: install Docker, or \
             build and push the image yourself and deploy it with --image"
        ),
        Err(e) => bail!("could not run `docker version`: {e}"),
        Ok(out) if !out.status.success() => bail!(
            "no Docker engine answers ({}): start Docker, or point DOCKER_HOST at one",
            first_line(&out.stderr)
        ),
        Ok(_) => {}
    }
    if let Ok(host) = std::env::var("DOCKER_HOST") {
        return Ok(host);
    }
    Ok(output(Command::new("docker").args([
        "context",
        "inspect",
        "--format",
        "{{.Endpoints.docker.Host}}",
    ]))
    .await?
    .trim()
    .to_string())
}

/// The commit checked out in `context`, and whether the folder has uncommitted changes. Only
/// the build folder counts: an edited README elsewhere changes nothing in the image.
async fn git_source(context: &Path) -> Source {
    let git = |args: &[&str]| {
        let mut c = Command::new("git");
        c.arg("-C").arg(context).args(args);
        c
    };
    let Ok(sha) = output(&mut git(&["rev-parse", "--short=12", "HEAD"])).await else {
        return Source::Untracked;
    };
    let sha = sha.trim().to_string();
    match output(&mut git(&["status", "--porcelain", "--", "."])).await {
        Ok(changes) if changes.trim().is_empty() => Source::Commit(sha),
        _ => Source::Dirty(sha),
    }
}

/// Run `command`, its output on our stderr (progress, never results), failing on non-zero.
async fn streamed(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .stdout(std::io::stderr())
        .status()
        .await
        .with_context(|| format!("could not run {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// Run `command` quietly; its stdout, or an error quoting its stderr.
async fn output(command: &mut Command) -> Result<String> {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().await?;
    if !status.success() {
        bail!("{}", first_line(&stderr));
    }
    Ok(String::from_utf8_lossy(&stdout).into_owned())
}

fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_say_where_an_image_came_from() {
        let id = "sha256:0123456789abcdef0123";
        assert_eq!(Source::Commit("abc123".into()).tag(id), "abc123");
        assert_eq!(
            Source::Dirty("abc123".into()).tag(id),
            "abc123-dirty-0123456789ab"
        );
        assert_eq!(Source::Untracked.tag(id), "build-0123456789ab");
    }
}
