//! The public types cross threads as promised (STYLE.md §6.10).

use cfut_mpi::{Builder, MpiPoolExecutor, StartError};

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>() {}
fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn public_types_are_send_and_sync() {
    assert_send_sync::<MpiPoolExecutor>();
    assert_send_sync::<Builder>();
    assert_error::<StartError>();
    // A call in flight moves between threads (queue to manager) but is never shared.
    assert_send::<cfut_processes::backend::Call>();
}
