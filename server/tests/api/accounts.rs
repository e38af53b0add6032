//! Sign-up, confirmation, sign-in, sessions and sign-out.

use serde_json::{Value, json};

use std::net::Ipv4Addr;

use crate::helpers::{
    PASSWORD, browser, browser_at, error_body, rate_limited, sign_up_body, spawn_app, spawn_with,
};

#[tokio::test]
async fn sign_up_mails_a_link_that_confirms_and_signs_in() {
    let app = spawn_app().await;
    let response = app.sign_up("Ada@Acme.test").await;
    assert_eq!(response.status(), 202);

    // Not signed in yet.
    assert_eq!(app.get("/api/session").await.status(), 401);
    let token = app.confirmation_token("ada@acme.test").await;
    assert_eq!(token.len(), 43);

    let response = app
        .post("/api/signup/confirm", &json!({ "token": token }))
        .await;
    assert_eq!(response.status(), 200);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("portal_session="));
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let session: Value = response.json().await.unwrap();
    assert_eq!(session["user"]["email"], "ada@acme.test");
    assert_eq!(session["user"]["role"], "superadmin");
    assert_eq!(session["organisation"]["name"], "Acme Payments");
    assert_eq!(session["organisation"]["status"], "approved");

    let me: Value = app.get("/api/session").await.json().await.unwrap();
    assert_eq!(me["user"]["full_name"], "Ada Lovelace");
}

#[tokio::test]
async fn the_token_is_stored_only_as_a_hash() {
    let app = spawn_app().await;
    app.sign_up("ada@acme.test").await;
    let token = app.confirmation_token("ada@acme.test").await;
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM email_confirmations")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, vec![portal_server::crypto::token_hash(&token)]);
}

#[tokio::test]
async fn a_confirmation_link_works_once() {
    let app = spawn_app().await;
    app.sign_up("ada@acme.test").await;
    let token = app.confirmation_token("ada@acme.test").await;
    let body = json!({ "token": token });
    assert_eq!(app.post("/api/signup/confirm", &body).await.status(), 200);
    let again = app.post("/api/signup/confirm", &body).await;
    let error = error_body(again, 410, "invalid_token").await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("already been used")
    );
}

#[tokio::test]
async fn a_confirmation_link_expires_after_a_day() {
    let app = spawn_app().await;
    app.sign_up("ada@acme.test").await;
    let token = app.confirmation_token("ada@acme.test").await;
    app.clock.advance(24 * 3600 + 1);
    let response = app
        .post("/api/signup/confirm", &json!({ "token": token }))
        .await;
    let error = error_body(response, 410, "invalid_token").await;
    assert!(error["message"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn an_unknown_confirmation_token_is_404() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/signup/confirm",
            &json!({ "token": "not-a-real-token" }),
        )
        .await;
    error_body(response, 404, "invalid_token").await;
}

#[tokio::test]
async fn unconfirmed_accounts_cannot_sign_in_until_the_new_link_is_used() {
    let app = spawn_app().await;
    app.sign_up("ada@acme.test").await;
    let first = app.confirmation_token("ada@acme.test").await;
    let sign_in = json!({ "email": "ada@acme.test", "password": PASSWORD });
    let response = app.post("/api/session", &sign_in).await;
    error_body(response, 403, "email_unconfirmed").await;

    let response = app
        .post("/api/signup/resend", &json!({ "email": "ada@acme.test" }))
        .await;
    assert_eq!(response.status(), 202);
    let second = app.confirmation_token("ada@acme.test").await;
    assert_ne!(first, second);
    // Sending a new link kills the old one.
    let old = app
        .post("/api/signup/confirm", &json!({ "token": first }))
        .await;
    error_body(old, 410, "invalid_token").await;
    let new = app
        .post("/api/signup/confirm", &json!({ "token": second }))
        .await;
    assert_eq!(new.status(), 200);
    assert_eq!(app.post("/api/session", &sign_in).await.status(), 200);
}

#[tokio::test]
async fn sign_up_with_a_taken_address_looks_the_same_and_tells_the_owner() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let again = app.sign_up("ADA@acme.test").await;
    assert_eq!(again.status(), 202);
    let orgs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organisations")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(orgs, 1);
    let mails = app.mails_to("ada@acme.test").await;
    assert!(mails[0].subject.contains("tried to sign up"));
    // Resend for an unknown address answers the same as for a known one.
    let unknown = app
        .post(
            "/api/signup/resend",
            &json!({ "email": "nobody@acme.test" }),
        )
        .await;
    assert_eq!(unknown.status(), 202);
    assert!(app.mails_to("nobody@acme.test").await.is_empty());
}

#[tokio::test]
async fn sign_up_validates_every_field() {
    let app = spawn_app().await;
    let mut body = sign_up_body("not-an-email");
    body["pin"] = json!("123456");
    body["password"] = json!("short");
    let response = app.post("/api/signup", &body).await;
    let error = error_body(response, 422, "validation_failed").await;
    let fields = error["fields"].as_object().unwrap();
    assert_eq!(
        fields.keys().collect::<Vec<_>>(),
        ["email", "password", "pin"]
    );
    assert_eq!(fields["pin"], "Don't use a run like 123456.");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_answer_alike() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let fresh = browser(&app.url);
    let wrong = fresh
        .post(app.at("/api/session"))
        .json(&json!({ "email": "ada@acme.test", "password": "wrong password!" }))
        .send()
        .await
        .unwrap();
    let wrong = error_body(wrong, 401, "invalid_credentials").await;
    let unknown = fresh
        .post(app.at("/api/session"))
        .json(&json!({ "email": "eve@acme.test", "password": "wrong password!" }))
        .send()
        .await
        .unwrap();
    let unknown = error_body(unknown, 401, "invalid_credentials").await;
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn repeated_sign_in_failures_lock_that_account_for_a_minute() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    app.confirmed_user("alan@acme.test").await;
    let wrong = json!({ "email": "ada@acme.test", "password": "wrong password!" });
    for _ in 0..5 {
        assert_eq!(app.post("/api/session", &wrong).await.status(), 401);
    }
    // The sixth is refused, before the password is even checked: the
    // right one waits too.
    rate_limited(app.post("/api/session", &wrong).await, 60).await;
    let right = json!({ "email": "ada@acme.test", "password": PASSWORD });
    rate_limited(app.post("/api/session", &right).await, 60).await;
    // Another account, from the same address, is not held up.
    let alan = json!({ "email": "alan@acme.test", "password": PASSWORD });
    assert_eq!(app.post("/api/session", &alan).await.status(), 200);
    // One attempt comes back a minute later, not a second before.
    app.clock.advance(59);
    rate_limited(app.post("/api/session", &right).await, 1).await;
    app.clock.advance(1);
    assert_eq!(app.post("/api/session", &right).await.status(), 200);
}

#[tokio::test]
async fn a_stranger_cannot_lock_an_account_out_of_its_own_browser() {
    let app = spawn_app().await;
    // Ada's browser signs in (confirming does), and so knows the account.
    app.confirmed_user("ada@acme.test").await;
    let out = app
        .client
        .delete(app.at("/api/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let wrong = json!({ "email": "ada@acme.test", "password": "wrong password!" });
    let right = json!({ "email": "ada@acme.test", "password": PASSWORD });
    let sign_in = |client: &reqwest::Client, body: &Value| {
        client.post(app.at("/api/session")).json(body).send()
    };

    // A stranger, from their own address, uses up the account's attempts.
    let stranger = browser_at(&app.url, Ipv4Addr::new(127, 0, 0, 9));
    for _ in 0..5 {
        assert_eq!(sign_in(&stranger, &wrong).await.unwrap().status(), 401);
    }
    rate_limited(sign_in(&stranger, &wrong).await.unwrap(), 60).await;
    // A browser that never signed in as Ada waits, even with her password.
    let new_browser = browser_at(&app.url, Ipv4Addr::new(127, 0, 0, 10));
    rate_limited(sign_in(&new_browser, &right).await.unwrap(), 60).await;
    // A made-up device cookie is no better.
    let forged = reqwest::Client::new()
        .post(app.at("/api/session"))
        .header("origin", &app.url)
        .header("x-portal-request", "1")
        .header(
            "cookie",
            "portal_device=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbb",
        )
        .json(&right)
        .send()
        .await
        .unwrap();
    rate_limited(forged, 60).await;
    // Ada's own browser signs in.
    let signed_in = sign_in(&app.client, &right).await.unwrap();
    assert_eq!(signed_in.status(), 200);
    let device = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("portal_device="))
        .expect("a device cookie, renewed");
    assert!(
        device.contains("HttpOnly") && device.contains("Path=/api/session"),
        "{device}"
    );
    assert!(!device.contains("usr_"), "no user id in it: {device}");
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_client_address() {
    let app = spawn_with(|c| c.sign_ins_per_minute = 7).await;
    let attempt = |client: &reqwest::Client, n: usize| {
        client
            .post(app.at("/api/session"))
            .json(
                &json!({ "email": format!("nobody{n}@acme.test"), "password": "wrong password!" }),
            )
            .send()
    };
    let here = browser(&app.url);
    for n in 0..7 {
        assert_eq!(
            attempt(&here, n).await.unwrap().status(),
            401,
            "attempt {n}"
        );
    }
    // The eighth, whatever account it names, is refused: 7 a minute is one
    // every 8.6 seconds, which Retry-After rounds up.
    rate_limited(attempt(&here, 7).await.unwrap(), 9).await;
    // Another address has its own allowance.
    let elsewhere = browser_at(&app.url, Ipv4Addr::new(127, 0, 0, 2));
    assert_eq!(attempt(&elsewhere, 8).await.unwrap().status(), 401);
    app.clock.advance(8);
    rate_limited(attempt(&here, 9).await.unwrap(), 1).await;
    app.clock.advance(1);
    assert_eq!(attempt(&here, 10).await.unwrap().status(), 401);
}

#[tokio::test]
async fn sign_ups_and_resent_links_share_one_limit_per_address() {
    let app = spawn_with(|c| c.sign_ups_per_hour = 10).await;
    let here = browser(&app.url);
    let sign_up = |client: &reqwest::Client, n: usize| {
        client
            .post(app.at("/api/signup"))
            .json(&sign_up_body(&format!("user{n}@acme.test")))
            .send()
    };
    let resend = |client: &reqwest::Client| {
        client
            .post(app.at("/api/signup/resend"))
            .json(&json!({ "email": "user0@acme.test" }))
            .send()
    };
    for n in 0..5 {
        assert_eq!(
            sign_up(&here, n).await.unwrap().status(),
            202,
            "sign-up {n}"
        );
        assert_eq!(resend(&here).await.unwrap().status(), 202, "resend {n}");
    }
    // Ten in the hour: the eleventh, of either kind, waits 6 minutes, and
    // its mail is not sent.
    rate_limited(sign_up(&here, 5).await.unwrap(), 360).await;
    rate_limited(resend(&here).await.unwrap(), 360).await;
    assert!(app.mails_to("user5@acme.test").await.is_empty());
    assert_eq!(app.mails_to("user0@acme.test").await.len(), 6);
    // Another address is not affected.
    let elsewhere = browser_at(&app.url, Ipv4Addr::new(127, 0, 0, 2));
    assert_eq!(sign_up(&elsewhere, 6).await.unwrap().status(), 202);
    app.clock.advance(360);
    assert_eq!(sign_up(&here, 7).await.unwrap().status(), 202);
    rate_limited(sign_up(&here, 8).await.unwrap(), 360).await;
}

#[tokio::test]
async fn a_session_ends_after_its_idle_time() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    app.clock.advance(120 * 60 - 1);
    assert_eq!(app.get("/api/session").await.status(), 200);
    app.clock.advance(120 * 60 + 1);
    error_body(app.get("/api/session").await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_used_session_ends_at_its_maximum_age_alone() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    // Kept alive by use, never idle for more than 110 minutes...
    for _ in 0..6 {
        app.clock.advance(100 * 60);
        assert_eq!(app.get("/api/session").await.status(), 200);
    }
    // ...at 11 h 50 m too...
    app.clock.advance(110 * 60);
    assert_eq!(app.get("/api/session").await.status(), 200);
    // ...but not at 12 h 01 m, 11 minutes after its last use: only the cap
    // can end it here.
    app.clock.advance(11 * 60);
    error_body(app.get("/api/session").await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn sign_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    app.sign_up("ada@acme.test").await;
    let token = app.confirmation_token("ada@acme.test").await;
    let response = app
        .post("/api/signup/confirm", &json!({ "token": token }))
        .await;
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();

    let response = app
        .client
        .delete(app.at("/api/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // The old cookie, replayed, no longer works.
    let replay = reqwest::Client::new()
        .get(app.at("/api/session"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    error_body(replay, 401, "unauthenticated").await;
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}

#[tokio::test]
async fn cookies_are_secure_behind_an_https_public_url() {
    let app = spawn_with(|c| c.public_url = "https://portal.example.com".into()).await;
    // The browser is on the public origin.
    let ada = browser("https://portal.example.com");
    let signup = ada
        .post(app.at("/api/signup"))
        .json(&sign_up_body("ada@acme.test"))
        .send()
        .await
        .unwrap();
    assert_eq!(signup.status(), 202);
    let token = app.confirmation_token("ada@acme.test").await;
    let confirmed = ada
        .post(app.at("/api/signup/confirm"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 200);
    let cookie = confirmed.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    let cleared = ada.delete(app.at("/api/session")).send().await.unwrap();
    let cookie = cleared.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("Max-Age=0") && cookie.ends_with("; Secure"),
        "{cookie}"
    );
    // Behind plain http the same cookie is not marked Secure (a browser
    // would drop it).
    let plain = spawn_app().await;
    plain.sign_up("ada@acme.test").await;
    let token = plain.confirmation_token("ada@acme.test").await;
    let confirmed = plain
        .post("/api/signup/confirm", &json!({ "token": token }))
        .await;
    let cookie = confirmed.headers()["set-cookie"].to_str().unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn new_organisations_wait_for_approval_when_auto_approve_is_off() {
    let app = spawn_with(|c| c.auto_approve = false).await;
    let session = app.confirmed_user("ada@acme.test").await;
    assert_eq!(session["organisation"]["status"], "pending");
}

#[tokio::test]
async fn an_unconfirmed_sign_up_does_not_hold_the_address() {
    let app = spawn_app().await;
    // Someone signs up with Ada's address and never confirms.
    let mut squat = sign_up_body("ada@acme.test");
    squat["organisation_name"] = json!("Squatters Inc");
    assert_eq!(app.post("/api/signup", &squat).await.status(), 202);
    let squat_token = app.confirmation_token("ada@acme.test").await;

    // Ada signs up for real: her own organisation, and the old link is dead.
    let session = app.confirmed_user("ada@acme.test").await;
    assert_eq!(session["organisation"]["name"], "Acme Payments");
    let old = app
        .post("/api/signup/confirm", &json!({ "token": squat_token }))
        .await;
    error_body(old, 404, "invalid_token").await;
    let orgs: Vec<String> = sqlx::query_scalar("SELECT name FROM organisations")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(orgs, ["Acme Payments"]);
}

#[tokio::test]
async fn a_flood_of_sign_ins_is_turned_away_before_it_hashes() {
    // One password check at a time, none waiting: the rest of a burst is
    // refused at once, with a time to come back, and nothing fails.
    let app = spawn_with(|c| {
        c.hashing_concurrency = 1;
        c.hashing_queue = 0;
    })
    .await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..16u8 {
        // From as many addresses, for as many unknown accounts: no
        // per-address or per-account limit applies.
        let client = browser_at(&app.url, Ipv4Addr::new(127, 0, 3, i + 1));
        let url = app.at("/api/session");
        set.spawn(async move {
            let body =
                json!({ "email": format!("nobody{i}@acme.test"), "password": "guess guess guess" });
            let response = client.post(url).json(&body).send().await.unwrap();
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let code = response.json::<Value>().await.unwrap()["code"].clone();
            (status, retry_after, code)
        });
    }
    let answers = set.join_all().await;
    let busy: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 503).collect();
    let checked = answers.iter().filter(|(s, _, _)| *s == 401).count();
    assert!(!busy.is_empty(), "{answers:?}");
    assert!(checked >= 1, "{answers:?}");
    assert_eq!(busy.len() + checked, answers.len(), "{answers:?}");
    for (_, retry_after, code) in busy {
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert_eq!(code, "busy");
    }
}

#[tokio::test]
async fn a_password_change_ends_the_device_cookies_made_before_it() {
    let app = spawn_app().await;
    app.confirmed_user("ada@acme.test").await;
    let sign_in = |client: &reqwest::Client, password: &str| {
        client
            .post(app.at("/api/session"))
            .json(&json!({ "email": "ada@acme.test", "password": password }))
            .send()
    };
    // Someone with Ada's password signs in: their browser gets a device cookie.
    let thief = browser_at(&app.url, Ipv4Addr::new(127, 0, 0, 11));
    assert_eq!(sign_in(&thief, PASSWORD).await.unwrap().status(), 200);
    // Ada changes her password.
    let changed = app
        .post(
            "/api/me/password",
            &json!({ "current_password": PASSWORD, "new_password": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(changed.status(), 204);
    // A stranger uses up the account's attempts for unknown browsers (the
    // thief's first sign-in, from an unknown browser then, was one).
    let stranger = browser_at(&app.url, Ipv4Addr::new(127, 0, 0, 12));
    for _ in 0..4 {
        assert_eq!(
            sign_in(&stranger, "wrong password!")
                .await
                .unwrap()
                .status(),
            401
        );
    }
    rate_limited(sign_in(&stranger, "wrong password!").await.unwrap(), 60).await;
    // The thief's browser is unknown now: it waits with the strangers
    // instead of guessing on with attempts of its own.
    rate_limited(sign_in(&thief, "a guess at the new one").await.unwrap(), 60).await;
}

#[tokio::test]
async fn a_users_device_cookies_share_a_bounded_number_of_attempt_budgets() {
    let app = spawn_with(|c| c.sign_ins_per_minute = 10_000).await;
    app.confirmed_user("ada@acme.test").await;
    let body = |password: &str| json!({ "email": "ada@acme.test", "password": password });
    let device_of = |response: &reqwest::Response| {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix("portal_device="))
            .and_then(|c| c.split(';').next())
            .expect("a device cookie")
            .to_owned()
    };
    // Ada's browser signs in again and again: each sign-in hands it a new
    // device cookie. (Its own budget, 5 a minute, paces it.)
    let mut devices = Vec::new();
    for n in 0..16 {
        if n % 5 == 4 {
            app.clock.advance(60);
        }
        let signed_in = app.post("/api/session", &body(PASSWORD)).await;
        assert_eq!(signed_in.status(), 200, "sign-in {n}");
        devices.push(device_of(&signed_in));
    }
    app.clock.advance(60);
    // Wrong passwords from every one of those cookies: each bucket gives 5,
    // and 16 cookies share at most DEVICE_BUCKETS (8) buckets, not 16.
    let mut accepted = 0;
    for device in &devices {
        loop {
            let attempt = reqwest::Client::new()
                .post(app.at("/api/session"))
                .header("origin", &app.url)
                .header("x-portal-request", "1")
                .header("cookie", format!("portal_device={device}"))
                .json(&body("wrong password!"))
                .send()
                .await
                .unwrap();
            match attempt.status().as_u16() {
                401 => accepted += 1,
                429 => break,
                other => panic!("unexpected {other}"),
            }
        }
    }
    assert!(
        (5..=8 * 5).contains(&accepted),
        "{accepted} attempts from 16 device cookies"
    );
}

#[tokio::test]
async fn strangers_have_a_budget_of_sign_ins_per_instance_and_the_owner_goes_past_it() {
    let app = spawn_with(|c| c.sign_ins_per_second = 3).await;
    // Ada's browser knows her account (confirming signs it in).
    app.confirmed_user("ada@acme.test").await;
    let attempt = |client: &reqwest::Client, email: String, password: &str| {
        client
            .post(app.at("/api/session"))
            .json(&json!({ "email": email, "password": password }))
            .send()
    };
    // Strangers from many addresses, for many accounts: no per-address or
    // per-account limit sees them; the instance's budget does.
    let stranger = |i: u8| browser_at(&app.url, Ipv4Addr::new(127, 0, 4, i + 1));
    for i in 0..3 {
        let answer = attempt(&stranger(i), format!("nobody{i}@acme.test"), "guess guess").await;
        assert_eq!(answer.unwrap().status(), 401, "stranger {i}");
    }
    let refused = attempt(&stranger(3), "nobody3@acme.test".into(), "guess guess")
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(refused.json::<Value>().await.unwrap()["code"], "busy");
    // Ada, from her own browser, signs in through it.
    let own = attempt(&app.client, "ada@acme.test".into(), PASSWORD)
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    // A third of a second later, one stranger more.
    app.clock.advance_nanos(334_000_000);
    let next = attempt(&stranger(4), "nobody4@acme.test".into(), "guess guess").await;
    assert_eq!(next.unwrap().status(), 401);
}
