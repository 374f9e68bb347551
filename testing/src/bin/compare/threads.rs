//! The `threads` suite. Not written yet.

use crate::report::Report;

pub(crate) fn run(_report: &mut Report) {
    eprintln!("compare: the threads suite is not written yet");
}
