//! Command-line interface: parsing is kept apart from what the commands do.

use crate::confession::{self, Options};
use crate::drivers::{
    cmake::{Cmake, Deps, Generator},
    make::Make,
    run::Run,
    Driver,
};
use crate::error::Error;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "confess",
    version,
    about = "Make a C/C++ build confess its dependency graph, without compiling.",
    long_about = "confess runs a project's own build with shims in place of the compiler, \
archiver and linker. The shims write small GraphNode tokens instead of machine code, so the build \
system itself works out the exact graph: which sources, which flags, which objects in which \
library, which libraries in which program. No real compilation happens, and the build runs from a \
scratch copy: your source tree is never written to.\n\n\
Outputs (in --out, default ./confess-out): compile_commands.json, graph.json, graph.dot, \
graph.txt, summary.txt, build.log, generated/ (copies of generated sources), confession/ (the \
recorded events and tokens), dhall/ (BUILD.dhall manifests of the targets, with their schema), \
targets.json and report.md.",
    after_help = "Examples:\n  confess make ./src\n  confess make ./src -j8 -- CFLAGS=-O2 all\n  \
confess cmake ./src -- -DBUILD_SHARED_LIBS=ON\n  confess run -- ./build.sh\n\nExit codes: 0 success, 1 the build failed (what was recorded is still \
written), 2 usage, 3 bad source directory, 4 missing tool, 5 I/O error, 6 unreadable confession."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Output directory (created if missing; only confess's own files in it are replaced).
    #[arg(
        long,
        short,
        value_name = "DIR",
        default_value = "confess-out",
        env = "CONFESS_OUT"
    )]
    pub out: PathBuf,
    /// Parallel jobs for the build (passed to make as -jN).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Keep the scratch directory (the copy of the sources, events, tokens, realized programs)
    /// and print where it is.
    #[arg(long)]
    pub keep_scratch: bool,
    /// No progress line while the build runs.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Confess a plain-Make project: runs `make` in a scratch copy of SRC.
    Make {
        /// The directory holding the Makefile.
        #[arg(default_value = ".")]
        src: PathBuf,
        #[command(flatten)]
        common: Common,
        /// Arguments for make (targets, VAR=value), after `--`.
        #[arg(last = true, value_name = "MAKE ARGS")]
        make_args: Vec<String>,
    },
    /// Confess a CMake project: configures a scratch copy with the confess toolchain file (the
    /// real tools answer every configure check), then builds it with the shims in place.
    Cmake {
        /// The directory holding the top CMakeLists.txt.
        #[arg(default_value = ".")]
        src: PathBuf,
        #[command(flatten)]
        common: Common,
        /// The CMake generator to build with.
        #[arg(long, short = 'G', value_enum, default_value = "ninja")]
        generator: Generator,
        /// What find_package does: the real one where it finds the package and a made-up one
        /// otherwise (auto), only the real one (real), or made-up packages everywhere (fake).
        #[arg(long, value_enum, default_value = "auto")]
        deps: Deps,
        /// Arguments for the configure step (-DOPT=ON, a -DCMAKE_TOOLCHAIN_FILE of your own,
        /// which confess's toolchain file loads first), after `--`.
        #[arg(last = true, value_name = "CMAKE ARGS")]
        cmake_args: Vec<String>,
    },
    /// Confess any build command, run from a scratch copy of the current directory with
    /// CC, CXX, AR and friends (and PATH) pointing at the shims.
    Run {
        /// The directory to copy and run in (default: the current directory).
        #[arg(long, value_name = "DIR", default_value = ".")]
        dir: PathBuf,
        #[command(flatten)]
        common: Common,
        /// The build command, after `--`.
        #[arg(last = true, required = true, value_name = "CMD")]
        cmd: Vec<String>,
    },
    /// List the targets of a confession already in the output directory (no build runs).
    Targets {
        /// The output directory of an earlier confession.
        #[arg(
            long,
            short,
            value_name = "DIR",
            default_value = "confess-out",
            env = "CONFESS_OUT"
        )]
        out: PathBuf,
    },
    /// Show one target of a confession already in the output directory: its sources, headers,
    /// typed flags (and any raw ones), dependencies and the commands they came from.
    Explain {
        /// The target: NAME, DIR:NAME or //DIR:NAME (`confess targets` lists them).
        target: String,
        /// The output directory of an earlier confession.
        #[arg(
            long,
            short,
            value_name = "DIR",
            default_value = "confess-out",
            env = "CONFESS_OUT"
        )]
        out: PathBuf,
    },
}

impl Common {
    fn options(&self) -> Options {
        Options {
            out: self.out.clone(),
            jobs: self.jobs,
            keep_scratch: self.keep_scratch,
            progress: !self.quiet,
        }
    }
}

pub fn main() -> i32 {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("confess: error: {e}");
            e.exit_code()
        }
    }
}

fn execute(cli: Cli) -> Result<i32, Error> {
    let (driver, common): (Box<dyn Driver>, Common) = match cli.command {
        Cmd::Make {
            src,
            common,
            make_args,
        } => (Box::new(Make::new(&src, make_args)?), common),
        Cmd::Run { dir, common, cmd } => (Box::new(Run::new(&dir, cmd)?), common),
        Cmd::Targets { out } => {
            print!("{}", crate::explain::targets(&crate::explain::load(&out)?));
            return Ok(0);
        }
        Cmd::Explain { target, out } => {
            let c = crate::explain::load(&out)?;
            let (dir, t) = crate::explain::find(&c, &target)?;
            print!("{}", crate::explain::explain(&c, dir, t));
            return Ok(0);
        }
        Cmd::Cmake {
            src,
            common,
            generator,
            deps,
            cmake_args,
        } => (
            Box::new(Cmake::new(&src, generator, deps, cmake_args)?),
            common,
        ),
    };
    let outcome = confession::run(driver.as_ref(), &common.options())?;
    print!("{}", outcome.summary);
    if let Some(p) = &outcome.scratch_kept {
        eprintln!("confess: scratch directory kept at {}", p.display());
    }
    match outcome.build_failure {
        Some(e) => Err(e),
        None => Ok(0),
    }
}
