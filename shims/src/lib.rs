//! confess shims: the multi-call binary that stands in for compilers, archivers and linkers,
//! and the formats it writes (GraphNode tokens and the event store).

mod action;
mod archive;
pub mod args;
pub mod asm;
mod binutils;
mod compile;
pub mod ctx;
pub mod events;
pub mod facts;
mod files;
pub mod flags;
pub mod headers;
mod link;
pub mod phase;
mod pkgconfig;
mod pp;
mod ppscan;
pub mod probecache;
pub mod raw;
pub mod realize;
pub mod role;
mod scancache;
pub mod session;
pub mod shim;
pub mod store;
pub mod token;
pub mod workcache;
