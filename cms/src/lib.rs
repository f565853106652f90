//! Headless CMS for networks of co-operative schools. See ARCHITECTURE.md for the map.

pub mod app;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod content;
pub mod http;
pub mod jobs;
pub mod plugins;
pub mod principal;
pub mod schema;
pub mod search;
pub mod storage;
