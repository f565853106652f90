//! End-to-end suite: the real server, in this process (`App::spawn`) or as a child process.
#![allow(clippy::unwrap_used)]

mod harness;

mod auth;
mod authz;
mod basics;
mod content_flow;
mod links;
mod lists;
mod openapi;
mod outbox;
mod plugins;
mod process;
mod props;
mod relevance;
mod revisions;
mod roles;
mod schedule;
mod search;
mod security;
mod tokens;
mod transfer;
