//! The legacy build run for real, as the project runs it without confess: the driver's real
//! steps against a scratch copy of the sources, with the real tools and the user's environment.

use crate::drivers::Driver;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::scratch::Scratch;
use std::fmt::Write as _;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;

/// Copies the sources into the scratch area and runs the real build there; its output goes to
/// `log`. Fails with the command and the log's tail when a step fails. Returns the programs,
/// libraries and archives that were in the trees (`roots`) when the configure steps ended, with
/// their fingerprints: configure's own test programs, which the build does not make.
pub fn build(
    driver: &dyn Driver,
    scratch: &Scratch,
    seal: &crate::seal::Seal,
    opts: &Options,
    log: &Path,
    roots: &super::plan::Roots,
) -> Result<super::Made> {
    // The copy first: a driver's steps may depend on what is in it (autogen.sh or not).
    crate::drivers::copy_source(driver, &scratch.src, &[])?;
    let steps = driver.real_steps(scratch, opts)?.ok_or_else(|| {
        Error::Usage(format!(
            "confess verify cannot run a {} build for real yet",
            driver.name()
        ))
    })?;
    std::fs::create_dir_all(&scratch.build)
        .map_err(|e| Error::io("creating", &scratch.build, e))?;
    let mut configured = super::Made::new();
    for (k, step) in steps.iter().enumerate() {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| Error::io("writing", log, e))?;
        let err = out.try_clone().map_err(|e| Error::io("writing", log, e))?;
        let args: Vec<std::ffi::OsString> = step.args.iter().map(Into::into).collect();
        if seal.is_sealed() {
            let path = step.env.iter().rev().find(|(k, _)| k == "PATH");
            crate::seal::check_program(&step.program, path.map(|(_, v)| v.as_ref()), &step.cwd)?;
        }
        let mut sealed = seal.command(step.program.as_ref(), &args, &step.cwd)?;
        if !seal.is_sealed() {
            sealed.command.stdin(Stdio::null());
        }
        let mut child = sealed
            .command
            .envs(step.env.iter().map(|(k, v)| (k, v)))
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::MissingTool {
                    tool: step.program.clone(),
                    hint: "install it, or check the command".into(),
                },
                _ => Error::io("running", &step.program, e),
            })?;
        let status = crate::interrupt::wait(&mut child, &step.program)?;
        if !status.success() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            let mut detail = format!(
                "\n  (the real build, which verify compares the manifests with)\n  last lines of {}:\n",
                log.display()
            );
            for l in tail.into_iter().rev() {
                let _ = writeln!(detail, "    {l}");
            }
            return Err(Error::BuildFailed {
                command: format!("{} {}", step.program, step.args.join(" ")),
                status: confess_shims::ctx::exit_code(status),
                detail,
            });
        }
        let last_configure = step.phase == confess_shims::session::Phase::Configure
            && steps
                .get(k + 1)
                .is_some_and(|n| n.phase != confess_shims::session::Phase::Configure);
        if last_configure {
            configured = super::made(roots, driver.source());
        }
    }
    Ok(configured)
}
