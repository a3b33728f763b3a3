//! The account's GitHub OIDC provider is shared: berth uses one it did not make and never
//! owns it, and leaves the one it made when a role outside the stack still trusts it.

use crate::common::*;
use berth_aws::oidc_provider::{self, OidcProvider};
use berth_engine::{Kind, TAG_STACK};

const URL: &str = "https://token.actions.githubusercontent.com";

fn manifest(stack: &str) -> berth_spec::Manifest {
    let text = format!(
        "name = \"{stack}\"\nregion = \"eu-west-2\"\n[network]\nnat = \"single\"\nprivate_zone = \"\"\n\
         [service.web]\nimage = \"hello:1\"\n[ci]\ngithub = \"acme/shop\"\n"
    );
    berth_spec::parse("t.toml", &text).unwrap()
}

#[tokio::test]
async fn a_shared_oidc_provider_is_used_and_only_its_maker_may_delete_it() {
    let _oidc = GITHUB_OIDC.lock().await;
    let aws = emulator().await;

    // Made by hand: the graph trusts it but never owns it.
    let theirs = aws
        .iam
        .create_open_id_connect_provider()
        .url(URL)
        .client_id_list("sts.amazonaws.com")
        .send()
        .await
        .unwrap()
        .open_id_connect_provider_arn()
        .unwrap()
        .to_string();
    let stack = unique_stack("oidc");
    let m = manifest(&stack);
    let inputs = berth_aws::graph::inputs(&aws, &m, false).await.unwrap();
    assert!(inputs.oidc_provider_elsewhere);
    let nodes = berth_aws::graph::nodes(&m, &inputs);
    assert!(!nodes.iter().any(|n| n.kind == oidc_provider::KIND));
    let deploy = nodes
        .iter()
        .find(|n| n.id.as_str() == "role/deploy")
        .unwrap();
    let trust = deploy.props["trust"].value.to_string();
    assert!(trust.contains(&theirs), "{trust}");
    let kind = OidcProvider(aws.clone());
    assert!(
        kind.discover(&stack).await.unwrap().is_empty(),
        "not the stack's"
    );
    aws.iam
        .delete_open_id_connect_provider()
        .open_id_connect_provider_arn(&theirs)
        .send()
        .await
        .unwrap();

    // Made by the stack, then trusted by a role of someone else's: down leaves it, untagged.
    let inputs = berth_aws::graph::inputs(&aws, &m, false).await.unwrap();
    assert!(!inputs.oidc_provider_elsewhere);
    let nodes = berth_aws::graph::nodes(&m, &inputs);
    let node = nodes
        .iter()
        .find(|n| n.kind == oidc_provider::KIND)
        .unwrap();
    let created = create_all(&[&kind], std::slice::from_ref(node)).await;
    let ours = &created[&node.id];
    let found = kind.discover(&stack).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].cloud_id, ours.cloud_id);

    // Another stack whose name starts like this one's: its role is not this stack's.
    let other = format!("{stack}-prod-deploy");
    let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": ours.cloud_id}}]});
    aws.iam
        .create_role()
        .role_name(&other)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap();
    kind.delete(&found[0], &ctx(&node.id)).await.unwrap();
    let left = aws
        .iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&ours.cloud_id)
        .send()
        .await
        .expect("still there: another role trusts it");
    assert!(
        !left.tags().iter().any(|t| t.key() == TAG_STACK),
        "no longer the stack's"
    );
    assert!(kind.discover(&stack).await.unwrap().is_empty());

    // Once nothing else trusts it, the stack that made it deletes it.
    aws.iam
        .delete_role()
        .role_name(&other)
        .send()
        .await
        .unwrap();
    kind.delete(&found[0], &ctx(&node.id)).await.unwrap();
    let gone = aws
        .iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&ours.cloud_id)
        .send()
        .await;
    assert!(gone.is_err(), "deleted");
}
