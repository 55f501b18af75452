//! No code: this crate's manifest is what counts (see its `Cargo.toml`).
