//! Two environments of one manifest side by side, and one torn down without touching the
//! other.

use crate::common::*;

/// A network-only stack with `staging` in 10.34/16 and `prod` in 10.35/16.
fn manifest(stack: &str) -> String {
    format!(
        "name = \"{stack}\"\nregion = \"eu-west-2\"\n\
         [network]\ncidr = \"10.34.0.0/16\"\nazs = 2\nnat = \"none\"\nprivate_zone = \"\"\n\
         [env.staging]\n\
         [env.prod]\nnetwork.cidr = \"10.35.0.0/16\"\n"
    )
}

#[tokio::test]
async fn two_environments_live_side_by_side_and_go_one_at_a_time() {
    let aws = aws().await;
    let stack = unique_stack("envs");
    let m = Manifest::new(&manifest(&stack));

    // Which stack a command is for is never guessed.
    let unchosen = berth(&m.path, &["plan"]);
    assert_eq!(unchosen.code, 2, "{}", unchosen.stderr);
    assert!(
        unchosen
            .stderr
            .contains("declares environments (prod, staging)")
            && unchosen.stderr.contains("--env NAME"),
        "{}",
        unchosen.stderr
    );
    let unknown = berth(&m.path, &["plan", "--env", "stagin"]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("prod, staging"),
        "{}",
        unknown.stderr
    );

    // `validate` checks them all.
    let valid = berth(&m.path, &["validate"]).success();
    assert!(
        valid.stdout.contains(&format!("stack `{stack}-prod`"))
            && valid.stdout.contains(&format!("stack `{stack}-staging`")),
        "{}",
        valid.stdout
    );

    let staging = berth(&m.path, &["up", "--yes", "--env", "staging"]).success();
    assert!(
        staging
            .stderr
            .contains(&format!("Environment `staging`: stack `{stack}-staging`")),
        "{}",
        staging.stderr
    );
    // BERTH_ENV chooses too.
    berth_command(&m.path, &["up", "--yes"])
        .env("BERTH_ENV", "prod")
        .output()
        .map(Run::from)
        .unwrap()
        .success();
    let (staging_vpcs, prod_vpcs) = (
        vpc_ids(&aws, &format!("{stack}-staging")).await,
        vpc_ids(&aws, &format!("{stack}-prod")).await,
    );
    assert_eq!((staging_vpcs.len(), prod_vpcs.len()), (1, 1));
    assert_ne!(staging_vpcs, prod_vpcs);

    berth(&m.path, &["down", "--yes", "--env", "staging"]).success();
    assert!(leaked(&aws, &format!("{stack}-staging")).await.is_empty());
    assert_eq!(vpc_ids(&aws, &format!("{stack}-prod")).await, prod_vpcs);
    berth(&m.path, &["plan", "--detailed-exitcode", "--env", "prod"]).success();

    berth(&m.path, &["down", "--yes", "--env", "prod"]).success();
    assert!(leaked(&aws, &format!("{stack}-prod")).await.is_empty());
}
