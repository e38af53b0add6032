//! The server's HTTP API tests: one binary, a fresh server and database per test.

mod accounts;
mod errors;
mod helpers;
mod operator;
mod projects;
mod settings;
mod smtp;
mod static_files;
mod team;
mod team_roles;
