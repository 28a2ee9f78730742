//! One shim call from start to finish: role, session, decision, handler.

use crate::args;
use crate::ctx::{self, err, Ctx, Result, ShimError};
use crate::facts::{Decision as FactDecision, Reason};
use crate::phase::{self, Ancestors, Decision};
use crate::role::Role;
use crate::session::{Phase, Session};
use crate::{archive, binutils, compile, link, raw, realize};
use std::cell::OnceCell;
use std::path::{Path, PathBuf};

const USAGE: &str =
    "confess-shim: stands in for cc, c++, gcc, g++, clang, clang++, cpp, as, nasm, yasm, ld, ar, \
ranlib, nm, strip, objcopy, readelf and objdump when called by one of those names (a link in a \
directory that `confess` puts first on PATH). It is not meant to be run by hand.";

pub fn main(argv: Vec<String>) -> Result<i32> {
    if argv.get(1).map(String::as_str) == Some("--confess-top") {
        return exec_as_top(&argv[2..]);
    }
    if argv.get(1).map(String::as_str) == Some("--confess-exec") {
        let Some(token) = argv.get(2) else {
            return err("--confess-exec needs a token path");
        };
        return realize::exec_token(token, &argv[3..], ctx::this_exe()?);
    }
    let argv0 = argv.first().cloned().unwrap_or_default();
    let Some(role) = Role::from_argv0(&argv0) else {
        eprintln!("{USAGE}");
        return Ok(2);
    };
    let cwd = std::env::current_dir()
        .map_err(|e| ShimError(format!("cannot read the working directory: {e}")))?;
    let Some(session) = Session::from_env() else {
        return exec_real_outside_session(&argv, &ctx::this_exe()?, &cwd);
    };
    let ctx = Ctx {
        session,
        role,
        argv,
        cwd,
        start_ns: ctx::now_ns(),
        exe: OnceCell::default(),
    };
    // gcc finds `as` on PATH: its own call of the assembler, in either phase, is the real one
    // (the compile it belongs to is the call confess records), and costs one exec here.
    if ctx.role == Role::As && parent_is_driver() {
        return exec_real(&ctx);
    }
    // pkg-config answers in both phases (configure is where it is asked), per --deps.
    if ctx.role == Role::PkgConfig {
        return crate::pkgconfig::run(&ctx);
    }
    if ctx.session.phase == Phase::Configure {
        // A compiler probe may be answered from the work cache (`probecache`).
        if matches!(ctx.role, Role::Cc | Role::Cxx) {
            if let Some(code) = crate::probecache::run(&ctx)? {
                return Ok(code);
            }
        }
        return ctx.pass_through(Reason::ConfigurePhase);
    }
    dispatch(&ctx)
}

/// The walk that decides a call's phase: it stops at the driver, and at the command of the build
/// step (whose argv the driver judged already).
fn ancestors(ctx: &Ctx) -> Ancestors {
    Ancestors::new(ctx.session.driver_pid).stopping_at(ctx.session.top_pid)
}

fn dispatch(ctx: &Ctx) -> Result<i32> {
    match ctx.role {
        Role::Cc | Role::Cxx => {
            let clang = ctx.tool_name().contains("clang");
            let cmd = match args::parse(ctx.args(), clang, &ctx.cwd) {
                Ok(c) => c,
                Err(e) => return ctx.pass_through(Reason::Unparsed(Some(format!("{e:?}")))),
            };
            match phase::decide_driver(&cmd, &ctx.cwd, &mut ancestors(ctx)) {
                Decision::Passthrough(r) => ctx.pass_through(r),
                Decision::Confess if missing_input(&cmd, &ctx.cwd) => {
                    ctx.pass_through(Reason::MissingInput)
                }
                Decision::Confess => {
                    let ctx = ctx.with_expanded_argv(&cmd);
                    if cmd.sources().next().is_some() {
                        compile::run(&ctx, &cmd)
                    } else {
                        link::run_driver_link(
                            &ctx,
                            &cmd,
                            Vec::new(),
                            ctx.event(FactDecision::Confessed),
                        )
                    }
                }
            }
        }
        Role::Cpp => ctx.pass_through(Reason::Preprocess),
        Role::Ld => {
            // collect2 (gcc's link step) finds ld on PATH: a real link of a real build.
            let parent = phase::cmdline(std::os::unix::process::parent_id()).unwrap_or_default();
            let parent_name = parent.first().map(|p| base(p)).unwrap_or_default();
            if parent_name == "collect2" || parent_name.ends_with("-collect2") {
                return ctx.pass_through(Reason::Collect2);
            }
            match context(ctx) {
                Decision::Passthrough(r) => ctx.pass_through(r),
                Decision::Confess => link::run_ld(ctx),
            }
        }
        Role::As | Role::Nasm | Role::Yasm => match context(ctx) {
            Decision::Passthrough(r) => ctx.pass_through(r),
            Decision::Confess => crate::asm::run(ctx),
        },
        Role::Ar => match context(ctx) {
            Decision::Passthrough(r) => ctx.pass_through(r),
            Decision::Confess => archive::run(ctx),
        },
        _ => binutils::run(ctx),
    }
}

/// gcc fails on an input that does not exist, a linker input of a `-c` compile too (an `@file`
/// that cannot be read is such an input): the real tool then says so in its own words.
fn missing_input(cmd: &args::Command, cwd: &Path) -> bool {
    cmd.inputs
        .iter()
        .any(|i| std::fs::metadata(cwd.join(raw::path(&i.path))).is_err())
}

fn base(p: &str) -> String {
    // Text: the file name of a text form is text too.
    Path::new(p)
        .file_name()
        .and_then(|b| b.to_str())
        .unwrap_or_default()
        .to_string()
}

/// The context checks for tools other than the driver: probe files and directories, and
/// configure steps among the ancestors.
fn context(ctx: &Ctx) -> Decision {
    let files = ctx
        .args()
        .iter()
        .filter(|a| !a.starts_with('-'))
        .map(String::as_str);
    phase::decide_context(files, &ctx.cwd, &mut ancestors(ctx))
}

/// Whether the parent process is a compiler driver (gcc, clang, or a prefixed or versioned one).
fn parent_is_driver() -> bool {
    let parent = phase::cmdline(std::os::unix::process::parent_id()).unwrap_or_default();
    parent
        .first()
        .and_then(|p| Role::from_argv0(p))
        .is_some_and(Role::is_driver)
}

/// Becomes the real tool, with the same arguments, recording nothing.
fn exec_real(ctx: &Ctx) -> Result<i32> {
    use std::os::unix::process::CommandExt;
    let real = ctx.real_tool()?;
    let e = ctx
        .real_command(&real)
        .args(ctx.args().iter().map(|a| raw::os(a)))
        .exec();
    err(format!("cannot run {}: {e}", raw::text_path(&real)))
}

/// `confess-shim --confess-top PROGRAM ARGS...`: becomes PROGRAM (same process, so the same pid)
/// with `CONFESS_TOP_PID` naming it. The driver starts a build step's command this way.
fn exec_as_top(argv: &[String]) -> Result<i32> {
    use std::os::unix::process::CommandExt;
    let Some(program) = argv.first() else {
        return err("--confess-top needs a command");
    };
    let e = std::process::Command::new(raw::os(program))
        .args(argv[1..].iter().map(|a| raw::os(a)))
        .env(crate::session::ENV_TOP_PID, std::process::id().to_string())
        .exec();
    eprintln!("confess-shim: error: cannot run {program}: {e}");
    Ok(127)
}

/// No session: this is a shim someone left on PATH. Be the real tool, quietly.
fn exec_real_outside_session(argv: &[String], me: &Path, cwd: &Path) -> Result<i32> {
    use std::os::unix::process::CommandExt;
    let session = Session {
        dir: PathBuf::new(),
        phase: Phase::Configure,
        shim_dir: me.parent().map(Path::to_path_buf),
        root: None,
        driver_pid: None,
        top_pid: None,
    };
    let name = base(argv.first().map_or("", String::as_str));
    let real = ctx::real_tool_named(&session, &name, &|| Ok(me.to_path_buf()), cwd)?;
    let e = std::process::Command::new(&real)
        .args(argv.get(1..).unwrap_or(&[]).iter().map(|a| raw::os(a)))
        .env(crate::session::ENV_DEPTH, (ctx::depth() + 1).to_string())
        .exec();
    err(format!("cannot run {}: {e}", raw::text_path(&real)))
}
