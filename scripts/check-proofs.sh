#!/usr/bin/env bash
# Checks the formal development (docs/theorems.md):
#  - coq/Builds.v (the model of real builds) and coq/Parametricity.v compile with coqc and pass
#    coqchk, with no axioms;
#  - Print Assumptions (coq/BuildsAssumptions.v, coq/Assumptions.v) says "Closed under the
#    global context" for every main theorem;
#  - every theorem and definition of the Lean development (lean/) has its Coq twin by name, and
#    every Coq theorem its Lean twin (lean/Confess/Builds.lean: every Coq theorem and definition
#    too, except the Lean-only helpers listed in scripts/twins.py);
#  - scripts/twins.py: every twin pair of both developments states the same thing;
#  - neither side has sorry/admit/Admitted/axioms, and no theorem concludes something empty
#    (True, `∨ True`, `≥ 0`).
# When a Lean toolchain is on PATH, `lake build` runs too (none can be installed from the
# package registries this project's CI reaches; see docs/theorems.md).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "check-proofs: $*" >&2; exit 1; }
for t in coqc coqchk python3; do
    command -v "$t" >/dev/null || fail "\`$t\` not found: install the Debian package coq (scripts/install-deps.sh does)"
done

python3 - lean/Confess/Parametricity.lean coq/Parametricity.v coq/Assumptions.v \
    coq/Builds.v coq/BuildsAssumptions.v lean/Confess/Builds.lean <<'PY'
import re, sys
lean_path, coq_path, assm_path, builds_path, bassm_path, blean_path = sys.argv[1:7]
lean = open(lean_path, encoding="utf-8").read()
coq = open(coq_path, encoding="utf-8").read()
assm = open(assm_path, encoding="utf-8").read()
errors = []

def strip_lean(s):
    # block comments /- ... -/ (nesting is not used in the file), then line comments
    s = re.sub(r"/-.*?-/", " ", s, flags=re.S)
    return re.sub(r"--[^\n]*", " ", s)

def strip_coq(s):
    out, depth, i = [], 0, 0
    while i < len(s):
        if s.startswith("(*", i):
            depth += 1; i += 2
        elif s.startswith("*)", i) and depth:
            depth -= 1; i += 2
        else:
            if not depth:
                out.append(s[i])
            i += 1
    return "".join(out)

L, C = strip_lean(lean), strip_coq(coq)

LEAN_FORBIDDEN = ["sorry", "admit", "axiom", "unsafe", "implemented_by", "extern",
                  "native_decide", "opaque", "partial", "decreasing_by"]
COQ_FORBIDDEN = ["Admitted", "admit", "Axiom", "Axioms", "Parameter", "Parameters", "Conjecture",
                 "Hypothesis", "Hypotheses", "Variable", "Variables", "Abort", "Unset", "Bypass"]

def forbidden(path, text, words):
    for word in words:
        if re.search(r"(?<![\w.])" + word + r"(?![\w])", text):
            errors.append(f"{path}: forbidden `{word}`")

forbidden(lean_path, L, LEAN_FORBIDDEN)
forbidden(coq_path, C, COQ_FORBIDDEN)

def lean_decls(text):
    """A Lean file's theorem names and definition names (inductives, structures included)."""
    thms = re.findall(r"^\s*theorem\s+([\w']+)", text, flags=re.M)
    defs = re.findall(r"^\s*(?:def|abbrev|inductive|structure)\s+([\w']+)", text, flags=re.M)
    return thms, defs

def coq_decls(text):
    """A Coq file's theorem names and definition names. Theorem/Lemma/Corollary are theorems;
    a Fixpoint block is a proof when `Proof.` comes before its first `:=`, a definition
    otherwise; mutual inductives declared `with NAME : Set :=` are definitions."""
    thms = re.findall(r"^\s*(?:Theorem|Lemma|Corollary)\s+([\w']+)", text, flags=re.M)
    defs = re.findall(r"^\s*(?:Definition|Inductive|Record)\s+([\w']+)", text, flags=re.M)
    for m in re.finditer(r"^\s*Fixpoint\s+([\w']+)", text, flags=re.M):
        rest = text[m.end():]
        proof_at, def_at = rest.find("Proof."), rest.find(":=")
        nxt = re.search(r"^\s*(?:Fixpoint|Lemma|Theorem|Definition|Inductive|Record|Corollary)\b",
                        rest, flags=re.M)
        block = rest[:nxt.start() if nxt else len(rest)]
        names = [m.group(1)] + re.findall(r"^\s*with\s+([\w']+)", block, flags=re.M)
        if proof_at != -1 and (def_at == -1 or proof_at < def_at):
            thms += names
        else:
            defs += names
    defs += re.findall(r"^\s*with\s+([\w']+)\s*:\s*(?:Set|Type|Prop)\s*:=", text, flags=re.M)
    return thms, defs

def dupes(xs):
    return sorted({x for x in xs if xs.count(x) > 1})

def twin_names(where, lean, coq, lean_only=()):
    """Every Lean theorem and definition has a Coq one of the same name and the other way
    round, except the Lean-only helpers (which must be Lean-only declarations)."""
    (lthms, ldefs), (cthms, cdefs) = lean, coq
    for side, xs in [("Lean theorems", lthms), ("Coq theorems", cthms),
                     ("Lean definitions", ldefs), ("Coq definitions", cdefs)]:
        if dupes(xs):
            errors.append(f"{where}: {side} declared twice: {dupes(xs)}")
    for what, xs, ys in [("Lean theorems without a Coq twin", lthms, cthms),
                         ("Coq theorems without a Lean twin", cthms, lthms),
                         ("Lean definitions without a Coq twin", ldefs, cdefs),
                         ("Coq definitions without a Lean twin", cdefs, ldefs)]:
        gone = [x for x in xs if x not in ys and x not in lean_only]
        if gone:
            errors.append(f"{where}: {what}: {gone}")
    stale = [n for n in lean_only if n not in lthms + ldefs or n in cthms + cdefs]
    if stale:
        errors.append(f"scripts/twins.py LEAN_ONLY: not Lean-only declarations of {where}: {stale}")

lean_thms, lean_defs = lean_decls(L)
coq_thms, coq_defs = coq_decls(C)
twin_names(lean_path, (lean_thms, lean_defs), (coq_thms, coq_defs))

# Conclusions that say nothing.
def statements_lean():
    for m in re.finditer(r"^\s*theorem\s+([\w']+)(.*?)(?=:=|\n\s*\|)", L, flags=re.M | re.S):
        yield m.group(1), m.group(2)
def statements_coq():
    for m in re.finditer(r"^\s*(?:Theorem|Lemma|Corollary|Fixpoint|with)\s+([\w']+)(.*?)(?=\.\s*\n\s*Proof\.|\bProof\.)",
                         C, flags=re.M | re.S):
        yield m.group(1), m.group(2)
empty = [r"∨\s*True\b", r"\bTrue\s*∨", r"\\/\s*True\b", r"\bTrue\s*\\/", r"≥\s*0\b", r">=\s*0\b"]
for side, stmts in [("Lean", statements_lean()), ("Coq", statements_coq())]:
    for name, st in stmts:
        st1 = " ".join(st.split())
        if any(re.search(p, st1) for p in empty) or re.search(r"[:,→>]\s*True\s*$", st1):
            errors.append(f"{side} theorem {name} has an empty conclusion: {st1}")

# Every main theorem is listed in Assumptions.v.
main = ["factorisation", "soundness", "completeness", "completeness_witness", "gid_is_hom",
        "gn_extraction", "gid_eq_iff", "migration", "manifest_uniq", "phase_factorisation",
        "phase_soundness", "phase_completeness", "phase_gn_extraction", "phase_migration"]
listed = re.findall(r"Print Assumptions\s+Confess\.Parametricity\.([\w']+)\.", assm)
for t in main:
    if t not in listed:
        errors.append(f"{assm_path}: main theorem {t} is not checked with Print Assumptions")
    if t not in lean_thms:
        errors.append(f"main theorem {t} missing from {lean_path}")

# coq/Builds.v: the same forbidden words and empty conclusions; every main theorem listed.
B = strip_coq(open(builds_path, encoding="utf-8").read())
bassm = open(bassm_path, encoding="utf-8").read()
forbidden(builds_path, B,
          COQ_FORBIDDEN + ["Section", "Context", "Classical", "FunctionalExtensionality"])
for m in re.finditer(r"^\s*(?:Theorem|Lemma|Corollary)\s+([\w']+)(.*?)(?=\bProof\.)", B,
                     flags=re.M | re.S):
    st1 = " ".join(m.group(2).split())
    if any(re.search(p, st1) for p in empty) or re.search(r"[:,>]\s*True\s*\.?$", st1):
        errors.append(f"Coq theorem {m.group(1)} has an empty conclusion: {st1}")
bmain = ["factorisation", "soundness_direct", "soundness_path", "completeness",
         "completeness_dep", "encode_injective", "id_collision", "id_eq_cases", "id_content",
         "migration", "migration_checkable", "graph_stable", "migration_needs_trace",
         "configure_phase", "codegen_phase", "unused_member_example"]
blisted = re.findall(r"Print Assumptions\s+(?:Confess\.Builds\.)?([\w']+)\.", bassm)
for t in bmain:
    if not re.search(r"^\s*(?:Theorem|Lemma|Corollary)\s+" + t + r"\b", B, flags=re.M):
        errors.append(f"{builds_path}: main theorem {t} is missing")
    if t not in blisted:
        errors.append(f"{bassm_path}: main theorem {t} is not checked with Print Assumptions")

# lean/Confess/Builds.lean against coq/Builds.v: the same name check, and the Lean forbidden
# words plus funext. The Lean-only helpers (Coq stdlib names, list halves of nested recursions)
# are the LEAN_ONLY list of scripts/twins.py, each there with its reason.
sys.dont_write_bytecode = True   # no __pycache__ in the tree
sys.path.insert(0, "scripts")
import twins
blean_only = twins.PAIRS["Builds"]["LEAN_ONLY"]
BL = strip_lean(open(blean_path, encoding="utf-8").read())
forbidden(blean_path, BL, LEAN_FORBIDDEN + ["funext"])
bl_thms, bl_defs = lean_decls(BL)
bc_thms, bc_defs = coq_decls(B)
twin_names(blean_path, (bl_thms, bl_defs), (bc_thms, bc_defs), blean_only)
for t in bmain:
    if t not in bl_thms:
        errors.append(f"main theorem {t} missing from {blean_path}")

if errors:
    print("\n".join("check-proofs: " + e for e in errors), file=sys.stderr)
    sys.exit(1)
print(f"check-proofs: {lean_path}: {len(lean_thms)} Lean theorems, each with its Coq twin; "
      f"{len(lean_defs)} definitions twinned; no sorry/admit/axiom")
bl_helpers = [n for n in bl_thms + bl_defs if n in blean_only]
print(f"check-proofs: {blean_path}: {len(bc_thms)} Coq theorems and {len(bc_defs)} definitions, "
      f"each with its Lean twin ({len(bl_thms) + len(bl_defs) - len(bl_helpers)} twinned; "
      f"{len(bl_helpers)} Lean-only helpers); no sorry/admit/axiom/funext")
PY
# The twins state the same things: every pair compared after normalization (scripts/twins.py).
for dev in Parametricity Builds; do
    python3 scripts/twins.py "lean/Confess/$dev.lean" "coq/$dev.v" ||
        fail "a Lean declaration and its Coq twin state different things (scripts/twins.py, $dev)"
done

# Compile in a scratch copy so the tree gets no build products.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp coq/Parametricity.v coq/Assumptions.v coq/Builds.v coq/BuildsAssumptions.v "$work/"

# check_coq DEV ASSUMPTIONS WHAT: coq/DEV.v compiles; every `Print Assumptions` of
# coq/ASSUMPTIONS.v (which lists WHAT: "theorems", "main theorems") answers "Closed under the global context"; coqchk finds no axiom, no
# type-in-type, no unsafe (co)fixpoint and no assumed positivity in Confess.DEV.
check_coq() {
    local dev=$1 assm=$2 listed=$3 out expected closed chk what
    (cd "$work" && coqc -Q . Confess "$dev.v") || fail "coqc rejected coq/$dev.v"
    out=$(cd "$work" && coqc -Q . Confess "$assm.v") || fail "coqc rejected coq/$assm.v"
    expected=$(grep -c '^Print Assumptions' "coq/$assm.v")
    closed=$(grep -c '^Closed under the global context$' <<<"$out" || true)
    if [ "$closed" != "$expected" ]; then
        echo "$out" >&2
        fail "Print Assumptions (coq/$dev.v): $closed of $expected $listed are closed under the global context"
    fi
    echo "check-proofs: coq/$dev.v: Print Assumptions: all $expected $listed closed under the global context"
    chk=$(cd "$work" && coqchk -silent -o -Q . Confess "Confess.$dev" 2>&1) || {
        echo "$chk" >&2; fail "coqchk rejected Confess.$dev"; }
    for what in 'Axioms:' 'type-in-type:' 'unsafe (co)fixpoints:' 'positivity is assumed:'; do
        grep -F "$what" <<<"$chk" | grep -q '<none>' || {
            echo "$chk" >&2; fail "coqchk (Confess.$dev): the development relies on something under \"$what\""; }
    done
    echo "check-proofs: coqchk: Confess.$dev checked; axioms: none"
}
check_coq Builds BuildsAssumptions theorems
check_coq Parametricity Assumptions "main theorems"

if command -v lake >/dev/null; then
    (cd lean && lake build) || fail "lake build failed in lean/"
    echo "check-proofs: lake build: ok"
else
    echo "check-proofs: no Lean toolchain on PATH: lean/ not built (see docs/theorems.md)"
fi
