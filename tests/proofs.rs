//! scripts/check-proofs.sh, the CI check of the formal development (docs/theorems.md): it
//! passes on the development as committed, and fails on a copy with an admitted proof, a
//! `sorry`, an axiom, a theorem without its twin, a conclusion that says nothing, or a twin
//! that keeps its name but states something else (scripts/twins.py compares the normalized
//! statements of every twin pair, of coq/Parametricity.v and of coq/Builds.v).

mod common;
use common::*;
use std::path::Path;
use std::process::Command;

/// A copy of what the script reads, so the tampering never touches the tree.
fn copy_development(to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for d in ["coq", "lean", "scripts"] {
        copy_dir(&repo().join(d), &to.join(d));
    }
}

fn check(dir: &Path) -> (bool, String) {
    let out = Command::new("bash")
        .arg(dir.join("scripts/check-proofs.sh"))
        .env_remove("LEAN_PATH")
        .output()
        .expect("run check-proofs.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn tamper(dir: &Path, file: &str, from: &str, to: &str) {
    let p = dir.join(file);
    let text = std::fs::read_to_string(&p).expect("read");
    assert!(text.contains(from), "{file} no longer contains {from:?}");
    std::fs::write(&p, text.replacen(from, to, 1)).expect("write");
}

#[test]
fn the_development_passes_and_every_kind_of_gap_fails() {
    require("coqc", "coq");
    require("coqchk", "coq");
    require("python3", "python3");
    let tmp = tempfile::tempdir().expect("tmp");

    let ok = tmp.path().join("ok");
    copy_development(&ok);
    let (passed, text) = check(&ok);
    assert!(passed, "check-proofs.sh failed on the development:\n{text}");
    assert!(
        text.contains("all 14 main theorems closed under the global context"),
        "{text}"
    );
    assert!(text.contains("axioms: none"), "{text}");

    let cases: &[(&str, &str, &str, &str, &str)] = &[
        (
            "admitted",
            "coq/Parametricity.v",
            "  exact (hp Term A free a (eval a rho) (eval_is_hom a rho) src).\nQed.",
            "Admitted.",
            "forbidden `Admitted`",
        ),
        (
            "sorry",
            "lean/Confess/Parametricity.lean",
            "      exact hs n",
            "      sorry",
            "forbidden `sorry`",
        ),
        (
            "axiom",
            "coq/Parametricity.v",
            "Definition Flags : Set := list nat.",
            "Definition Flags : Set := list nat.\nAxiom cheat : forall P : Prop, P.",
            "forbidden `Axiom`",
        ),
        (
            "twin",
            "lean/Confess/Parametricity.lean",
            "theorem gid_eq_iff ",
            "theorem gid_eq_iff' ",
            "without a Coq twin: [\"gid_eq_iff'\"]",
        ),
        (
            "empty",
            "coq/Parametricity.v",
            "    runManifest a rho (manifest hash bs) = Some (bs A a rho).",
            "    runManifest a rho (manifest hash bs) = Some (bs A a rho) \\/ True.",
            "has an empty conclusion",
        ),
        // The name check cannot see these: the names stay, the statements change.
        (
            "swapped-arguments",
            "lean/Confess/Parametricity.lean",
            "= (has j m || eqn i j)",
            "= (has j m || eqn j i)",
            "theorem has_snoc: the Lean and Coq statements differ",
        ),
        (
            "dropped-hypothesis",
            "lean/Confess/Parametricity.lean",
            "(hp : Parametric bs) (hinj : Injective hash)",
            "(hp : Parametric bs)",
            "theorem migration: the Lean and Coq statements differ",
        ),
        (
            "builds-dropped-hypothesis",
            "lean/Confess/Builds.lean",
            "    SensitiveOp T opn →\n    outs (confess T hash fs b)",
            "    outs (confess T hash fs b)",
            "theorem soundness_direct: the Lean and Coq statements differ",
        ),
        (
            "definition-body",
            "coq/Parametricity.v",
            "  | acons u us => occurs s u \\/ occursA s us",
            "  | acons u us => occurs s u /\\ occursA s us",
            "def occursA: the Lean and Coq statements differ",
        ),
    ];
    for (name, file, from, to, message) in cases {
        let dir = tmp.path().join(name);
        copy_development(&dir);
        tamper(&dir, file, from, to);
        let (passed, text) = check(&dir);
        assert!(!passed, "check-proofs.sh accepted the {name} case:\n{text}");
        assert!(
            text.contains(message),
            "the {name} case failed without saying {message:?}:\n{text}"
        );
    }
}
