//! The partner API: the token endpoint in its three forms, every RFC 6749
//! error, scope narrowing, rate limits, the JWKS, and `/v1/whoami` refusing
//! every kind of bad token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, VerifyingKey};
use portal_server::tokens::{AUDIENCE, Claims, TokenSigner};
use serde_json::{Value, json};

use crate::helpers::{PIN, TestApp, browser, oauth_error, sign_up_body, spawn_with, token_in};
use crate::real_server::Server;

async fn app_with_credential(scopes: &[&str]) -> (TestApp, String, String) {
    let app = spawn_with(|c| c.token_requests_per_second = 10_000).await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    let credential = app.credential(&project, scopes).await;
    (app, credential.client_id, credential.client_secret)
}

fn token_endpoint(app: &TestApp) -> reqwest::RequestBuilder {
    reqwest::Client::new().post(app.at("/v1/auth/token"))
}

/// Checks the JWT's signature against the published JWKS, independently of
/// the server's own verification code.
async fn verify_with_jwks(app: &TestApp, token: &str) -> Value {
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let (header, claims) = signed.split_once('.').unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], key["kid"]);
    let x: [u8; 32] = URL_SAFE_NO_PAD
        .decode(key["x"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
    VerifyingKey::from_bytes(&x)
        .unwrap()
        .verify_strict(signed.as_bytes(), &signature)
        .expect("signed by the published key");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap()
}

#[tokio::test]
async fn tokens_come_from_a_json_body_a_form_body_or_http_basic() {
    let (app, id, secret) = app_with_credential(&["read", "write"]).await;
    let json_body = token_endpoint(&app)
        .json(&json!({ "grant_type": "client_credentials", "client_id": id, "client_secret": secret }))
        .send()
        .await
        .unwrap();
    let form = token_endpoint(&app)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap();
    let basic = token_endpoint(&app)
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    for (how, response, scope) in [
        ("json", json_body, "read write"),
        ("form", form, "read"),
        ("basic", basic, "read write"),
    ] {
        assert_eq!(response.status(), 200, "{how}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{how}");
        assert_eq!(response.headers()["pragma"], "no-cache", "{how}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 1800);
        assert_eq!(body["scope"], scope, "{how}");
        let claims = verify_with_jwks(&app, body["access_token"].as_str().unwrap()).await;
        assert_eq!(claims["sub"], id);
        assert_eq!(claims["aud"], AUDIENCE);
        assert_eq!(claims["scope"], scope);
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
            1800
        );
    }
}

#[tokio::test]
async fn every_rfc_6749_error_answers_as_the_rfc_says() {
    let (app, id, secret) = app_with_credential(&["read"]).await;
    let form = |pairs: Vec<(&str, &str)>| token_endpoint(&app).form(&pairs);

    let missing_grant = form(vec![("client_id", &id), ("client_secret", &secret)]);
    oauth_error(missing_grant.send().await.unwrap(), 400, "invalid_request").await;
    let password_grant = form(vec![
        ("grant_type", "password"),
        ("client_id", &id),
        ("client_secret", &secret),
    ]);
    oauth_error(
        password_grant.send().await.unwrap(),
        400,
        "unsupported_grant_type",
    )
    .await;
    let half = form(vec![
        ("grant_type", "client_credentials"),
        ("client_id", &id),
    ]);
    oauth_error(half.send().await.unwrap(), 400, "invalid_request").await;
    let twice = token_endpoint(&app).basic_auth(&id, Some(&secret)).form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &id),
        ("client_secret", &secret),
    ]);
    oauth_error(twice.send().await.unwrap(), 400, "invalid_request").await;
    let repeated = token_endpoint(&app)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&grant_type=client_credentials");
    oauth_error(repeated.send().await.unwrap(), 400, "invalid_request").await;
    let malformed = token_endpoint(&app)
        .header("content-type", "application/json")
        .body("{\"grant_type\": ");
    oauth_error(malformed.send().await.unwrap(), 400, "invalid_request").await;
    let plain = token_endpoint(&app)
        .header("content-type", "text/plain")
        .body("grant_type=client_credentials");
    oauth_error(plain.send().await.unwrap(), 400, "invalid_request").await;
    let unknown_scope = form(vec![
        ("grant_type", "client_credentials"),
        ("client_id", &id),
        ("client_secret", &secret),
        ("scope", "admin"),
    ]);
    oauth_error(unknown_scope.send().await.unwrap(), 400, "invalid_scope").await;
    let wider_scope = form(vec![
        ("grant_type", "client_credentials"),
        ("client_id", &id),
        ("client_secret", &secret),
        ("scope", "read write"),
    ]);
    oauth_error(wider_scope.send().await.unwrap(), 400, "invalid_scope").await;
    let no_client = form(vec![("grant_type", "client_credentials")]);
    let response = no_client.send().await.unwrap();
    assert!(response.headers().contains_key("www-authenticate"));
    oauth_error(response, 401, "invalid_client").await;
    let bad_basic = token_endpoint(&app)
        .header("authorization", "Basic %%%")
        .form(&[("grant_type", "client_credentials")]);
    oauth_error(bad_basic.send().await.unwrap(), 401, "invalid_client").await;

    // A wrong secret and an unknown client id get the very same answer.
    let wrong_secret = app
        .token(&id, &secret.replace("sk_test_", "sk_test_x"))
        .await;
    assert_eq!(
        wrong_secret.headers()["www-authenticate"],
        "Basic realm=\"partner-api\""
    );
    let wrong_secret = oauth_error(wrong_secret, 401, "invalid_client").await;
    let unknown_id = oauth_error(
        app.token("cred_unknownunknownunkno", &secret).await,
        401,
        "invalid_client",
    )
    .await;
    assert_eq!(wrong_secret, unknown_id);
    let too_long = oauth_error(
        app.token(&"c".repeat(500), &secret).await,
        401,
        "invalid_client",
    )
    .await;
    assert_eq!(too_long, unknown_id);
}

#[tokio::test]
async fn a_wrong_secret_and_an_unknown_client_do_the_same_work() {
    // The real binary logs every SQL statement with the request it served.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[("PORTAL_LOG", "info,sqlx::query=debug")]).await;
    let ada = browser(&server.url);
    let post = |path: &str, body: Value| ada.post(server.at(path)).json(&body).send();
    post("/api/signup", sign_up_body("ada@acme.test"))
        .await
        .unwrap();
    let token = token_in(&server.log(), "/signup/confirm?token=");
    post("/api/signup/confirm", json!({ "token": token }))
        .await
        .unwrap();
    let project: Value = post(
        "/api/projects",
        json!({ "name": "Checkout", "environment": "sandbox" }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let created: Value = post(
        &format!(
            "/api/projects/{}/credentials",
            project["id"].as_str().unwrap()
        ),
        json!({ "description": "Backend", "scopes": ["read"], "pin": PIN }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let wrong = created["client_secret"]
        .as_str()
        .unwrap()
        .replace("sk_test_", "sk_test_x");

    // The statements a refused token request ran, in order, with how many
    // rows each read; without their timings.
    let statements = |client_id: String| {
        let (server, wrong) = (&server, wrong.clone());
        async move {
            let r = reqwest::Client::new()
                .post(server.at("/v1/auth/token"))
                .json(&json!({ "grant_type": "client_credentials", "client_id": client_id, "client_secret": wrong }))
                .send()
                .await
                .unwrap();
            let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
            let body = oauth_error(r, 401, "invalid_client").await;
            let log = server.log();
            let ran: Vec<String> = log
                .lines()
                .filter(|l| l.contains(id.as_str()) && l.contains("sqlx::query"))
                .map(|l| {
                    let l = &l[l.find("sqlx::query").unwrap()..];
                    // SQLite reports the changes of the connection's last
                    // write as a read's `rows_affected`: only reads count here.
                    l.split(' ')
                        .filter(|part| {
                            !part.starts_with("elapsed") && !part.starts_with("rows_affected")
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            (body, ran)
        }
    };
    let (known_body, known) = statements(created["client_id"].as_str().unwrap().into()).await;
    let (unknown_body, unknown) = statements("cred_unknownunknownunkno".into()).await;
    assert_eq!(known_body, unknown_body, "the same answer");
    assert!(
        !known.is_empty(),
        "the statements are logged: {}",
        server.log()
    );
    assert!(
        known.iter().all(|s| s.contains("rows_returned=0")),
        "no row read for a wrong secret: {known:?}"
    );
    assert_eq!(known, unknown, "the same statements, reading as many rows");
}

#[tokio::test]
async fn token_requests_are_limited_per_client_and_per_address() {
    // 2 tokens a second per client id and address, and 8 requests a second
    // per address.
    let app = spawn_with(|c| c.token_requests_per_second = 2).await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    let mut credentials = Vec::new();
    for _ in 0..5 {
        credentials.push(app.credential(&project, &["read"]).await);
    }
    let ask = |client: &reqwest::Client, n: usize| {
        let c = &credentials[n];
        client
            .post(app.at("/v1/auth/token"))
            .json(&json!({ "grant_type": "client_credentials", "client_id": c.client_id, "client_secret": c.client_secret }))
            .send()
    };
    let here = reqwest::Client::new();
    for _ in 0..2 {
        assert_eq!(ask(&here, 0).await.unwrap().status(), 200);
    }
    // The third for this client waits half a second, rounded up.
    let limited = ask(&here, 0).await.unwrap();
    assert_eq!(limited.headers()["retry-after"], "1");
    let body = oauth_error(limited, 429, "rate_limited").await;
    assert_eq!(
        body["error_description"],
        "Too many token requests. Try again in 1 second."
    );
    // Other clients, from this address, have their own allowance...
    for n in 1..3 {
        for _ in 0..2 {
            assert_eq!(ask(&here, n).await.unwrap().status(), 200, "client {n}");
        }
    }
    assert_eq!(ask(&here, 3).await.unwrap().status(), 200);
    // ...but the ninth request from this address is refused, whatever its
    // client (the refused third counted for the address).
    oauth_error(ask(&here, 4).await.unwrap(), 429, "rate_limited").await;
    // From another address that client is still welcome, and the first
    // client has an allowance of its own there.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    assert_eq!(ask(&elsewhere, 4).await.unwrap().status(), 200);
    for _ in 0..2 {
        assert_eq!(ask(&elsewhere, 0).await.unwrap().status(), 200);
    }
    oauth_error(ask(&elsewhere, 0).await.unwrap(), 429, "rate_limited").await;
    // Half a second later the first client gets one more there.
    app.clock.advance_nanos(500_000_000);
    assert_eq!(ask(&elsewhere, 0).await.unwrap().status(), 200);
    oauth_error(ask(&elsewhere, 0).await.unwrap(), 429, "rate_limited").await;
}

#[tokio::test]
async fn a_strangers_wrong_secrets_never_hold_back_the_partner() {
    // 2 failures a second per client id; the stranger and the partner are
    // on different addresses (the stranger's own address limit is theirs).
    let app = spawn_with(|c| c.token_requests_per_second = 2).await;
    app.confirmed_user("ada@acme.test").await;
    let project = app.project("Checkout", "sandbox").await;
    let credential = app.credential(&project, &["read"]).await;
    let ask = |client: &reqwest::Client, secret: &str| {
        client
            .post(app.at("/v1/auth/token"))
            .json(&json!({ "grant_type": "client_credentials",
                "client_id": credential.client_id, "client_secret": secret }))
            .send()
    };
    let stranger = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 3]))
        .build()
        .unwrap();
    for _ in 0..2 {
        let wrong = ask(&stranger, "sec_guessed").await.unwrap();
        oauth_error(wrong, 401, "invalid_client").await;
    }
    // The third guess within the second is refused before it is answered.
    let slowed = ask(&stranger, "sec_guessed").await.unwrap();
    assert_eq!(slowed.headers()["retry-after"], "1");
    oauth_error(slowed, 429, "rate_limited").await;
    // The partner, with the right secret, gets its tokens all the same.
    let partner = reqwest::Client::new();
    for _ in 0..2 {
        let token = ask(&partner, &credential.client_secret).await.unwrap();
        assert_eq!(token.status(), 200);
    }
}

#[tokio::test]
async fn whoami_says_who_the_token_is() {
    let (app, id, secret) = app_with_credential(&["read", "write"]).await;
    let response = token_endpoint(&app)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap();
    let token: Value = response.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap();
    let me = app.whoami(token).await;
    assert_eq!(me.status(), 200);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["organisation"]["name"], "Acme Payments");
    assert!(
        me["organisation"]["id"]
            .as_str()
            .unwrap()
            .starts_with("org_")
    );
    assert_eq!(me["project"]["name"], "Checkout");
    assert_eq!(me["project"]["environment"], "sandbox");
    assert_eq!(me["credential"]["id"], id);
    assert_eq!(me["credential"]["description"], "Checkout backend");
    assert_eq!(me["scopes"], json!(["read"]));
    assert!(me["expires_at"].as_i64().unwrap() > app.state.now() + 1700);
}

#[tokio::test]
async fn whoami_refuses_missing_malformed_foreign_and_expired_tokens() {
    let (app, id, secret) = app_with_credential(&["read"]).await;
    let token = app.access_token(&id, &secret).await;
    let described = |body: Value, words: &str| {
        let d = body["error_description"].as_str().unwrap().to_owned();
        assert!(d.contains(words), "{d}");
    };

    let missing = reqwest::Client::new()
        .get(app.at("/v1/whoami"))
        .send()
        .await
        .unwrap();
    assert!(
        missing.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer ")
    );
    described(
        oauth_error(missing, 401, "invalid_token").await,
        "Authorization",
    );
    described(
        oauth_error(app.whoami("not.a-token").await, 401, "invalid_token").await,
        "malformed",
    );

    // Signed by someone else's key, with claims that would otherwise pass.
    let claims: Claims = {
        let part = token.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    let forger = TokenSigner::from_seed(&[9; 32], &app.url);
    described(
        oauth_error(
            app.whoami(&forger.sign(&claims)).await,
            401,
            "invalid_token",
        )
        .await,
        "not signed by this portal",
    );
    let mut wider = claims.clone();
    wider.scope = "read write".into();
    let (head, rest) = token.split_once('.').unwrap();
    let signature = rest.rsplit_once('.').unwrap().1;
    let tampered = format!(
        "{head}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wider).unwrap())
    );
    described(
        oauth_error(app.whoami(&tampered).await, 401, "invalid_token").await,
        "signature",
    );

    // Signed by this portal but naming no secret (or not a secret id): such
    // a token would stand for every secret of the credential, so it works
    // for none.
    for sid in ["", "c2lk", "not base64!"] {
        let mut nameless = claims.clone();
        nameless.sid = sid.into();
        described(
            oauth_error(
                app.whoami(&app.state.signer.sign(&nameless)).await,
                401,
                "invalid_token",
            )
            .await,
            "names no secret",
        );
    }
    let mut json = serde_json::to_value(&claims).unwrap();
    json.as_object_mut().unwrap().remove("sid");
    let no_claim = format!(
        "{head}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&json).unwrap())
    );
    assert_eq!(app.whoami(&no_claim).await.status(), 401);

    assert_eq!(app.whoami(&token).await.status(), 200);
    app.clock.advance(1800);
    described(
        oauth_error(app.whoami(&token).await, 401, "invalid_token").await,
        "expired",
    );
}
