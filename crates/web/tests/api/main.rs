//! API and HTML tests on a real database (SQLite, or PostgreSQL when
//! `SALESFLOW_TEST_DATABASE_URL` is set), through the real router.

mod access;
mod auth;
mod auth_hardening;
mod authz;
mod clashes;
mod contract;
mod conventions;
mod customers;
mod hardening_inputs;
mod hardening_money;
mod hardening_scope;
mod helpers;
mod home;
mod imports;
mod inventory;
mod leads;
mod list_actions;
mod lists;
mod money_inputs;
mod opportunities;
mod opportunity_pages;
mod pages;
mod patch;
mod products;
mod races;
mod reports;
mod search;
mod support;
mod tags;
mod tasks;
