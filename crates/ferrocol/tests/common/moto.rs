//! moto (the AWS API emulator) for the end-to-end tests: the harness is shared with the `aws`
//! crate's tests, so it is written once, there.

include!("../../../aws/tests/support/moto.rs");
