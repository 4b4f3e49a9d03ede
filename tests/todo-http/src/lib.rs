//! The todo example's HTTP suite, one suite for both adapters: every test
//! in `tests/suite/` runs against the axum build (`tests/axum.rs`) and the
//! actix-web build (`tests/actix.rs`) of the same app, over real TCP. This
//! library is empty; the harness is `tests/common/`.
