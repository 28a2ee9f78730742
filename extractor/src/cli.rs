//! Command-line interface: parsing is kept apart from what the commands do.

use crate::confession;
use crate::drivers::cmake::{Deps, Generator};
use crate::error::Error;
use crate::options::Options;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "confess",
    version,
    about = "Make a C/C++ build confess its dependency graph, without compiling.",
    long_about = "confess runs a project's own build with shims in place of the compiler, \
archiver and linker. The shims write small GraphNode tokens instead of machine code, so the build \
system itself works out the exact graph: which sources, which flags, which objects in which \
library, which libraries in which program. No real compilation happens, and the build runs from a \
scratch copy, sealed in namespaces of its own: your source tree and the rest of your files are never written to (what the build writes outside its tree goes to a throwaway layer and is listed in report.md); only --compdb writes where you ask.\n\n\
Outputs (in --out, default ./confess-out): compile_commands.json, link_commands.json, graph.json, graph.dot (the target graph), \
graph-files.dot, graph.txt, summary.txt, build.log, generated/ (copies of generated sources), confession/ (the \
recorded events and tokens), dhall/ (BUILD.dhall manifests of the targets, with their schema), \
targets.json, report.md and report.html; with --log-format json, log.jsonl (the run's events).",
    after_help = "Examples:\n  confess make ./src\n  confess make ./src -j8 -- CFLAGS=-O2 all\n  \
confess cmake ./src -- -DBUILD_SHARED_LIBS=ON\n  \
confess autotools ./src --vpath -- --disable-static\n  confess meson ./src -- -Dtests=disabled\n  confess ninja ./build\n  confess run -- ./build.sh\n  confess verify\n\nExit codes: 0 success, 1 the build failed (what was recorded is still \
written), 2 usage, 3 bad source directory, 4 missing tool, 5 I/O error, 6 unreadable confession, \
7 verify found a difference, 8 the engine's types cannot express the build's toolchain (confess's \
own form is written, the engine form is not), 9 another run holds --out, 10 the build cannot be sealed here (see --unsealed), 128+N a signal N \
stopped the run (--out is left as it was)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

// The bools are command-line switches, one field each, as clap reads them.
#[allow(clippy::struct_excessive_bools)]
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
    #[arg(
        short = 'j',
        long = "jobs",
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub jobs: Option<usize>,
    /// Keep the scratch directory (the copy of the sources, events, tokens, realized programs)
    /// and print where it is.
    #[arg(long)]
    pub keep_scratch: bool,
    /// No progress line while the build runs, and with --verbose, no build output.
    #[arg(long, short)]
    pub quiet: bool,
    /// Stream the build's own output onto stderr (above the progress line), and print the build
    /// phase's wall and CPU time and confess's peak memory there.
    #[arg(long, short)]
    pub verbose: bool,
    /// `json`: also write a log of the run, one JSON object a line (its start and end, each
    /// phase's start and end, each call the shims recorded with their decision, each warning),
    /// to log.jsonl in the output directory or to --log-file. `text` (the default) writes none.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// With --log-format json: write the log to PATH instead of the output directory (in one
    /// step, once the confession is in place).
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Import the engine's types in the BUILD.dhall manifests from DIR, a checkout of the
    /// engine's src/armitage/dhall, instead of from the dhall/engine/ confess writes.
    #[arg(long, value_name = "DIR", env = "CONFESS_ENGINE_SCHEMA")]
    pub engine_schema: Option<PathBuf>,
    /// Run the build without its seal (no namespaces): where namespaces are not available.
    /// Writes through absolute paths and installs then reach your real files.
    #[arg(long, env = "CONFESS_UNSEALED", value_parser = clap::builder::FalseyValueParser::new())]
    pub unsealed: bool,
    /// Let the sealed build reach the network (it has none by default).
    #[arg(long)]
    pub network: bool,
    /// Also write compile_commands.json to PATH (a file, or a directory to hold one), such as
    /// your project root, where clangd looks: the one write confess makes outside --out, and
    /// only when asked.
    #[arg(long, value_name = "PATH")]
    pub compdb: Option<PathBuf>,
    /// With --compdb: merge with the database already at PATH; for each file and output, this
    /// run's entry replaces the old one.
    #[arg(long, requires = "compdb")]
    pub append: bool,
    /// Leave out of compile_commands.json the entries whose file matches GLOB (its absolute path,
    /// or its path in the source tree: `tests/*`, `*/vendor/*`). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// In compile_commands.json, name files, outputs and path arguments below an entry's
    /// directory relative to it.
    #[arg(long)]
    pub relative: bool,
    /// What targets built from sources outside the project tree become (a Debian build's
    /// add_subdirectory(/usr/src/googletest)): targets of their own under `_outside/`
    /// (targets), or an External dependency of the targets that use them, named by where
    /// their sources are and pinned by the content the build read (external).
    #[arg(long, value_enum, default_value = "targets")]
    pub outside: crate::targets::OutsideAs,
}

/// `--log-format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
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
        /// Build every target the project defines, those outside the default build too
        /// (EXCLUDE_FROM_ALL: tests, examples), so that they are confessed.
        #[arg(long)]
        all_targets: bool,
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
    /// Confess an Autotools package: `autoreconf -fi` when the copy has no configure script,
    /// then configure (the real tools answer every probe) and make with the shims in place.
    Autotools {
        /// The package's top directory (holding configure or configure.ac).
        #[arg(default_value = ".")]
        src: PathBuf,
        #[command(flatten)]
        common: Common,
        /// What pkg-config answers: real modules where installed and made-up ones otherwise
        /// (auto), only real ones (real), or made-up ones everywhere (fake).
        #[arg(long, value_enum, default_value = "auto")]
        deps: Deps,
        /// Configure and build in a separate build directory (a VPATH build) instead of in
        /// the copy of the sources.
        #[arg(long)]
        vpath: bool,
        /// An argument for make (a target, VAR=value); repeat for several.
        #[arg(long = "make-arg", value_name = "ARG", allow_hyphen_values = true)]
        make_args: Vec<String>,
        /// Arguments for configure (--disable-shared, --with-x), after `--`.
        #[arg(last = true, value_name = "CONFIGURE ARGS")]
        configure_args: Vec<String>,
    },
    /// Confess a Meson project: `meson setup` with a native file naming the shims (the real
    /// tools answer every configure check), then ninja builds with the shims in place.
    Meson {
        /// The directory holding the top meson.build.
        #[arg(default_value = ".")]
        src: PathBuf,
        #[command(flatten)]
        common: Common,
        /// What dependency() does: the real pkg-config (and CMake) where the dependency is
        /// installed and a made-up one otherwise (auto), only the real ones (real), or made-up
        /// dependencies everywhere (fake).
        #[arg(long, value_enum, default_value = "auto")]
        deps: Deps,
        /// Build every target the project defines, those not built by default too
        /// (build_by_default: false: tests, examples), so that they are confessed.
        #[arg(long)]
        all_targets: bool,
        /// Arguments for meson setup (-Dopt=value, --buildtype=release), after `--`.
        #[arg(last = true, value_name = "MESON ARGS")]
        meson_args: Vec<String>,
    },
    /// Confess the build ninja would run in an existing build directory (one CMake or meson
    /// generated, or a hand-written build.ninja): the directory is copied and built from
    /// scratch with the shims in place of the tools; yours is not touched.
    Ninja {
        /// The directory holding build.ninja.
        #[arg(default_value = ".")]
        build_dir: PathBuf,
        #[command(flatten)]
        common: Common,
        /// Targets to build (default: ninja's default targets).
        targets: Vec<String>,
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
    /// Rebuild a confession's BUILD.dhall manifests with the real toolchain, run the project's
    /// own build for real with the same options, and compare the two target by target: objects
    /// byte for byte (or by symbols and section sizes), archives by members, shared libraries
    /// and programs by SONAME, needed libraries and dynamic symbols. Writes verify/ in the
    /// output directory (verify.json, build.ninja, both build logs); exits 7 on a difference.
    Verify {
        #[command(flatten)]
        earlier: Earlier,
        /// Parallel jobs for both builds.
        #[arg(
            short = 'j',
            long = "jobs",
            value_name = "N",
            allow_negative_numbers = true
        )]
        jobs: Option<usize>,
        /// Keep the scratch directory (both builds' trees) and print where it is.
        #[arg(long)]
        keep_scratch: bool,
        /// Run the real build without its seal (as the confession did if it was given
        /// --unsealed).
        #[arg(long)]
        unsealed: bool,
    },
    /// Interpret a kept confession again, with this confess, from its confession/ directory
    /// alone (no build runs; neither the sources nor the scratch directory are read): every
    /// output is derived anew, the same bytes as the run that made it gave (log.jsonl aside).
    /// Exits as that run did.
    Extract {
        /// The output directory of an earlier confession.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// Where the outputs go (default: FROM itself, replaced whole).
        #[arg(long, short, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// List the targets of a confession already in the output directory (no build runs).
    Targets {
        #[command(flatten)]
        earlier: Earlier,
    },
    /// Compare two confessions, or a confession and a directory of manifests you committed:
    /// targets added and removed, and for the others their sources, headers, flags, deps,
    /// externals, toolchain and link line. Exit 1 when they differ (drift), 0 when not.
    Diff {
        /// The old side: a confess --out directory, or a directory of manifests (its
        /// schema.dhall and BUILD.confess.dhall files, as confess wrote them under dhall/).
        /// With --against: the source directory to confess.
        a: PathBuf,
        /// The new side, likewise (not with --against).
        #[arg(required_unless_present = "against")]
        b: Option<PathBuf>,
        /// Confess A first (its build system found by its files: CMakeLists.txt, meson.build,
        /// configure or configure.ac, a Makefile, build.ninja) into --out, and compare DIR (the
        /// old side: committed manifests, or an earlier confession) with it.
        #[arg(long, value_name = "DIR", conflicts_with = "b")]
        against: Option<PathBuf>,
        /// With --against: where the confession of A goes.
        #[arg(long, short, value_name = "DIR", default_value = "confess-out")]
        out: PathBuf,
        /// Write the differences as JSON on stdout instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write a software bill of materials of a confession already in the output directory:
    /// the packages the build asked for (find_package, pkg-config, FetchContent) with their
    /// versions, the files outside the project its targets link (with the sha256 taken while
    /// confessing), the libraries the linker found by -l, and the targets that use each.
    Sbom {
        #[command(flatten)]
        earlier: Earlier,
        /// CycloneDX 1.5 JSON or SPDX 2.3 JSON, on stdout.
        #[arg(long, value_enum, default_value = "cyclonedx")]
        format: crate::sbom::Format,
    },
    /// Say where the work cache is (CONFESS_CACHE), what it holds (realized artifacts and
    /// configure probes) and its size against its bound (CONFESS_CACHE_SIZE); --clear empties
    /// it.
    Cache {
        /// Remove every entry (refused while a confession is running on the cache: exit 9).
        #[arg(long)]
        clear: bool,
    },
    /// Show one target of a confession already in the output directory: its sources, headers,
    /// typed flags (and any raw ones), dependencies and the commands they came from.
    Explain {
        /// The target: NAME, DIR:NAME or //DIR:NAME (`confess targets` lists them).
        target: String,
        #[command(flatten)]
        earlier: Earlier,
    },
}

/// `--out` of a command that reads an earlier confession (verify, targets, explain, sbom).
#[derive(clap::Args, Debug)]
pub struct Earlier {
    /// The output directory of an earlier confession.
    #[arg(
        long,
        short,
        value_name = "DIR",
        default_value = "confess-out",
        env = "CONFESS_OUT"
    )]
    pub out: PathBuf,
}

impl Common {
    fn options(&self) -> Result<Options, Error> {
        Ok(Options {
            out: self.out.clone(),
            jobs: self.jobs,
            keep_scratch: self.keep_scratch,
            progress: !self.quiet,
            verbose: self.verbose,
            engine_root: match &self.engine_schema {
                Some(d) => crate::emit::engine_dhall::EngineRoot::from_dir(d)?,
                None => crate::emit::engine_dhall::EngineRoot::default(),
            },
            seal: crate::seal::SealOptions {
                unsealed: self.unsealed,
                network: self.network,
            },
            outside: self.outside,
            compdb: crate::emit::compdb::Options {
                path: self.compdb.clone(),
                append: self.append,
                exclude: crate::emit::compdb::Options::patterns(&self.exclude)
                    .map_err(Error::Usage)?,
                relative: self.relative,
            },
            json_log: match (self.log_format, &self.log_file) {
                (LogFormat::Text, None) => None,
                (LogFormat::Text, Some(p)) => {
                    return Err(Error::Usage(format!(
                        "--log-file {} needs --log-format json",
                        p.display()
                    )))
                }
                (LogFormat::Json, None) => Some(crate::options::JsonLog::InOut),
                (LogFormat::Json, Some(p)) => Some(crate::options::JsonLog::File(
                    std::path::absolute(p).map_err(|e| Error::io("reading", p, e))?,
                )),
            },
        })
    }
}

#[must_use]
pub fn main() -> i32 {
    let cli = Cli::parse();
    crate::interrupt::install();
    match execute(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("confess: error: {e}");
            e.exit_code()
        }
    }
}

/// The build a confession ran, as its record keeps it (`run.json`), or as its command line
/// says (a confession of an earlier confess, with no record).
fn recorded_build(
    out: &Path,
) -> Result<(crate::drivers::Config, crate::interpret::BuildOptions), Error> {
    if out.join("confession").join(crate::interpret::RUN).is_file() {
        let r = crate::interpret::read_record(out)?;
        return Ok((r.config, r.build));
    }
    let inv = crate::interpret::read_invocation(out)?;
    let cli = Cli::try_parse_from(inv.args_os()).map_err(|e| Error::Input {
        path: out.join(crate::interpret::INVOCATION),
        reason: format!("the recorded command line does not parse: {e}"),
    })?;
    // Relative paths of the command line are the directory it ran in's.
    std::env::set_current_dir(&inv.cwd).map_err(|e| Error::Input {
        path: inv.cwd.clone(),
        reason: format!("the directory the confession ran in is gone ({e})"),
    })?;
    let Some((config, common)) = config_of(cli.command)? else {
        return Err(Error::Usage(
            "the recorded command is not a confession".into(),
        ));
    };
    Ok((
        config,
        crate::interpret::BuildOptions {
            jobs: common.jobs,
            unsealed: common.unsealed,
            network: common.network,
        },
    ))
}

/// `confess verify`: the confession's record (or its command line) gives the build to run for
/// real.
fn verify(
    out: &Path,
    jobs: Option<usize>,
    keep_scratch: bool,
    unsealed: bool,
) -> Result<i32, Error> {
    let (config, build) = recorded_build(out)?;
    let out = std::fs::canonicalize(out).map_err(|e| Error::io("reading", out, e))?;
    let driver = config.driver()?;
    let report = crate::verify::run(
        driver.as_ref(),
        &crate::verify::Options {
            out,
            jobs: jobs.or(build.jobs),
            keep_scratch,
            seal: crate::seal::SealOptions {
                unsealed: unsealed || build.unsealed,
                network: build.network,
            },
        },
    )?;
    print!("{}", report.render());
    match report.failures() {
        0 => Ok(0),
        n => Err(Error::Mismatch {
            failing: n - report.unclaimed.len(),
            total: report.targets.len(),
            unclaimed: match report.unclaimed.len() {
                0 => String::new(),
                1 => ", and it made an artifact no target of the manifests builds".into(),
                u => format!(", and it made {u} artifacts no target of the manifests builds"),
            },
        }),
    }
}

fn execute(cli: Cli) -> Result<i32, Error> {
    let command = match cli.command {
        Cmd::Verify {
            earlier: Earlier { out },
            jobs,
            keep_scratch,
            unsealed,
        } => return verify(&out, jobs, keep_scratch, unsealed),
        Cmd::Targets {
            earlier: Earlier { out },
        } => {
            print!("{}", crate::explain::targets(&crate::explain::load(&out)?));
            return Ok(0);
        }
        Cmd::Extract { from, out } => {
            let outcome = crate::interpret::extract(&from, out.as_deref())?;
            print!("{}", outcome.summary);
            return match (outcome.build_failure, outcome.engine_lacks) {
                (Some(e), _) => Err(e),
                (None, Some(lacks)) => Err(Error::EngineForm { lacks }),
                (None, None) => Ok(0),
            };
        }
        Cmd::Diff {
            a,
            b,
            against,
            out,
            json,
        } => {
            let (a, b) = match (against, b) {
                (Some(old), _) => {
                    confess_for_diff(&a, &out)?;
                    (old, out)
                }
                (None, Some(b)) => (a, b),
                (None, None) => return Err(Error::Usage("confess diff needs A and B".into())),
            };
            let d = crate::diff::diff(&crate::diff::load(&a)?, &crate::diff::load(&b)?);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&d).map_err(|e| Error::Store {
                        path: b.clone(),
                        reason: e.to_string(),
                    })?
                );
            } else {
                print!("{}", d.render());
            }
            return Ok(i32::from(d.drift()));
        }
        Cmd::Sbom {
            earlier: Earlier { out },
            format,
        } => {
            print!("{}", crate::sbom::render(&out, format)?);
            return Ok(0);
        }
        Cmd::Cache { clear } => {
            print!("{}", crate::workcache::describe(clear)?);
            return Ok(0);
        }
        Cmd::Explain {
            target,
            earlier: Earlier { out },
        } => {
            let c = crate::explain::load(&out)?;
            let (dir, t) = crate::explain::find(&c, &target)?;
            print!("{}", crate::explain::explain(&c, dir, t));
            return Ok(0);
        }
        c => c,
    };
    let Some((config, common)) = config_of(command)? else {
        return Ok(0);
    };
    let outcome = confession::run(&config, &common.options()?)?;
    print!("{}", outcome.summary);
    if let Some((p, why)) = &outcome.scratch_kept {
        eprintln!("confess: scratch directory kept at {} ({why})", p.display());
    }
    match (outcome.build_failure, outcome.engine_lacks) {
        (Some(e), _) => Err(e),
        (None, Some(lacks)) => Err(Error::EngineForm { lacks }),
        (None, None) => Ok(0),
    }
}

/// `confess diff --against DIR SRC`: confesses SRC with the driver its files call for, into
/// `out`, the summary on stderr (stdout is the diff's).
fn confess_for_diff(src: &Path, out: &Path) -> Result<(), Error> {
    let has = |names: &[&str]| names.iter().any(|n| src.join(n).is_file());
    let sub = if has(&["CMakeLists.txt"]) {
        "cmake"
    } else if has(&["meson.build"]) {
        "meson"
    } else if has(&["configure.ac", "configure.in", "configure"]) {
        "autotools"
    } else if has(&["GNUmakefile", "makefile", "Makefile"]) {
        "make"
    } else if has(&["build.ninja"]) {
        "ninja"
    } else {
        return Err(Error::Input {
            path: src.to_path_buf(),
            reason: "no build system found to confess (no CMakeLists.txt, meson.build, configure, configure.ac, Makefile or build.ninja): confess it with its command, then `confess diff DIR OUT`".into(),
        });
    };
    let args: Vec<std::ffi::OsString> = vec![
        "confess".into(),
        sub.into(),
        src.as_os_str().to_owned(),
        "--out".into(),
        out.as_os_str().to_owned(),
        "--quiet".into(),
    ];
    let cli = Cli::try_parse_from(args).map_err(|e| Error::Usage(e.to_string()))?;
    let Some((config, common)) = config_of(cli.command)? else {
        return Ok(());
    };
    let outcome = confession::run(&config, &common.options()?)?;
    eprint!("{}", outcome.summary);
    match outcome.build_failure {
        Some(e) => Err(e),
        // Without the engine form, confess's own form (targets.json) is written: diff reads it.
        None => Ok(()),
    }
}

/// A confessing command's driver configuration and its common options.
pub type Confessing = (crate::drivers::Config, Common);

/// The driver configuration a confessing command runs, with its common options; `None` for the
/// commands that read a confession instead of making one.
pub fn config_of(command: Cmd) -> Result<Option<Confessing>, Error> {
    use crate::drivers::{absolute_text as abs, Config};
    Ok(Some(match command {
        Cmd::Make {
            src,
            common,
            make_args,
        } => (
            Config::Make {
                src: abs(&src),
                make_args,
            },
            common,
        ),
        Cmd::Autotools {
            src,
            common,
            deps,
            vpath,
            make_args,
            configure_args,
        } => (
            Config::Autotools {
                src: abs(&src),
                deps,
                vpath,
                configure_args,
                make_args,
            },
            common,
        ),
        Cmd::Meson {
            src,
            common,
            deps,
            all_targets,
            meson_args,
        } => (
            Config::Meson {
                src: abs(&src),
                deps,
                all_targets,
                meson_args,
            },
            common,
        ),
        Cmd::Ninja {
            build_dir,
            common,
            targets,
        } => (
            Config::Ninja {
                build_dir: abs(&build_dir),
                targets,
            },
            common,
        ),
        Cmd::Run { dir, common, cmd } => (
            Config::Run {
                dir: abs(&dir),
                cmd,
            },
            common,
        ),
        Cmd::Verify { .. }
        | Cmd::Targets { .. }
        | Cmd::Extract { .. }
        | Cmd::Explain { .. }
        | Cmd::Diff { .. }
        | Cmd::Cache { .. }
        | Cmd::Sbom { .. } => return Ok(None),
        Cmd::Cmake {
            src,
            common,
            all_targets,
            generator,
            deps,
            cmake_args,
        } => (
            Config::Cmake {
                src: abs(&src),
                generator,
                deps,
                all_targets,
                cmake_args,
            },
            common,
        ),
    }))
}
