//! confess shims: the multi-call binary that stands in for compilers, archivers and linkers,
//! and the formats it writes (GraphNode tokens and the event store).

pub mod archive;
pub mod args;
pub mod asm;
pub mod binutils;
pub mod compile;
pub mod ctx;
pub mod events;
pub mod facts;
pub mod files;
pub mod flags;
pub mod headers;
pub mod link;
pub mod phase;
pub mod pkgconfig;
pub mod pp;
pub mod ppscan;
pub mod probecache;
pub mod raw;
pub mod realize;
pub mod role;
pub mod session;
pub mod shim;
pub mod store;
pub mod token;
pub mod workcache;
