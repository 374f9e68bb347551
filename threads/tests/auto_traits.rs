//! Send/Sync/Unpin of every public type (STYLE.md §6.7).
#![cfg(not(cfut_loom))] // real threads only; loom builds run the models in src/sleep/tests

use cfut_threads::{BuildError, ThreadPoolBuilder, ThreadPoolExecutor};

fn is_send<T: Send>() {}
fn is_sync<T: Sync>() {}
fn is_unpin<T: Unpin>() {}
fn is_error<T: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn public_types() {
    is_send::<ThreadPoolExecutor>();
    is_sync::<ThreadPoolExecutor>();
    is_unpin::<ThreadPoolExecutor>();
    is_send::<ThreadPoolBuilder>();
    is_sync::<ThreadPoolBuilder>();
    is_unpin::<ThreadPoolBuilder>();
    is_send::<BuildError>();
    is_sync::<BuildError>();
    is_unpin::<BuildError>();
    is_error::<BuildError>();
}

#[test]
fn executor_traits() {
    fn job_executor<T: cfut_core::JobExecutor>() {}
    fn call_executor<T: cfut_core::CallExecutor>() {}
    job_executor::<ThreadPoolExecutor>();
    call_executor::<ThreadPoolExecutor>();
    let pool = ThreadPoolExecutor::new(1).unwrap();
    let _object: &dyn cfut_core::JobExecutor = &pool;
}
