//! The class view as people use it: learners join with the code and their
//! checks post results; the instructor's page shows the class live in
//! headless Chromium; the server holds its bounds, keeps the class across a
//! restart, and a learner whose class server is gone keeps working.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod learner;
mod page;
mod server;
