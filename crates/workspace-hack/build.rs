//! Cargo looks at a package's build-dependencies only when it has a build
//! script: this one does nothing.
fn main() {}
