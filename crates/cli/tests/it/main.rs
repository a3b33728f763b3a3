//! The cli crate's integration tests in one binary (each file was its own, and each linked
//! the whole AWS SDK): one build, one link.

mod common;

mod cli;
mod faults;
mod lock;
mod logs;
mod network;
mod realistic;
mod stack;
