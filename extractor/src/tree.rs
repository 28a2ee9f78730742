//! What interpretation asks of the machine: the build tree as the build left it, the user's
//! source tree, the compiler's word on itself, the tools on PATH. Every question goes through
//! a [`Tree`], which answers it from the machine and records the answer (a live run), or
//! answers it from that record (`confess extract --from`). The record is kept in the
//! confession (`tree.jsonl`, file contents in `files/` by their sha256), so that a confession
//! is interpreted again from itself alone, with the same answers, into the same outputs.
//!
//! Paths are text (`confess_shims::raw`): the scratch's paths, as the shims saw them.

use crate::buildtree::Before;
use crate::error::{Error, Result};
use confess_shims::raw;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The record's file in a confession directory.
pub const JOURNAL: &str = "tree.jsonl";
/// The directory of file contents, each named by its sha256.
pub const FILES: &str = "files";

/// One question interpretation asks.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(tag = "ask", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Query {
    /// Everything below a directory (symbolic links not followed), but what is below `skip`.
    List { dir: String, skip: Option<String> },
    /// A file's bytes.
    Read { path: String },
    /// Whether a file is a GraphNode token, and which.
    Token { path: String },
    /// Whether the build phase made or changed a file (`buildtree::Before`).
    Changed { path: String },
    /// A file's sha256.
    Hash { path: String },
    /// Whether a regular file is there (following links).
    IsFile { path: String },
    /// Whether anything is there (not following links).
    Exists { path: String },
    /// A path with every link resolved.
    Canonical { path: String },
    /// Where a program of this name is on PATH.
    Which { name: String },
    /// What a program prints on stdout when it succeeds (`cc --version`).
    Run { program: String, args: Vec<String> },
}

/// What a directory entry is.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    File,
    Dir,
    Symlink,
    /// A fifo, a socket, a device.
    Other,
}

/// Whether a file is a token.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TokenFile {
    /// Not a token (or not readable).
    No,
    /// A token with this id.
    Id(String),
    /// It starts as a token and cannot be read as one.
    Unreadable,
}

/// The answer to a [`Query`], of the kind the query asks for.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Answer {
    /// `List`: each path below, with what it is, in the order the directory walk met them.
    Entries(Vec<(String, Kind)>),
    /// `Read`: the sha256 of the bytes (kept in `files/`), none when unreadable.
    Content(Option<String>),
    /// `Token`.
    Token(TokenFile),
    /// `Changed`, `IsFile`, `Exists`.
    Yes(bool),
    /// `Hash`, `Canonical`, `Which`, `Run`: none when there is no answer (unreadable, no such
    /// program, a failed run).
    Text(Option<String>),
}

/// One line of the record.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    query: Query,
    answer: Answer,
}

enum Mode {
    /// Asks the machine; file contents are kept in this directory as they are read (not at
    /// all in a unit test's tree).
    Live {
        before: Before,
        files: Option<PathBuf>,
    },
    /// Answers from a record; file contents come from this directory.
    Replay { files: PathBuf },
}

/// The questions interpretation asks, answered and recorded (see the module's words).
pub struct Tree {
    mode: Mode,
    answers: Mutex<BTreeMap<Query, Answer>>,
    /// Replay: questions the record holds no answer to.
    unanswered: Mutex<Vec<Query>>,
}

fn text(p: &Path) -> String {
    raw::text_path(p).into_owned()
}

impl Tree {
    /// A tree that asks the machine. `before` is the build tree when the build phase started;
    /// file contents read are kept in `files` (created here).
    pub fn live(before: Before, files: &Path) -> Result<Tree> {
        std::fs::create_dir_all(files).map_err(|e| Error::io("creating", files, e))?;
        Ok(Tree {
            mode: Mode::Live {
                before,
                files: Some(files.to_path_buf()),
            },
            answers: Mutex::default(),
            unanswered: Mutex::default(),
        })
    }

    /// A tree that answers from the record in the confession directory `dir`.
    pub fn replay(dir: &Path) -> Result<Tree> {
        let journal = dir.join(JOURNAL);
        let body = std::fs::read_to_string(&journal).map_err(|e| Error::Store {
            path: journal.clone(),
            reason: format!(
                "{e}: this confession does not hold what interpretation read (an earlier \
                 confess did not keep it): confess the project again"
            ),
        })?;
        let mut answers = BTreeMap::new();
        for (n, l) in body.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
            let line: Line = serde_json::from_str(l).map_err(|e| Error::Store {
                path: journal.clone(),
                reason: format!("line {}: {e}", n + 1),
            })?;
            answers.insert(line.query, line.answer);
        }
        Ok(Tree {
            mode: Mode::Replay {
                files: dir.join(FILES),
            },
            answers: Mutex::new(answers),
            unanswered: Mutex::default(),
        })
    }

    /// A tree with no record, for tests: it asks the machine, with every file counting as
    /// made by the build.
    #[cfg(test)]
    #[must_use]
    pub fn for_test() -> Tree {
        Tree {
            mode: Mode::Live {
                before: Before::default(),
                files: None,
            },
            answers: Mutex::default(),
            unanswered: Mutex::default(),
        }
    }

    fn ask(&self, q: Query, live: impl FnOnce(&Before, Option<&Path>) -> Answer) -> Option<Answer> {
        let answers = || {
            self.answers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(a) = answers().get(&q) {
            return Some(a.clone());
        }
        match &self.mode {
            Mode::Live { before, files } => {
                // Asked of the machine without the lock, so that threads ask at once; a
                // question two threads asked keeps the first answer recorded.
                let a = live(before, files.as_deref());
                Some(answers().entry(q).or_insert(a).clone())
            }
            Mode::Replay { .. } => {
                self.unanswered
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(q);
                None
            }
        }
    }

    /// Everything below `dir` (not following links), but `skip` and what is below it.
    pub fn list(&self, dir: &Path, skip: Option<&Path>) -> Vec<(PathBuf, Kind)> {
        let q = Query::List {
            dir: text(dir),
            skip: skip.map(text),
        };
        match self.ask(q, |_, _| {
            let mut out = Vec::new();
            crate::walk::walk(dir, &mut |p, ft| {
                if Some(p) == skip {
                    return false;
                }
                let kind = if ft.is_dir() {
                    Kind::Dir
                } else if ft.is_symlink() {
                    Kind::Symlink
                } else if ft.is_file() {
                    Kind::File
                } else {
                    Kind::Other
                };
                out.push((text(p), kind));
                true
            });
            Answer::Entries(out)
        }) {
            Some(Answer::Entries(e)) => e
                .into_iter()
                .map(|(p, k)| (raw::path(&p).into_owned(), k))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// A file's bytes.
    pub fn read(&self, p: &Path) -> Option<Vec<u8>> {
        let q = Query::Read { path: text(p) };
        let mut got = None;
        let a = self.ask(q, |_, files| {
            let Ok(bytes) = std::fs::read(p) else {
                return Answer::Content(None);
            };
            let sha = confess_shims::token::sha256_hex(&bytes);
            if let Some(keep) = files.map(|f| f.join(&sha)) {
                if !keep.exists() && std::fs::write(&keep, &bytes).is_err() {
                    return Answer::Content(None);
                }
            }
            got = Some(bytes);
            Answer::Content(Some(sha))
        });
        if got.is_some() {
            return got;
        }
        match (a, &self.mode) {
            (
                Some(Answer::Content(Some(sha))),
                Mode::Live {
                    files: Some(files), ..
                }
                | Mode::Replay { files },
            ) => std::fs::read(files.join(sha)).ok(),
            (Some(Answer::Content(Some(_))), Mode::Live { files: None, .. }) => {
                std::fs::read(p).ok()
            }
            _ => None,
        }
    }

    /// A file's text (`None` when unreadable or not UTF-8).
    pub fn read_to_string(&self, p: &Path) -> Option<String> {
        String::from_utf8(self.read(p)?).ok()
    }

    /// Whether the file at `p` is a token, and its id.
    pub fn token(&self, p: &Path) -> TokenFile {
        let q = Query::Token { path: text(p) };
        match self.ask(q, |_, _| {
            Answer::Token(match confess_shims::token::Token::read(p) {
                Ok(Some(t)) => TokenFile::Id(t.id),
                Ok(None) => TokenFile::No,
                Err(_) => TokenFile::Unreadable,
            })
        }) {
            Some(Answer::Token(t)) => t,
            _ => TokenFile::No,
        }
    }

    /// Whether the build phase made or changed the file at `p`.
    pub fn changed(&self, p: &Path) -> bool {
        let q = Query::Changed { path: text(p) };
        matches!(
            self.ask(q, |before, _| Answer::Yes(before.changed(p))),
            Some(Answer::Yes(true))
        )
    }

    /// The sha256 (hex) of a file's bytes.
    pub fn hash(&self, p: &Path) -> Option<String> {
        let q = Query::Hash { path: text(p) };
        match self.ask(q, |_, _| {
            Answer::Text(confess_shims::token::hash_file(p).ok())
        }) {
            Some(Answer::Text(h)) => h,
            _ => None,
        }
    }

    /// Whether a regular file is at `p` (following links).
    pub fn is_file(&self, p: &Path) -> bool {
        let q = Query::IsFile { path: text(p) };
        matches!(
            self.ask(q, |_, _| Answer::Yes(p.is_file())),
            Some(Answer::Yes(true))
        )
    }

    /// Whether anything is at `p` (a dangling link too).
    pub fn exists(&self, p: &Path) -> bool {
        let q = Query::Exists { path: text(p) };
        matches!(
            self.ask(q, |_, _| Answer::Yes(std::fs::symlink_metadata(p).is_ok())),
            Some(Answer::Yes(true))
        )
    }

    /// `p` with every link resolved.
    pub fn canonical(&self, p: &Path) -> Option<PathBuf> {
        let q = Query::Canonical { path: text(p) };
        match self.ask(q, |_, _| {
            Answer::Text(std::fs::canonicalize(p).ok().map(|c| text(&c)))
        }) {
            Some(Answer::Text(Some(c))) => Some(raw::path(&c).into_owned()),
            _ => None,
        }
    }

    /// Where the program `name` is on PATH.
    pub fn which(&self, name: &std::ffi::OsStr) -> Option<PathBuf> {
        let q = Query::Which {
            name: text(Path::new(name)),
        };
        match self.ask(q, |_, _| {
            Answer::Text(which::which(name).ok().map(|c| text(&c)))
        }) {
            Some(Answer::Text(Some(c))) => Some(raw::path(&c).into_owned()),
            _ => None,
        }
    }

    /// What `program args` prints on stdout (lossily as UTF-8), when it succeeds; stdin is
    /// empty.
    pub fn run(&self, program: &str, args: &[&str]) -> Option<String> {
        let q = Query::Run {
            program: program.to_string(),
            args: args.iter().map(ToString::to_string).collect(),
        };
        match self.ask(q, |_, _| {
            Answer::Text(
                std::process::Command::new(program)
                    .args(args)
                    .stdin(std::process::Stdio::null())
                    .output()
                    .ok()
                    .filter(|o| o.status.success())
                    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned()),
            )
        }) {
            Some(Answer::Text(t)) => t,
            _ => None,
        }
    }

    /// Writes the record into the confession directory `dir` (whose `files/` already holds
    /// the contents read); in a replay, fails naming the first question the record could not
    /// answer, and writes nothing.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let journal = dir.join(JOURNAL);
        if let Some(q) = self
            .unanswered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .first()
        {
            return Err(Error::Store {
                path: journal,
                reason: format!(
                    "interpretation asked what this confession does not record ({}): it was \
                     made by another version of confess; confess the project again",
                    serde_json::to_string(q).unwrap_or_default()
                ),
            });
        }
        let answers = self
            .answers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut body = String::new();
        for (query, answer) in answers.iter() {
            let line = Line {
                query: query.clone(),
                answer: answer.clone(),
            };
            let l = serde_json::to_string(&line).map_err(|e| Error::Store {
                path: journal.clone(),
                reason: e.to_string(),
            })?;
            body.push_str(&l);
            body.push('\n');
        }
        std::fs::write(&journal, body).map_err(|e| Error::io("writing", &journal, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_gives_the_live_answers_and_names_what_it_lacks() {
        let d = tempfile::tempdir().expect("tempdir");
        let src = d.path().join("src");
        std::fs::create_dir_all(src.join("sub")).expect("mkdir");
        std::fs::write(src.join("sub/a.c"), "int a;\n").expect("write");
        std::os::unix::fs::symlink("sub/a.c", src.join("link.c")).expect("symlink");
        let conf = d.path().join("confession");
        let live = Tree::live(Before::default(), &conf.join(FILES)).expect("live");
        let listed = live.list(&src, None);
        let bytes = live.read(&src.join("sub/a.c"));
        let canon = live.canonical(&src.join("link.c"));
        let hash = live.hash(&src.join("sub/a.c"));
        let out = live.run("sh", &["-c", "echo hi"]);
        assert_eq!(bytes.as_deref(), Some(&b"int a;\n"[..]));
        assert_eq!(out.as_deref(), Some("hi\n"));
        assert_eq!(listed.len(), 3, "{listed:?}");
        live.save(&conf).expect("save");
        // The machine changes; the replay answers as the machine did.
        std::fs::remove_dir_all(&src).expect("rm");
        let again = Tree::replay(&conf).expect("replay");
        assert_eq!(again.list(&src, None), listed);
        assert_eq!(again.read(&src.join("sub/a.c")), bytes);
        assert_eq!(again.canonical(&src.join("link.c")), canon);
        assert_eq!(again.hash(&src.join("sub/a.c")), hash);
        assert_eq!(again.run("sh", &["-c", "echo hi"]), out);
        // Saved again, the record is the same bytes.
        let copy = d.path().join("copy");
        std::fs::create_dir_all(&copy).expect("mkdir");
        again.save(&copy).expect("save");
        assert_eq!(
            std::fs::read(copy.join(JOURNAL)).expect("read"),
            std::fs::read(conf.join(JOURNAL)).expect("read")
        );
        // Not asked live: no answer, and the replay says so.
        let fresh = Tree::replay(&conf).expect("replay");
        assert!(!fresh.is_file(&src.join("sub/a.c")));
        let e = fresh.save(&conf).expect_err("unanswered");
        assert!(e.to_string().contains("is-file"), "{e}");
    }
}
