//! Projects: create, list, rename, describe, delete; names unique per
//! organisation; the role table; other organisations' projects are 404.

use serde_json::{Value, json};

use crate::helpers::{PIN, SendJson, browser, error_body, spawn_app};

#[tokio::test]
async fn projects_are_created_listed_renamed_and_deleted() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let created = app
        .post(
            "/api/projects",
            &json!({ "name": " Checkout ", "environment": "sandbox" }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let project: Value = created.json().await.unwrap();
    assert_eq!(project["name"], "Checkout");
    assert_eq!(project["environment"], "sandbox");
    assert_eq!(project["description"], "");
    let id = project["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("prj_"));
    app.post(
        "/api/projects",
        &json!({ "name": "Billing", "environment": "production" }),
    )
    .await;

    let list: Value = app.get("/api/projects").await.json().await.unwrap();
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Billing", "Checkout"]);

    let patch = app
        .client
        .patch(app.at(&format!("/api/projects/{id}")))
        .json(&json!({ "name": "Checkout v2", "description": "Card payments" }))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200);
    let got: Value = app
        .get(&format!("/api/projects/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["name"], "Checkout v2");
    assert_eq!(got["description"], "Card payments");
    assert_eq!(got["environment"], "sandbox");

    // Deleting needs the PIN: without it, or with a wrong one, the project
    // stays.
    let delete = |body: Value| {
        app.client
            .delete(app.at(&format!("/api/projects/{id}")))
            .json(&body)
            .send()
    };
    let missing = delete(json!({})).await.unwrap();
    error_body(missing, 422, "invalid_body").await;
    let wrong = delete(json!({ "pin": "000000" })).await.unwrap();
    let body = error_body(wrong, 403, "invalid_pin").await;
    assert!(body["fields"]["pin"].as_str().unwrap().contains("wrong"));
    assert_eq!(app.get(&format!("/api/projects/{id}")).await.status(), 200);
    let deleted = delete(json!({ "pin": PIN })).await.unwrap();
    assert_eq!(deleted.status(), 204);
    error_body(
        app.get(&format!("/api/projects/{id}")).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn names_are_unique_per_organisation_whatever_their_case() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    app.post(
        "/api/projects",
        &json!({ "name": "Checkout", "environment": "sandbox" }),
    )
    .await;
    let again = app
        .post(
            "/api/projects",
            &json!({ "name": "CHECKOUT", "environment": "production" }),
        )
        .await;
    let body = error_body(again, 422, "validation_failed").await;
    assert_eq!(
        body["fields"]["name"],
        "Your organisation already has a project with this name."
    );
    let other: Value = app
        .post(
            "/api/projects",
            &json!({ "name": "Billing", "environment": "sandbox" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let rename = app
        .client
        .patch(app.at(&format!("/api/projects/{}", other["id"].as_str().unwrap())))
        .json(&json!({ "name": "checkout" }))
        .send()
        .await
        .unwrap();
    error_body(rename, 422, "validation_failed").await;

    // Another organisation may use the same name.
    let eve = app.other_organisation().await;
    let same = eve
        .post(app.at("/api/projects"))
        .json(&json!({ "name": "Checkout", "environment": "sandbox" }))
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 201);
}

#[tokio::test]
async fn bad_input_is_refused_by_the_field() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let blank = app
        .post(
            "/api/projects",
            &json!({ "name": " ", "environment": "sandbox" }),
        )
        .await;
    let body = error_body(blank, 422, "validation_failed").await;
    assert_eq!(body["fields"]["name"], "Give the project a name.");
    let env = app
        .post(
            "/api/projects",
            &json!({ "name": "X", "environment": "staging" }),
        )
        .await;
    error_body(env, 422, "invalid_body").await;
}

#[tokio::test]
async fn every_project_endpoint_enforces_the_role_table_and_tenancy() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let developer = app.member("dev@acme.test", "developer").await;
    let viewer = app.member("viewer@acme.test", "viewer").await;
    let signed_out = browser(&app.url);

    for (who, client, may_manage) in [
        ("superadmin", &app.client, true),
        ("developer", &developer.client, true),
        ("viewer", &viewer.client, false),
    ] {
        let project: Value = app
            .post(
                "/api/projects",
                &json!({ "name": format!("For {who}"), "environment": "sandbox" }),
            )
            .await
            .json()
            .await
            .unwrap();
        let path = format!("/api/projects/{}", project["id"].as_str().unwrap());
        let status = |r: reqwest::Response| r.status().as_u16();
        let seen = ["/api/projects".to_owned(), path.clone()];
        let before = app.snapshot(&seen).await;
        assert_eq!(
            status(client.get(app.at("/api/projects")).send().await.unwrap()),
            200,
            "{who}"
        );
        assert_eq!(
            status(client.get(app.at(&path)).send().await.unwrap()),
            200,
            "{who}"
        );
        let create = client
            .post(app.at("/api/projects"))
            .json(&json!({ "name": format!("By {who}"), "environment": "sandbox" }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            status(create),
            if may_manage { 201 } else { 403 },
            "{who} create"
        );
        let patch = client
            .patch(app.at(&path))
            .json(&json!({ "description": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            status(patch),
            if may_manage { 200 } else { 403 },
            "{who} rename"
        );
        if !may_manage {
            assert_eq!(app.snapshot(&seen).await, before, "{who} changed nothing");
        }
        let delete = client
            .delete(app.at(&path))
            .json(&json!({ "pin": PIN }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            status(delete),
            if may_manage { 204 } else { 403 },
            "{who} delete"
        );
        if !may_manage {
            assert_eq!(app.snapshot(&seen).await, before, "{who} deleted nothing");
        }
        assert_eq!(
            status(signed_out.get(app.at(&path)).send().await.unwrap()),
            401
        );
    }

    // Another organisation: 404 for our ids, and none of our projects listed.
    let ours: Value = app
        .post(
            "/api/projects",
            &json!({ "name": "Ours", "environment": "production" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/projects/{}", ours["id"].as_str().unwrap());
    let seen = ["/api/projects".to_owned(), path.clone()];
    let before = app.snapshot(&seen).await;
    let eve = app.other_organisation().await;
    assert_eq!(eve.get(app.at(&path)).send().await.unwrap().status(), 404);
    assert_eq!(
        eve.patch(app.at(&path))
            .json(&json!({ "name": "Mine" }))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        eve.delete(app.at(&path))
            .json(&json!({ "pin": PIN }))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let list: Value = eve.get(app.at("/api/projects")).send_json().await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    assert_eq!(app.snapshot(&seen).await, before, "Eve changed nothing");
}
