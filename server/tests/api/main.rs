//! The server's HTTP API tests: one binary, a fresh server and database per test.

mod accounts;
mod backend;
mod credentials;
mod db_copy;
mod durability;
mod errors;
mod helpers;
mod instances;
mod keys;
mod operating;
mod operator;
mod partner;
mod partner_events;
mod projects;
mod proxies;
mod quotas;
mod real_server;
mod receiver;
mod secret_scan;
mod settings;
mod smtp;
mod startup;
mod static_files;
mod team;
mod team_roles;
mod webhooks;
