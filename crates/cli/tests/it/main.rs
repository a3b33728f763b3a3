//! The cli crate's integration tests in one binary (each file was its own, and each linked
//! the whole AWS SDK): one build, one link. Its tests run side by side on one emulator, so
//! each stack has its own 172.N.0.0/16: 16 stack (EC2), 20-22 lock, 23-28 network,
//! 29-30 faults, 31 stack (Fargate); 10.32-10.33 tls, 10.34-10.35 environments, 10.36 rollback, 10.37 run, 10.38 release, 10.39 build, 10.40 alarms, 10.41 prices (planned only); 24 is the examples' own range, used as written only by
//! the network lifecycle. The realistic tests (17-19) are a binary of their own
//! (tests/realistic.rs): they point the whole process at the other emulator.

mod common;

mod alarms;
mod build;
mod cli;
mod environments;
mod faults;
mod lock;
mod logs;
mod network;
mod prices;
mod release;
mod rollback;
mod run;
mod stack;
mod tls;
