#!/usr/bin/env python3
"""Compare the statements of twin declarations in a Lean 4 file and a Coq file.

    python3 scripts/twins.py lean/Confess/Parametricity.lean coq/Parametricity.v [--dump]
    python3 scripts/twins.py lean/Confess/Builds.lean coq/Builds.v [--dump]

scripts/check-proofs.sh already checks that every Lean theorem and definition has a Coq twin of
the same name. This script checks that the twins *say the same thing*: it parses

  - every theorem: Lean `theorem NAME binders : TYPE` (up to `:=` or the first `|` of an
    equation-compiler proof), Coq `Theorem|Lemma|Corollary NAME binders : TYPE.` (up to
    `Proof.`) and Coq `Fixpoint NAME binders : TYPE with ...` blocks followed by `Proof.`
    (mutual proofs);
  - every definition: Lean `def`/`abbrev` (signature and body, whether given by `:=` or by
    `| pattern => ...` equations), `inductive` (constructors and their types), `structure`
    (fields and their types); Coq `Definition`, `Fixpoint ... :=` (and its `with` parts),
    `Inductive` (and its `with` parts), `Record`;

turns each into one common normal form (a small AST, printed canonically) and compares twins
structurally. For every pair that differs it prints both normal forms and both original texts,
and it exits 1. It also exits 1 on a declaration it cannot parse and on a name with no twin.

THE NORMAL FORM (the rules; each is an identity of the two languages, not a fingerprint)

 1. Tokens and parsing. Both files are tokenized (comments removed) and parsed by one Pratt
    parser with each language's own precedences and associativities (Coq: `->` 99 right,
    `<->` 95, `\\/` 85 right, `/\\` 80 right, `~` 75, `=` and `<>` 70, `++` and `::` 60 right,
    `||` 50, `*` 40; Lean: `↔` 20, `→` 25 right, `∨` 30 right, `||` 30, `∧` 35 right, `×` 35
    right, `¬` 40, `=` and `≠` 50, `++` 65, `+` 65, `::` 67 right), so e.g. `a ∧ b = c` is
    `And a (Eq b c)` on both sides. Application is curried and flattened: `(f a) b` = `f a b`.
 2. Notation. Operators become constants: `=` Eq, `≠`/`<>` Ne, `∧`/`/\\` And, `∨`/`\\/` Or,
    `¬`/`~` Not, `↔`/`<->` Iff, `::` List.cons, `++` List.append, `[]` List.nil, `[a, b]` /
    `[a; b]` cons cells, `(a, b)` Prod.mk, `×` (Lean) / `*` (Coq, used only on types in the Coq
    file) Prod, Lean `b || c` / Coq `orb b c` or. `∀`/`forall`, `∃`/`exists`, `fun ... =>` are
    the same binders in both. Coq `if c then a else b` is `match c with | true => a | false =>
    b`, and so is Lean `cond c a b` (core Lean's `cond` is that match). Lean `Option.getD o d`
    is `match o with | some x => x | none => d` (its definition), the match Coq writes. Coq
    `{P} + {~P}` (or `{a = b} + {a <> b}`) is Lean `Decidable P`: both are the decision of P,
    one constructor carrying a proof of P and the other one of ~P. Coq scope delimiters
    (`(nat * nat)%type`) are dropped. Lean `p.1`/`p.2` are `fst p`/`snd p`. Lean structure
    instances `{ f := x, g := y }` become the structure's constructor applied
    to the fields in declaration order (`X.mk x y`); a Coq `Record X ... := mkX {...}` has its
    constructor renamed `X.mk` to match; so is a Lean `structure X where mkX ::` constructor
    (`X.mkX`, or `mkX` after `open X (mkX)`). Inductive constructors may be written with
    binders (`| Leaf (k : rkind) (p : path) : node`, Coq `| Leaf (k : rkind) (p : path)`) and
    without their type (Coq `RSource | RHeader`): the type is the binders over the inductive.
 3. Names (table NAMES below, built from what the two files use). Coq `nat list option bool
    Some None map orb S O` are Lean `Nat List Option Bool some none List.map or Nat.succ 0`;
    Coq's library names of Lean core functions are Lean's (coq/Builds.v): `Nat.eqb` Nat.beq,
    `option_map` Option.map, `length` List.length, `filter` List.filter, `firstn` List.take,
    `tl` List.tail, `fst`/`snd` Prod.fst/Prod.snd, `andb` and (`&&`), `list_eq_dec` decEq;
    Coq's `+` on nat is Lean's `+` (HAdd.hAdd).
    Lean qualified constructors `Term.src`, `Args.acons`, `Code.CSrc`... are the Coq unqualified
    ones (the Coq file declares them unqualified); Lean `x.f` / `(e).f` with `f` a structure
    field is Coq's projection `f x` / `f (e)`. A Lean pattern or term `n + 1` is `Nat.succ n`.
 4. Sorts. Coq `Set` and `Type` and Lean `Type` and `Type n` are all `Type`: Coq infers universe
    levels (`Type` is `Type@{u}`) where Lean must write them (`Build : Type 1`, `Phased ... :
    Type 1`); Coq `Set` is Lean's `Type` (= `Type 0`). A Lean `structure` with no sort written
    is in `Type` (Lean infers the smallest one; Coq writes `: Type`). `Prop` stays `Prop`.
 5. Binders. A statement is one telescope: Lean binder groups before the colon `(a b : T)`,
    `{A : Type}`, Lean dependent arrows `(t : Term) → ...`, `∀`/`forall` binders and
    non-dependent arrows `P → Q` / `P -> Q` are all Pi binders, and nested ones are merged, so
    `(bs : Build) (hp : Parametric bs) : Q` = `forall bs : Build, Parametric bs -> Q` and
    `P -> forall x, Q` = `forall (_ : P) x, Q`. Coq Fixpoint binders of a mutual proof are the
    same telescope (`{struct t}` is dropped). Nested `∃` and nested `fun` are merged likewise.
 6. Unused names. A bound variable that is never used (a hypothesis name such as `hp`, `hag`, a
    `fun _ =>` argument, a pattern variable not used on the right) is anonymous: `(hp : P) ->`
    is the arrow `P ->`; a pattern variable unused on the right is `_`.
 7. Alpha-normalization. Bound variables are renamed x1, x2, ... in the order they are bound
    (a pre-order walk), so renaming a variable is not a difference; shadowing is resolved
    before renaming (every binder gets its own identity while parsing).
 8. Binder types that are not written. Where one file writes `(m n : Nat)` and the other
    `forall m n,` (Coq infers the type), the unwritten type is inferred the way Coq does it in
    these files: from the first use of the variable as an explicit argument of a constant of
    the same file whose parameter type there is closed (e.g. `eqn m n` gives `Nat`, `Mono m1
    m2` gives `List (Prod Nat Code)`). If no such use exists the type stays `_` and is compared
    as `_` (so an untyped binder only equals an untyped one, or one whose type infers the same).
    Then, for the binders still untyped, the types are inferred by unification, again the way
    Coq elaborates them: a constant's type (the file's definitions, constructors, structure
    projections and constructors, and the library constants of BUILTIN_TYPES) with its
    implicit type parameters instantiated by what the other arguments or the expected type
    say gives the type of a variable used as its argument (`Sim DA DB h fsA fsB` gives `h : A
    -> B`; `In (p, h) (lvs n)` gives `h : list nat`); `=`/`<>` give both sides one type; a
    `fun` checked against a function type gives its binders the parameter types; a variable of
    an abbreviated function type (`fs : FS`) applied to an argument gives the argument the
    parameter type. A `_` binder's type is inferred too (it still prints as `_ →`/`fun _`).
    Only closed types (no unsolved parameter) are recorded; nothing else changes.
 9. Implicit arguments. `{x : T}` stays implicit and `(x : T)` explicit: the two files mark the
    same binders implicit (Coq with `forall {A : Type}` / `{A B : Type}` binders, Lean with
    `{A : Type}` groups), so no rule drops the marker; a difference in implicitness is a
    difference. Coq `Arguments c {A}.` commands for record projections and constructors are
    not compared: Lean makes a structure's parameters implicit in its projections and its
    constructor by itself.
10. Definitions are compared as a signature (the telescope of parameters and result type) and
    a list of defining equations `f lhs-args := rhs`: Lean equations `| p1, p2 => rhs` after
    the colon, a body `match x, y with ...` on parameters (Coq or Lean) or a plain body. For a
    match on parameters the matched parameters are replaced by the patterns in the left side
    and in the right side (Coq's `| src n => addE (gid hash t) ...` is the equation
    `emit hash (src n) m := addE (gid hash (src n)) ...`, exactly the Lean clause), which is the
    equation that holds by computation. Each equation is alpha-normalized on its own.
    Inductive types are compared as their signature and their constructors (name and type, in
    order); structures and records as their parameters, sort and fields (name and type, in
    order).

11. `let`. Coq `let x := e in b` (and Lean `let x := e; b`) is b with e for x.
12. As-patterns. Coq `p as x` and Lean `x@p` are the same pattern (`as x p`), x bound by it.
13. Notations. Coq `Notation x := e (only parsing).` and Lean `local notation "x" => e` are
    expanded where x is used (a type ascription `((1, 30) : path)` is the term `(1, 30)`).
14. Type abbreviations. A definition with no parameters whose type is `Type`/`Set` and whose
    body is a type (`content := list nat`, `FS := path -> option content`, Lean `abbrev`) is
    unfolded wherever it is used, on both sides: the abbreviation and its body are the same
    type in both provers (`abbrev` and a transparent `Definition`).

ALLOW-LISTS. ALLOWED below names the pairs that may differ, each with its reason. It is empty:
every twin pair of the two files compares equal under the rules above. PAIRS below holds, per
development (the Lean file's name), LEAN_ONLY: Lean declarations with no Coq twin (Coq
standard-library names re-proved in core Lean, and the `List node` halves of nested
recursions), and BODY_ALLOWED: definitions whose signatures are compared but whose bodies are
not (never a theorem), each with its reason. Parametricity has no entries; Builds has 24
Lean-only helpers and 9 definition bodies not compared.
"""

import re
import sys

# Twin pairs allowed to differ: {name: reason}. Keep this as short as possible; a reason says
# why the two statements legitimately differ (e.g. a lemma one prover needs and the other
# states differently). Every entry is still printed when it differs.
ALLOWED = {}

# The allow-lists of one pair, chosen by the Lean file's name (lean/Confess/NAME.lean against
# coq/NAME.v). Parametricity has none.
#  - LEAN_ONLY: Lean declarations with no Coq twin, each with its reason: Coq standard library
#    functions and lemmas re-proved under Coq's names (core Lean 4 has no such library), and the
#    `List node` halves of nested recursions (Lean needs a mutual function where Coq writes
#    `map`/`flat_map` or an inner `fix`).
#  - BODY_ALLOWED: definitions whose signatures are compared but whose bodies are not, each
#    with its reason. Never a theorem.
PAIRS = {
    "Builds": {
        "LEAN_ONLY": {
            "In": "Coq's List.In (Coq stdlib; core Lean has no List.In of this shape)",
            "Forall": "Coq's List.Forall (Coq stdlib)",
            "nth_error": "Coq's List.nth_error (Coq stdlib)",
            "nth": "Coq's List.nth (Coq stdlib)",
            "hd": "Coq's List.hd (Coq stdlib)",
            "flat_map": "Coq's List.flat_map (Coq stdlib)",
            "combine": "Coq's List.combine (Coq stdlib)",
            "nat_eqb_refl": "Coq's Nat.eqb_refl (Coq stdlib)",
            "in_or_app": "Coq's List.in_or_app (Coq stdlib)",
            "in_app_or": "Coq's List.in_app_or (Coq stdlib)",
            "in_map_iff": "Coq's List.in_map_iff (Coq stdlib)",
            "in_flat_map": "Coq's List.in_flat_map (Coq stdlib)",
            "nth_error_In": "Coq's List.nth_error_In (Coq stdlib)",
            "Forall_forall": "Coq's List.Forall_forall (Coq stdlib)",
            "realizeList": "list half of the nested recursion realize (Coq: map (realize T fs))",
            "lvsList": "list half of the nested recursion lvs (Coq: flat_map lvs)",
            "rehashList": "list half of the nested recursion rehash (Coq: map (rehash hash fs))",
            "midList": "list half of the nested recursion mid (Coq: map (mid hash))",
            "InjPathList": "list half of InjPath (Coq: its inner `fix all`)",
            "node_ind2_list": "list half of node_ind2 (Coq: its inner `fix go`)",
            "realizeList_map": "states realizeList = map (realize T fs), Coq needs no such lemma",
            "lvsList_flat_map": "states lvsList = flat_map lvs, Coq needs no such lemma",
            "rehashList_map": "states rehashList = map (rehash hash fs), Coq needs no such lemma",
            "midList_map": "states midList = map (mid hash), Coq needs no such lemma",
        },
        "BODY_ALLOWED": {
            "realize": "Lean recurses through the mutual realizeList where Coq maps realize",
            "lvs": "Lean recurses through the mutual lvsList where Coq flat_maps lvs",
            "rehash": "Lean recurses through the mutual rehashList where Coq maps rehash",
            "mid": "Lean recurses through the mutual midList where Coq maps mid",
            "InjPath": "Lean recurses through the mutual InjPathList where Coq has an inner fix",
            "node_ind2": "Lean recurses through the mutual node_ind2_list where Coq has an "
                         "inner fix",
            "obs_eqb": "Lean spells out the two cases Coq's catch-all clause `| _, _ => false` "
                       "covers ([], _ :: _ and _ :: _, [])",
            "path_eq_dec": "a proof-relevant decision: Coq builds it by tactics (Defined), Lean "
                           "by a term",
            "node_eq_dec": "a proof-relevant decision: Coq builds it by tactics (Defined), Lean "
                           "by a term",
        },
    },
}

# ---------------------------------------------------------------------------------------------
# Names (rule 3): what the two files spell differently. Built from the identifiers the files
# actually use; a name in neither table is compared as written.

NAMES = {
    "coq": {
        "nat": "Nat",
        "list": "List",
        "option": "Option",
        "bool": "Bool",
        "Some": "some",
        "None": "none",
        "map": "List.map",
        "orb": "or",
        "S": "Nat.succ",
        # coq/Builds.v: Coq's stdlib names of Lean core functions (the same functions)
        "Nat.eqb": "Nat.beq",
        "option_map": "Option.map",
        "length": "List.length",
        "filter": "List.filter",
        "firstn": "List.take",
        "tl": "List.tail",
        "fst": "Prod.fst",
        "snd": "Prod.snd",
        "andb": "and",
        "list_eq_dec": "decEq",
    },
    # The canonical spellings are Lean's; Lean's own renamings (qualified constructors,
    # projections, `n + 1`, structure instances) are rules in `Ctx.const` and `resolve`.
    "lean": {},
}
# Coq `O` is the numeral 0 (Lean writes `0`).
NUMERAL_NAMES = {"coq": {"O": 0}, "lean": {"Nat.zero": 0}}
SORTS = {"coq": {"Set": "Type", "Type": "Type", "Prop": "Prop"},
         "lean": {"Type": "Type", "Prop": "Prop", "Sort": "Sort"}}
# Constructors usable in patterns besides the files' own.
BUILTIN_CTORS = {"some", "none", "true", "false", "Nat.succ", "List.nil", "List.cons",
                 "Prod.mk", "True", "False"}

# Operators (rule 1/2): token -> (constant, binding power, associativity). Coq levels are
# converted to binding powers as 200 - level (a higher power binds tighter).
INFIX = {
    "lean": {
        "→": ("->", 25, "r"), "->": ("->", 25, "r"),
        "↔": ("Iff", 20, "n"), "<->": ("Iff", 20, "n"),
        "∨": ("Or", 30, "r"), "∧": ("And", 35, "r"),
        "||": ("or", 30, "l"), "&&": ("and", 35, "l"),
        "=": ("Eq", 50, "n"), "≠": ("Ne", 50, "n"),
        "<": ("LT.lt", 50, "n"), "≤": ("LE.le", 50, "n"),
        "++": ("List.append", 65, "l"), "::": ("List.cons", 67, "r"),
        "+": ("HAdd.hAdd", 65, "l"), "-": ("HSub.hSub", 65, "l"),
        "*": ("HMul.hMul", 70, "l"), "×": ("Prod", 35, "r"),
    },
    "coq": {
        "->": ("->", 101, "r"), "<->": ("Iff", 105, "n"),
        "\\/": ("Or", 115, "r"), "/\\": ("And", 120, "r"),
        "=": ("Eq", 130, "n"), "<>": ("Ne", 130, "n"),
        "<": ("LT.lt", 130, "n"), "<=": ("LE.le", 130, "n"),
        "++": ("List.append", 140, "r"), "::": ("List.cons", 140, "r"),
        "||": ("or", 150, "l"), "&&": ("and", 160, "l"),
        # `+` on nat: Lean's `+` on Nat (rule 2)
        "+": ("HAdd.hAdd", 150, "l"),
        # `*` is used by the Coq file only in type position (`list (nat * Code)`): Prod.
        "*": ("Prod", 160, "l"),
    },
}
PREFIX = {"lean": {"¬": ("Not", 40)}, "coq": {"~": ("Not", 125)}}
KEYWORDS = {"with", "then", "else", "end", "fun", "forall", "exists", "match", "if", "let",
            "in", "by", "where", "return", "as", "λ", "theorem", "def", "abbrev", "Proof"}

# ---------------------------------------------------------------------------------------------
# Comments


def strip_lean(s):
    s = re.sub(r"/-.*?-/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), s, flags=re.S)
    return re.sub(r"--[^\n]*", "", s)


def strip_coq(s):
    out, depth, i = [], 0, 0
    while i < len(s):
        if s.startswith("(*", i):
            depth += 1
            i += 2
        elif s.startswith("*)", i) and depth:
            depth -= 1
            i += 2
        else:
            out.append(s[i] if not depth or s[i] == "\n" else " ")
            i += 1
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Tokens

SYMBOLS = sorted(
    ["<->", ":=", "=>", "->", "/\\", "\\/", "<>", "||", "&&", "++", "::", "<=", ">=", "→",
     "↔", "∧", "∨", "≠", "¬", "∀", "∃", "×", "⟨", "⟩", "↦", "≤", "≥", "·", "∘", "(", ")",
     "{", "}", "[", "]", ",", ":", ";", "|", ".", "=", "<", ">", "+", "-", "*", "~", "@", "!",
     "?", "^", "%", "$", "&", "/", "\\", "#", "λ"],
    key=len, reverse=True)
TOKEN_RE = re.compile(
    r"(?P<ws>\s+)|(?P<num>\d+)|(?P<id>[^\W\d][\w']*(?:\.[^\W\d][\w']*)*)|(?P<sym>"
    + "|".join(re.escape(s) for s in SYMBOLS) + r"|\S)")


class Tok:
    __slots__ = ("kind", "text", "start", "end")

    def __init__(self, kind, text, start, end):
        self.kind, self.text, self.start, self.end = kind, text, start, end

    def __repr__(self):
        return self.text


def tokenize(s):
    toks, i = [], 0
    while i < len(s):
        m = TOKEN_RE.match(s, i)
        if not m:
            raise ParseError(f"cannot tokenize {s[i:i + 20]!r}")
        kind = m.lastgroup
        if kind != "ws":
            text = m.group(0)
            if kind == "id" and text == "λ":
                kind = "sym"
            toks.append(Tok(kind, text, m.start(), m.end()))
        i = m.end()
    return toks


class ParseError(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Parser: tokens -> raw AST
#   ('id', name) ('num', n) ('op', const) ('app', f, [args]) ('arrow', A, B)
#   ('forall'|'exists'|'fun', [(name|None, type|None, implicit)], body)
#   ('match', [scrutinees], [([patterns], rhs)]) ('if', c, a, b) ('list', [e]) ('tuple', [e])
#   ('structinst', [(field, e)]) ('proj', e, field)


class Parser:
    def __init__(self, toks, lang, fields_mode=False):
        self.toks, self.i, self.lang, self.fields_mode = toks, 0, lang, fields_mode
        self.instance_depth = 0   # inside a Lean structure instance `{ f := ... }`

    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def at(self, *texts):
        t = self.peek()
        return t is not None and t.text in texts

    def next(self):
        t = self.peek()
        if t is None:
            raise ParseError("unexpected end")
        self.i += 1
        return t

    def expect(self, text):
        t = self.next()
        if t.text != text:
            raise ParseError(f"expected {text!r}, found {t.text!r} "
                             f"near {' '.join(x.text for x in self.toks[max(0, self.i - 8):self.i + 4])}")
        return t

    def done(self):
        return self.i >= len(self.toks)

    # expressions
    def expr(self, min_bp=0):
        left = self.prefix()
        infix = INFIX[self.lang]
        while True:
            t = self.peek()
            if t is None or t.kind != "sym" or t.text not in infix:
                break
            const, bp, assoc = infix[t.text]
            if bp <= min_bp:
                break
            self.next()
            rhs = self.expr(bp - 1 if assoc == "r" else bp)
            left = ("arrow", left, rhs) if const == "->" else ("app", ("op", const), [left, rhs])
        return left

    def prefix(self):
        t = self.peek()
        if t is None:
            raise ParseError("unexpected end of expression")
        if t.text in ("∀", "forall"):
            self.next()
            bs = self.binders((",",))
            return ("forall", bs, self.expr(0))
        if t.text in ("∃", "exists"):
            self.next()
            bs = self.binders((",",))
            return ("exists", bs, self.expr(0))
        if t.text in ("fun", "λ"):
            self.next()
            bs = self.binders(("=>", "↦"))
            return ("fun", bs, self.expr(0))
        if t.text == "match":
            return self.match()
        if t.text == "let":
            # `let x := e in b` (Coq) / `let x := e; b` or a new line (Lean): rule 11
            self.next()
            name = self.next().text
            self.expect(":=")
            e = self.expr(0)
            if self.at("in", ";"):
                self.next()
            return ("let", name, e, self.expr(0))
        if t.text == "fix" and self.lang == "coq":
            # Coq `fix go (l : T) : U := body` (the inner recursion of a nested Fixpoint)
            self.next()
            name = self.next().text
            bs = self.decl_binders()
            ty = None
            if self.at(":"):
                self.next()
                ty = self.expr(0)
            self.expect(":=")
            return ("fix", name, bs, ty, self.expr(0))
        if t.text == "if":
            self.next()
            c = self.expr(0)
            self.expect("then")
            a = self.expr(0)
            self.expect("else")
            return ("if", c, a, self.expr(0))
        if t.kind == "sym" and t.text in PREFIX[self.lang]:
            self.next()
            const, bp = PREFIX[self.lang][t.text]
            return ("app", ("op", const), [self.expr(bp - 1)])
        if self.lang == "lean" and t.text in ("(", "{") and self.binder_arrow():
            bs = []
            while self.at("(", "{"):
                bs += self.group()
            self.next()  # the arrow
            return ("forall", bs, self.expr(INFIX["lean"]["→"][1] - 1))
        head = self.arg()
        args = []
        while self.starts_arg():
            args.append(self.arg())
        return ("app", head, args) if args else head

    def binder_arrow(self):
        """At `(`/`{`: is this a Lean dependent arrow `(x y : T) → ...`?"""
        j = self.i + 1
        n = 0
        while j < len(self.toks) and self.toks[j].kind == "id":
            j += 1
            n += 1
        if not n or j >= len(self.toks) or self.toks[j].text != ":":
            return False
        depth = 1
        while j < len(self.toks) and depth:
            j += 1
            if j >= len(self.toks):
                return False
            if self.toks[j].text in ("(", "{", "[", "⟨"):
                depth += 1
            elif self.toks[j].text in (")", "}", "]", "⟩"):
                depth -= 1
        j += 1
        return j < len(self.toks) and self.toks[j].text in ("→", "->")

    def starts_arg(self):
        t = self.peek()
        if t is None:
            return False
        if t.kind == "num":
            return True
        if t.kind == "id":
            if t.text in KEYWORDS:
                return False
            n = self.peek(1)
            if self.instance_depth and n is not None and n.text == ":=":
                return False  # next field of a structure instance
            if self.fields_mode and n is not None and n.text == ":":
                return False  # next field of a structure declaration
            return True
        if t.text in ("(", "[", "⟨"):
            return True
        if t.text == "{" and self.lang == "lean":
            n1, n2 = self.peek(1), self.peek(2)
            return n1 is not None and n2 is not None and n1.kind == "id" and n2.text == ":="
        return False

    def arg(self):
        e = self.atom()
        while True:
            d, f = self.peek(), self.peek(1)
            prev = self.toks[self.i - 1]
            if (d is not None and f is not None and d.text == "." and f.kind in ("id", "num")
                    and d.start == prev.end and f.start == d.end):
                self.next()
                self.next()
                for part in f.text.split("."):
                    e = ("proj", e, part)
            elif (self.lang == "lean" and d is not None and d.text == "@" and e[0] == "id"
                  and d.start == prev.end):
                self.next()     # a Lean as-pattern `x@p` (rule 12)
                e = ("as", self.arg(), e[1])
            else:
                return e

    def atom(self):
        t = self.next()
        if t.kind == "num":
            return ("num", int(t.text))
        if t.kind == "id":
            return ("id", t.text)
        if t.text == "{" and self.lang == "coq":
            e = self.expr(0)
            self.expect("}")
            return ("braced", e)
        if t.text == "(":
            if self.at(")"):
                self.next()
                return ("id", "Unit.unit")
            e = self.expr(0)
            if self.at(","):
                items = [e]
                while self.at(","):
                    self.next()
                    items.append(self.expr(0))
                self.expect(")")
                return ("tuple", items)
            if self.at(":"):
                self.next()
                self.expr(0)  # a type ascription: the term is what counts
            self.expect(")")
            return e
        if t.text == "[":
            sep = "," if self.lang == "lean" else ";"
            items = []
            if not self.at("]"):
                items.append(self.as_pat(self.expr(0)))
                while self.at(sep):
                    self.next()
                    items.append(self.as_pat(self.expr(0)))
            self.expect("]")
            return ("list", items)
        if t.text == "{" and self.lang == "lean":
            fields = []
            self.instance_depth += 1
            while not self.at("}"):
                name = self.next()
                if name.kind != "id":
                    raise ParseError(f"structure instance: field name expected, found {name}")
                self.expect(":=")
                fields.append((name.text, self.expr(0)))
                if self.at(","):
                    self.next()
            self.expect("}")
            self.instance_depth -= 1
            return ("structinst", fields)
        raise ParseError(f"unexpected {t.text!r}")

    def group(self):
        """One binder group `(x y : T)` / `{A : Type}` / `[inst : C]`."""
        open_ = self.next().text
        close = {"(": ")", "{": "}", "[": "]"}[open_]
        names = []
        while self.peek() is not None and self.peek().kind == "id":
            names.append(self.next().text)
        ty = None
        if self.at(":"):
            self.next()
            ty = self.expr(0)
        self.expect(close)
        if not names:
            raise ParseError("binder group without names")
        return [(None if n == "_" else n, ty, open_ == "{") for n in names]

    def binders(self, terminators):
        bs = []
        while not self.at(*terminators):
            t = self.peek()
            if t is None:
                raise ParseError("unterminated binders")
            if t.text in ("(", "{", "["):
                bs += self.group()
            elif t.kind == "id":
                names = []
                while self.peek() is not None and self.peek().kind == "id":
                    names.append(self.next().text)
                ty = None
                if self.at(":"):
                    self.next()
                    ty = self.expr(0)
                bs += [(None if n == "_" else n, ty, False) for n in names]
            else:
                raise ParseError(f"unexpected {t.text!r} in binders")
        self.next()
        return bs

    def decl_binders(self):
        """Binder groups before the colon of a declaration."""
        bs = []
        while True:
            t = self.peek()
            if t is None:
                return bs
            if t.text in ("(", "{", "["):
                bs += self.group()
            elif t.kind == "id" and t.text not in KEYWORDS:
                bs.append((self.next().text, None, False))
            else:
                return bs

    def constructor(self, ind, params):
        """`C binders : T` / `C binders` (type: the inductive on its parameters), both files."""
        c = self.next().text
        bs = self.decl_binders()
        if self.at(":"):
            self.next()
            ty = self.expr(0)
        else:
            ps = [("id", n) for n, _, _ in params if n is not None]
            ty = ("app", ("id", ind), ps) if ps else ("id", ind)
        return (c, ("forall", bs, ty) if bs else ty)

    def clauses(self):
        cls = []
        if self.lang == "coq" and not self.at("|", "end"):
            cls.append(self.clause())
        while self.at("|"):
            self.next()
            cls.append(self.clause())
        return cls

    def as_pat(self, e):
        while self.lang == "coq" and self.at("as"):
            self.next()
            e = ("as", e, self.next().text)     # Coq `p as x` (rule 12)
        return e

    def clause(self):
        pats = [self.as_pat(self.expr(0))]
        while self.at(","):
            self.next()
            pats.append(self.as_pat(self.expr(0)))
        self.expect("=>")
        return (pats, self.expr(0))

    def match(self):
        self.expect("match")
        if self.lang == "lean" and self.peek(1) is not None and self.peek(1).text == ":":
            self.next()     # `match h : e with`: h names the equation; the match is the same
            self.next()
        scrut = [self.expr(0)]
        while self.at(","):
            self.next()
            scrut.append(self.expr(0))
        self.expect("with")
        cls = self.clauses()
        if self.lang == "coq":
            self.expect("end")
        return ("match", scrut, cls)


# ---------------------------------------------------------------------------------------------
# Declarations


class Decl:
    def __init__(self, kind, name, lang, text):
        self.kind = kind        # 'theorem' | 'def' | 'inductive' | 'structure'
        self.name, self.lang, self.text = name, lang, " ".join(text.split())
        self.params = []        # raw binders before the colon
        self.type = None        # raw type (theorem statement, def result type, sort)
        self.body = None        # def: raw expression
        self.clauses = None     # def: Lean equations [(pats, rhs)]
        self.items = []         # inductive constructors / structure fields: [(name, raw type)]
        self.ctor = None        # structure/record constructor name
        self.tactics = False    # Coq: a definition given by a tactic proof
        self.body_error = None  # a body that does not parse


# Rule 13: notations (Coq `Notation x := e (only parsing).`, Lean `local notation "x" => e`),
# expanded where they are used: {lang: {name: raw AST}}.
NOTATIONS = {"lean": {}, "coq": {}}


def parse_lean(src):
    text = strip_lean(src)
    for m in re.finditer(r'^[ \t]*(?:local[ \t]+)?notation[ \t]+"([\w\']+)"[ \t]*=>[ \t]*([^\n]*)',
                         text, flags=re.M):
        NOTATIONS["lean"][m.group(1)] = Parser(tokenize(m.group(2)), "lean").expr(0)
    # A declaration starts a line (after attributes and modifiers); so do the commands that
    # end one.
    decl_re = (r"^[ \t]*(?:@\[[^\]\n]*\][ \t]*\n?[ \t]*)?"
               r"(?:(?:private|protected|noncomputable|unsafe|partial)\s+)*"
               r"(theorem|lemma|def|abbrev|inductive|structure)\s")
    other_re = (r"^(?:mutual|end|namespace|open|section|instance|set_option|variable|universe|"
                r"example|local|notation|#\w+)\b")
    found = [(m.start(), m.group(1), m.end()) for m in re.finditer(decl_re, text, flags=re.M)]
    found += [(m.start(), None, m.end()) for m in re.finditer(other_re, text, flags=re.M)]
    found.sort()
    decls, errors = [], []
    for j, (a, kw, body_at) in enumerate(found):
        if kw is None:
            continue
        b = found[j + 1][0] if j + 1 < len(found) else len(text)
        chunk = kw + " " + text[body_at:b]
        name = chunk.split(None, 2)[1]
        try:
            decls.append(parse_lean_decl(chunk, kw, name))
        except ParseError as e:
            errors.append(f"lean {name}: cannot parse: {e}")
    return decls, errors


def parse_lean_decl(chunk, kw, name):
    toks = tokenize(chunk)
    if kw in ("theorem", "lemma"):
        # the statement: up to `:=` or the first `|` of an equation-compiler proof
        depth, end, in_match = 0, len(toks), False
        for j, t in enumerate(toks):
            if t.text in ("(", "{", "[", "⟨"):
                depth += 1
            elif t.text in (")", "}", "]", "⟩"):
                depth -= 1
            elif depth == 0 and t.text == "match":
                in_match = True     # its `|` are the statement's own
            elif depth == 0 and (t.text == ":=" or t.text == "|" and not in_match):
                end = j
                break
        d = Decl("theorem", name, "lean", chunk[:toks[end].start] if end < len(toks) else chunk)
        p = Parser(toks[2:end], "lean")
        d.params = p.decl_binders()
        p.expect(":")
        d.type = p.expr(0)
        if not p.done():
            raise ParseError(f"statement continues with {p.peek().text!r}")
        return d
    p = Parser(toks[2:], "lean")
    if kw in ("def", "abbrev"):
        d = Decl("def", name, "lean", chunk)
        d.params = p.decl_binders()
        if p.at(":"):
            p.next()
            d.type = p.expr(0)
        try:
            if p.at(":="):
                p.next()
                d.body = p.expr(0)
            elif p.at("|"):
                d.clauses = p.clauses()
            else:
                raise ParseError("definition without `:=` or equations")
            if not p.done():
                raise ParseError(f"declaration continues with {p.peek().text!r}")
        except ParseError as e:
            d.body_error = str(e)   # an error unless the body is not compared (BODY_ALLOWED)
            return d
    elif kw == "inductive":
        d = Decl("inductive", name, "lean", chunk)
        d.params = p.decl_binders()
        if p.at(":"):
            p.next()
            d.type = p.expr(0)
        p.expect("where")
        while p.at("|"):
            p.next()
            d.items.append(p.constructor(name, d.params))
    else:  # structure
        d = Decl("structure", name, "lean", chunk)
        d.params = p.decl_binders()
        if p.at(":"):
            p.next()
            d.type = p.expr(0)
        d.ctor = name + ".mk"
        p.expect("where")
        if p.peek(1) is not None and p.peek(1).text == "::":
            d.ctor = name + "." + p.next().text     # `where mkX ::` names the constructor
            p.next()
        p.fields_mode = True
        while not p.done():
            f = p.next().text
            p.expect(":")
            d.items.append((f, p.expr(0)))
    if not p.done():
        raise ParseError(f"declaration continues with {p.peek().text!r}")
    return d


def split_with(toks):
    """Split a Coq mutual block at the `with`s that are not a `match ... with`."""
    parts, cur, pending = [], [], 0
    for t in toks:
        if t.text == "match":
            pending += 1
        if t.text == "with":
            if pending:
                pending -= 1
            else:
                parts.append(cur)
                cur = []
                continue
        cur.append(t)
    parts.append(cur)
    return parts


def parse_coq(src):
    text = strip_coq(src)
    sentences = [s.strip() for s in re.split(r"\.(?=\s|$)", text)]
    decls, errors = [], []
    for k, s in enumerate(sentences):
        n = re.match(r"(?:Local\s+)?Notation\s+([\w']+)\s*:=\s*(.*?)\s*\(only parsing\)\s*$", s,
                     flags=re.S)
        if n:
            NOTATIONS["coq"][n.group(1)] = Parser(tokenize(n.group(2)), "coq").expr(0)
            continue
        m = re.match(r"(?:#\[[^\]]*\]\s*)?(?:(?:Local|Global|Polymorphic)\s+)*"
                     r"(Theorem|Lemma|Corollary|Fixpoint|Definition|Inductive|Record)\s+([\w']+)",
                     s)
        if not m:
            continue
        kw, name = m.groups()
        s = s[m.start(1):]
        proof_follows = k + 1 < len(sentences) and sentences[k + 1] == "Proof"
        try:
            decls += parse_coq_sentence(s, kw, proof_follows)
        except ParseError as e:
            errors.append(f"coq {name}: cannot parse: {e}")
    return decls, errors


def parse_coq_sentence(s, kw, proof_follows):
    s = re.sub(r"\{\s*struct\s+[\w']+\s*\}", " ", s)
    s = re.sub(r"\)%\w+", ")", s)     # scope delimiters `(nat * nat)%type`: notation only
    toks = tokenize(s)
    out = []
    if kw in ("Theorem", "Lemma", "Corollary"):
        d = Decl("theorem", toks[1].text, "coq", s)
        p = Parser(toks[2:], "coq")
        d.params = p.decl_binders()
        p.expect(":")
        d.type = p.expr(0)
        if not p.done():
            raise ParseError(f"statement continues with {p.peek().text!r}")
        return [d]
    if kw == "Record":
        d = Decl("structure", toks[1].text, "coq", s)
        p = Parser(toks[2:], "coq")
        d.params = p.decl_binders()
        if p.at(":"):
            p.next()
            d.type = p.expr(0)
        p.expect(":=")
        if p.peek().kind == "id":
            d.ctor = p.next().text
        p.expect("{")
        while not p.at("}"):
            f = p.next().text
            p.expect(":")
            d.items.append((f, p.expr(0)))
            if p.at(";"):
                p.next()
        p.expect("}")
        if not p.done():
            raise ParseError(f"record continues with {p.peek().text!r}")
        return [d]
    parts = split_with(toks[1:]) if kw in ("Fixpoint", "Inductive") else [toks[1:]]
    for n, part in enumerate(parts):
        name = part[0].text
        span = ("with " if n else kw + " ") + s[part[0].start:part[-1].end]
        p = Parser(part[1:], "coq")
        if kw == "Inductive":
            d = Decl("inductive", name, "coq", span)
            d.params = p.decl_binders()
            if p.at(":"):
                p.next()
                d.type = p.expr(0)
            p.expect(":=")
            if p.peek() is not None and p.peek().text != "|":
                p.toks.insert(p.i, Tok("sym", "|", 0, 0))
            while p.at("|"):
                p.next()
                d.items.append(p.constructor(name, d.params))
        elif kw == "Fixpoint" and proof_follows:
            d = Decl("theorem", name, "coq", span)
            d.params = p.decl_binders()
            p.expect(":")
            d.type = p.expr(0)
        else:
            d = Decl("def", name, "coq", span)
            d.params = p.decl_binders()
            if p.at(":"):
                p.next()
                d.type = p.expr(0)
            if p.done() and proof_follows and kw == "Definition":
                d.tactics = True    # `Definition x : T. Proof. ... Defined.`: no term to compare
            else:
                p.expect(":=")
                try:
                    d.body = p.expr(0)
                    if not p.done():
                        raise ParseError(f"{name} continues with {p.peek().text!r}")
                except ParseError as e:
                    d.body_error = str(e)
                    out.append(d)
                    continue
        if not p.done():
            raise ParseError(f"{name} continues with {p.peek().text!r}")
        out.append(d)
    return out


# ---------------------------------------------------------------------------------------------
# Resolution: raw AST -> core terms
#   ('c', const) ('v', uid) ('n', k) ('hole',) ('sort', s) ('app', head, [args])
#   ('pi'|'lam'|'ex', [(uid|None, type|None, implicit)], body)
#   ('match', [scrut], [([pattern vars], [pats], rhs)])

_uid = [0]


def fresh():
    _uid[0] += 1
    return _uid[0]


class Ctx:
    """What resolution needs to know about one file."""

    def __init__(self, lang, decls):
        self.lang = lang
        self.ctors = {}      # inductive name -> [constructor names]
        self.structs = {}    # structure name -> (canonical constructor, [fields])
        for d in decls:
            if d.kind == "inductive":
                self.ctors[d.name] = [c for c, _ in d.items]
            elif d.kind == "structure":
                self.structs[d.name] = (d.name + ".mk", [f for f, _ in d.items])
        self.ctor_names = {c for cs in self.ctors.values() for c in cs} | BUILTIN_CTORS
        self.ctor_names |= {c for c, _ in self.structs.values()}
        self.record_ctor = {}  # Coq mkX -> X.mk
        for d in decls:
            if d.kind == "structure" and d.ctor and d.ctor != d.name + ".mk":
                self.record_ctor[d.ctor] = d.name + ".mk"
                if lang == "lean":  # `where mkX ::`: `X.mkX`, and `mkX` after `open X (mkX)`
                    self.record_ctor[d.ctor.rsplit(".", 1)[1]] = d.name + ".mk"
        self.fields = {f for _, fs in self.structs.values() for f in fs}
        # rule 14: type abbreviations (`content := list nat`) are unfolded where used
        self.aliases = {}
        for d in decls:
            ty = d.type[1] if d.type is not None and d.type[0] == "app" else d.type
            if (d.kind == "def" and not d.params and ty is not None and ty[0] == "id"
                    and SORTS[lang].get(ty[1]) == "Type" and d.body is not None):
                self.aliases[d.name] = d.body

    def const(self, name):
        lang = self.lang
        if name in self.aliases:
            return resolve(self.aliases[name], {}, self)
        if name in SORTS[lang]:
            return ("sort", SORTS[lang][name])
        if name in NUMERAL_NAMES[lang]:
            return ("n", NUMERAL_NAMES[lang][name])
        if name in self.record_ctor:
            return ("c", self.record_ctor[name])
        if name in NAMES[lang]:
            return ("c", NAMES[lang][name])
        if lang == "lean" and "." in name:
            head, _, last = name.rpartition(".")
            if head in self.ctors and last in self.ctors[head]:
                return ("c", last)            # Term.src -> src
            if head in self.structs:
                if last == "mk":
                    return ("c", name)        # Alg.mk
                if last in self.structs[head][1]:
                    return ("c", last)        # Alg.compile -> compile
        return ("c", name)


def resolve(node, scope, ctx, pat=None):
    """pat: None outside patterns; in a pattern, the list collecting its variables' uids."""
    k = node[0]
    if k == "id":
        name = node[1]
        if name == "_":
            return ("hole",)
        if pat is not None:
            c = ctx.const(name)
            if c[0] != "c" or c[1] in ctx.ctor_names or name in ctx.ctor_names:
                return c
            u = fresh()
            pat.append(u)
            scope[name] = u
            return ("v", u)
        if name in scope:
            return ("v", scope[name])
        if name in NOTATIONS[ctx.lang]:
            return resolve(NOTATIONS[ctx.lang][name], {}, ctx)     # rule 13
        if ctx.lang == "lean" and "." in name:
            parts = name.split(".")
            if parts[0] in scope:
                e = ("v", scope[parts[0]])
                for f in parts[1:]:
                    e = ("app", ("c", f), [e])
                return e
        return ctx.const(name)
    if k == "num":
        return ("n", node[1])
    if k == "op":
        return ("c", node[1])
    if k == "app":
        f = resolve(node[1], scope, ctx, pat)
        args = [resolve(a, scope, ctx, pat) for a in node[2]]
        if (ctx.lang == "lean" and f == ("c", "HAdd.hAdd") and len(args) == 2
                and args[1] == ("n", 1)):
            return ("app", ("c", "Nat.succ"), [args[0]])   # n + 1 is Nat.succ n
        if pat is None and ctx.lang == "lean" and f == ("c", "cond") and len(args) >= 3:
            # Lean `cond c a b` is Coq `if c then a else b` (rule 2)
            m = ("match", [args[0]], [([], [("c", "true")], args[1]),
                                      ([], [("c", "false")], args[2])])
            return mk_app(m, args[3:]) if args[3:] else m
        if pat is None and ctx.lang == "lean" and f == ("c", "Option.getD") and len(args) == 2:
            # Lean `Option.getD o d` is `match o with some x => x | none => d` (its definition)
            u = fresh()
            return ("match", [args[0]], [([u], [("app", ("c", "some"), [("v", u)])], ("v", u)),
                                         ([], [("c", "none")], args[1])])
        if (ctx.lang == "coq" and f == ("c", "HAdd.hAdd") and len(args) == 2
                and all(a[0] == "braced" for a in node[2])):
            return sumbool(args[0], args[1])
        return mk_app(f, args)
    if k == "arrow":
        return mk_bind("pi", [(None, resolve(node[1], scope, ctx), False)],
                       resolve(node[2], scope, ctx))
    if k in ("forall", "exists", "fun"):
        kind = {"forall": "pi", "exists": "ex", "fun": "lam"}[k]
        bs, inner = resolve_binders(node[1], scope, ctx)
        return mk_bind(kind, bs, resolve(node[2], inner, ctx))
    if k == "match":
        scrut = [resolve(s, scope, ctx) for s in node[1]]
        cls = []
        for pats, rhs in node[2]:
            pscope, pv = dict(scope), []
            rp = [resolve(q, pscope, ctx, pv) for q in pats]
            cls.append((pv, rp, resolve(rhs, pscope, ctx)))
        return ("match", scrut, cls)
    if k == "if":
        c, a, b = (resolve(x, scope, ctx) for x in node[1:])
        return ("match", [c], [([], [("c", "true")], a), ([], [("c", "false")], b)])
    if k == "list":
        e = ("c", "List.nil")
        for item in reversed(node[1]):
            e = ("app", ("c", "List.cons"), [resolve(item, scope, ctx, pat), e])
        return e
    if k == "tuple":
        items = [resolve(x, scope, ctx, pat) for x in node[1]]
        e = items[-1]
        for x in reversed(items[:-1]):    # (a, b, c) = (a, (b, c)) in Lean
            e = ("app", ("c", "Prod.mk"), [x, e])
        return e
    if k == "structinst":
        given = dict(node[1])
        for sname, (ctor, fields) in ctx.structs.items():
            if set(fields) == set(given) and len(given) == len(node[1]):
                return mk_app(("c", ctor), [resolve(given[f], scope, ctx) for f in fields])
        raise ParseError(f"no structure has exactly the fields {sorted(given)}")
    if k == "proj":
        field = {"1": "Prod.fst", "2": "Prod.snd"}.get(node[2], node[2])  # Lean `p.1`: `fst p`
        return mk_app(("c", field), [resolve(node[1], scope, ctx, pat)])
    if k == "let":
        # rule 11: `let x := e in b` is b with e for x
        e = resolve(node[2], scope, ctx)
        u = fresh()
        inner = dict(scope)
        inner[node[1]] = u
        return subst(resolve(node[3], inner, ctx), u, e)
    if k == "as":
        # rule 12: Coq `p as x` and Lean `x@p` are the pattern `as x p`
        sub = resolve(node[1], scope, ctx, pat)
        u = fresh()
        if pat is not None:
            pat.append(u)
        scope[node[2]] = u
        return ("app", ("c", "as"), [("v", u), sub])
    if k == "braced":
        return ("braced", resolve(node[1], scope, ctx))
    raise ParseError(f"cannot resolve {k}")


def sumbool(a, b):
    """Coq `{P} + {~P}` is Lean `Decidable P` (rule 2): the same decision of P, `left`/`isTrue`
    carrying a proof of P and `right`/`isFalse` one of ~P. Anything else stays `sumbool`."""
    p, q = a[1], b[1]
    if q == ("app", ("c", "Not"), [p]) or (
            p[0] == "app" and p[1] == ("c", "Eq") and q == ("app", ("c", "Ne"), p[2])):
        return ("app", ("c", "Decidable"), [p])
    return ("app", ("c", "sumbool"), [p, q])


def resolve_binders(bs, scope, ctx):
    inner, out = dict(scope), []
    for name, ty, impl in bs:
        rt = resolve(ty, inner, ctx) if ty is not None else None
        u = fresh()     # `_` too: never used, it prints as `_`, but its type can be inferred
        out.append((u, rt, impl))
        if name is not None:
            inner[name] = u
    return out, inner


def mk_app(f, args):
    if not args:
        return f
    if f[0] == "app":
        return mk_app(f[1], f[2] + args)
    if f[0] == "sort":
        return f       # Lean `Type 1`: universe levels are dropped (rule 4)
    return ("app", f, args)


def mk_bind(kind, bs, body):
    if body[0] == kind:
        return (kind, bs + body[1], body[2])
    return (kind, bs, body)


# ---------------------------------------------------------------------------------------------
# Free variables, substitution, inference


def fv(node):
    k = node[0]
    if k == "v":
        return {node[1]}
    if k == "app":
        s = fv(node[1])
        for a in node[2]:
            s |= fv(a)
        return s
    if k in ("pi", "lam", "ex"):
        s = fv(node[2])
        for u, t, _ in reversed(node[1]):
            s.discard(u)
            if t is not None:
                s |= fv(t)
        return s
    if k == "match":
        s = set()
        for x in node[1]:
            s |= fv(x)
        for pv, pats, rhs in node[2]:
            s |= fv(rhs) - set(pv)
        return s
    return set()


def subst(node, u, repl):
    k = node[0]
    if k == "v":
        return repl if node[1] == u else node
    if k == "app":
        return mk_app(subst(node[1], u, repl), [subst(a, u, repl) for a in node[2]])
    if k in ("pi", "lam", "ex"):
        return (k, [(v, subst(t, u, repl) if t is not None else None, i) for v, t, i in node[1]],
                subst(node[2], u, repl))
    if k == "match":
        return ("match", [subst(x, u, repl) for x in node[1]],
                [(pv, pats, subst(rhs, u, repl)) for pv, pats, rhs in node[2]])
    return node


def uses(node):
    """Pre-order list of (constant, argument index, argument) for applications of constants."""
    out = []

    def walk(n):
        k = n[0]
        if k == "app":
            if n[1][0] == "c":
                out.extend((n[1][1], j, a) for j, a in enumerate(n[2]))
            walk(n[1])
            for a in n[2]:
                walk(a)
        elif k in ("pi", "lam", "ex"):
            for _, t, _ in n[1]:
                if t is not None:
                    walk(t)
            walk(n[2])
        elif k == "match":
            for x in n[1]:
                walk(x)
            for _, pats, rhs in n[2]:
                for q in pats:
                    walk(q)
                walk(rhs)
    walk(node)
    return out


def infer(node, sigs):
    """Rule 8: first the closed-parameter rule (infer_closed), then unification (infer_unify)."""
    return infer_unify(infer_closed(node, sigs), sigs)


def infer_closed(node, sigs):
    """Rule 8: give an unwritten binder type from the variable's first use as an explicit
    argument of a constant whose parameter type there is closed."""
    k = node[0]
    if k == "app":
        return mk_app(infer_closed(node[1], sigs), [infer_closed(a, sigs) for a in node[2]])
    if k in ("pi", "lam", "ex"):
        bs = [(u, infer_closed(t, sigs) if t is not None else None, i) for u, t, i in node[1]]
        body = infer_closed(node[2], sigs)
        out = []
        for j, (u, t, i) in enumerate(bs):
            if t is None and u is not None:
                rest = [b[1] for b in bs[j + 1:] if b[1] is not None] + [body]
                for r in rest:
                    for c, pos, a in uses(r):
                        if a == ("v", u) and c in sigs and pos < len(sigs[c]) \
                                and sigs[c][pos] is not None:
                            t = sigs[c][pos]
                            break
                    if t is not None:
                        break
            out.append((u, t, i))
        return (k, out, body)
    if k == "match":
        return ("match", [infer_closed(x, sigs) for x in node[1]],
                [(pv, pats, infer_closed(rhs, sigs)) for pv, pats, rhs in node[2]])
    return node


def signature_params(sig):
    """Explicit parameter types of a signature (closed ones; None where not closed)."""
    out = []
    if sig[0] == "pi":
        for u, t, impl in sig[1]:
            if not impl:
                out.append(t if t is not None and not fv(t) else None)
    return out


# ---------------------------------------------------------------------------------------------
# Printing with alpha-normalization (rules 6 and 7)

ATOMIC = ("c", "v", "n", "hole", "sort")
INFIX_PRINT = {"Eq": "=", "Ne": "≠", "And": "∧", "Or": "∨", "Iff": "↔", "List.cons": "::",
               "List.append": "++", "Prod": "×"}


class Printer:
    def __init__(self):
        self.names, self.count = {}, 0

    def bind(self, u, used):
        if u is None or not used:
            if u is not None:
                self.names[u] = "_"
            return "_"
        self.count += 1
        self.names[u] = f"x{self.count}"
        return self.names[u]

    def atom(self, n):
        s = self.show(n)
        return s if n[0] in ATOMIC else f"({s})"

    def show(self, n):
        k = n[0]
        if k == "c":
            return n[1]
        if k == "v":
            return self.names.get(n[1], f"?{n[1]}")
        if k == "n":
            return str(n[1])
        if k == "hole":
            return "_"
        if k == "sort":
            return n[1]
        if k == "app":
            h, args = n[1], n[2]
            if h[0] == "c" and h[1] in INFIX_PRINT and len(args) == 2:
                return f"{self.atom(args[0])} {INFIX_PRINT[h[1]]} {self.atom(args[1])}"
            return " ".join([self.atom(h)] + [self.atom(a) for a in args])
        if k in ("pi", "lam", "ex"):
            bs, body = n[1], n[2]
            parts = []
            for j, (u, t, impl) in enumerate(bs):
                ts = self.show(t) if t is not None else "_"
                later = set()
                for _, t2, _ in bs[j + 1:]:
                    if t2 is not None:
                        later |= fv(t2)
                used = u is not None and (u in later or u in fv(body))
                name = self.bind(u, used)
                if k == "pi":
                    if name == "_":
                        at = ts if t is None or t[0] in ATOMIC else f"({ts})"
                        parts.append(f"{{{ts}}} →" if impl else f"{at} →")
                    else:
                        parts.append(f"∀ {{{name} : {ts}}}," if impl else f"∀ ({name} : {ts}),")
                else:
                    b = f"({name} : {ts})" if t is not None else name
                    parts.append(f"{{{b}}}" if impl else b)
            if k == "pi":
                return " ".join(parts + [self.show(body)])
            word = "fun" if k == "lam" else "∃"
            sep = " =>" if k == "lam" else ","
            return f"{word} {' '.join(parts)}{sep} {self.show(body)}"
        if k == "match":
            scr = ", ".join(self.show(x) for x in n[1])
            cls = []
            for pv, pats, rhs in n[2]:
                used = fv(rhs)
                for u in pattern_order(pats, pv):
                    self.bind(u, u in used)
                cls.append(f"| {', '.join(self.show(q) for q in pats)} => {self.show(rhs)}")
            return f"match {scr} with {' '.join(cls)} end"
        raise ValueError(k)


def pattern_order(pats, pv):
    seen = []
    for q in pats:
        for u in var_order(q):
            if u in pv and u not in seen:
                seen.append(u)
    return seen


def var_order(n):
    k = n[0]
    if k == "v":
        return [n[1]]
    if k == "app":
        out = var_order(n[1])
        for a in n[2]:
            out += var_order(a)
        return out
    return []


# ---------------------------------------------------------------------------------------------
# Normal forms of declarations


def telescope(ctx, params, ty, default=("sort", "Type")):
    bs, inner = resolve_binders(params, {}, ctx)
    body = resolve(ty, inner, ctx) if ty is not None else default
    return mk_bind("pi", bs, body) if bs else body, bs, inner


def normalize(d, ctx, sigs, sig_only=False):
    """The normal form of one declaration, as a list of lines (only the first, the signature,
    when sig_only: a definition in BODY_ALLOWED)."""
    if d.kind == "theorem":
        t, _, _ = telescope(ctx, d.params, d.type)
        return [Printer().show(infer(t, sigs))]
    if d.kind in ("inductive", "structure"):
        # Rule 4: a Lean structure with no sort written is in Type.
        sig, bs, inner = telescope(ctx, d.params, d.type)
        lines = [f"{d.kind} : {Printer().show(sig)}"]
        for name, ty in d.items:
            item = resolve(ty, dict(inner), ctx)
            item = mk_bind("pi", bs, item) if bs else item
            lines.append(f"  {name} : {Printer().show(infer(item, sigs))}")
        return lines
    # definitions (a result type not written is `_`)
    sig, bs, inner = telescope(ctx, d.params, d.type, ("hole",))
    lines = [f"def : {Printer().show(infer(sig, sigs))}"]
    if sig_only:
        return lines
    if d.body_error:
        raise ParseError(f"its body: {d.body_error}")
    if d.tactics:
        raise ParseError("a definition given by a tactic proof has no equations to compare")
    implicit = [u for u, _, i in bs if i]
    explicit = [u for u, _, i in bs if not i]
    eqns = []   # (pattern vars, lhs args, rhs)
    if d.clauses is not None:
        for pats, rhs in d.clauses:
            pscope, pv = dict(inner), []
            rp = [resolve(q, pscope, ctx, pv) for q in pats]
            eqns.append((pv, [("v", u) for u in explicit] + rp, resolve(rhs, pscope, ctx)))
    else:
        body = resolve(d.body, inner, ctx)
        scr = body[1] if body[0] == "match" else []
        if (body[0] == "match" and all(s[0] == "v" and s[1] in explicit for s in scr)
                and len({s[1] for s in scr}) == len(scr)):
            # A match on parameters: one equation per clause, the patterns in place of the
            # parameters (rule 10).
            for pv, pats, rhs in body[2]:
                lhs = [("v", u) for u in explicit]
                for s, q in zip(scr, pats):
                    lhs[explicit.index(s[1])] = q
                    rhs = subst(rhs, s[1], q)
                eqns.append((pv, lhs, rhs))
        else:
            eqns.append(([], [("v", u) for u in explicit], body))
    for pv, lhs, rhs in eqns:
        rhs = infer(rhs, sigs)
        pr = Printer()
        used = fv(rhs)
        for u in implicit:
            pr.bind(u, u in used)
        order = []
        for a in lhs:
            for u in var_order(a):
                if u not in order:
                    order.append(u)
        for u in order:
            pr.bind(u, u in used)
        imp = " ".join("{" + pr.names[u] + "}" for u in implicit)
        args = " ".join(pr.atom(a) for a in lhs)
        lines.append(f"  | {d.name} {imp + ' ' if imp else ''}{args} := {pr.show(rhs)}")
    return lines


class Sigs(dict):
    """Explicit closed parameter types per constant (rule 8, first part); `full`: the whole
    type of each constant (rule 8, second part); `aliases`: type abbreviations."""

    def __init__(self):
        super().__init__()
        self.full, self.aliases = {}, {}


def signatures(decls, ctx):
    sigs = Sigs()
    for d in decls:
        try:
            if d.kind == "def":
                sig, _, _ = telescope(ctx, d.params, d.type)
                sigs[d.name] = signature_params(sig)
                sigs.full[d.name] = sig
                if (not d.params and sig[0] == "sort" and d.body is not None
                        and d.clauses is None):
                    sigs.aliases[d.name] = resolve(d.body, {}, ctx)   # `content := list nat`
            elif d.kind == "inductive":
                _, bs, inner = telescope(ctx, d.params, d.type)
                imp = [(u, t, True) for u, t, _ in bs]
                for c, ty in d.items:
                    rt = resolve(ty, dict(inner), ctx)
                    sigs[c] = signature_params(rt)
                    sigs.full[c] = mk_bind("pi", imp, rt) if imp else rt
            elif d.kind == "structure":
                _, bs, inner = telescope(ctx, d.params, d.type)
                imp = [(u, t, True) for u, t, _ in bs]
                me = mk_app(("c", d.name), [("v", u) for u, _, _ in bs])
                fields = []
                for f, ty in d.items:
                    ft = resolve(ty, dict(inner), ctx)
                    fields.append((None, ft, False))
                    sigs.full[f] = mk_bind("pi", imp + [(None, me, False)], ft)
                sigs.full[d.name + ".mk"] = mk_bind("pi", imp + fields, me)
        except ParseError:
            pass
    for name, ty in BUILTIN_TYPES.items():
        sigs.full[name] = builtin_type(ty)
    return sigs


# Types of the library constants both files use (rule 8), in the canonical names; `A`, `B` are
# implicit type parameters.
BUILTIN_TYPES = {
    "Eq": "{A} A -> A -> Prop", "Ne": "{A} A -> A -> Prop",
    "And": "Prop -> Prop -> Prop", "Or": "Prop -> Prop -> Prop", "Not": "Prop -> Prop",
    "Iff": "Prop -> Prop -> Prop",
    "Prod.mk": "{A B} A -> B -> Prod A B", "Prod.fst": "{A B} Prod A B -> A",
    "Prod.snd": "{A B} Prod A B -> B",
    "some": "{A} A -> Option A", "true": "Bool", "false": "Bool",
    "List.cons": "{A} A -> List A -> List A", "List.append": "{A} List A -> List A -> List A",
    "List.map": "{A B} (A -> B) -> List A -> List B",
    "Option.map": "{A B} (A -> B) -> Option A -> Option B",
    "List.length": "{A} List A -> Nat", "In": "{A} A -> List A -> Prop",
    "nth_error": "{A} List A -> Nat -> Option A", "nth": "{A} Nat -> List A -> A -> A",
    "hd": "{A} A -> List A -> A", "List.tail": "{A} List A -> List A",
    "flat_map": "{A B} (A -> List B) -> List A -> List B",
    "combine": "{A B} List A -> List B -> List (Prod A B)",
    "Forall": "{A} (A -> Prop) -> List A -> Prop",
    "Nat.beq": "Nat -> Nat -> Bool", "Nat.succ": "Nat -> Nat",
    "and": "Bool -> Bool -> Bool", "or": "Bool -> Bool -> Bool",
    "HAdd.hAdd": "{A} A -> A -> A", "LT.lt": "{A} A -> A -> Prop",
    "LE.le": "{A} A -> A -> Prop",
}


def builtin_type(text):
    m = re.match(r"\{([\w ]+)\}\s*(.*)$", text)
    if m:
        text = "∀ {" + m.group(1) + " : Type}, " + m.group(2)
    return resolve(Parser(tokenize(text), "lean").expr(0), {}, Ctx("lean", []))


def infer_unify(node, sigs):
    """Rule 8, second part: binder types still unwritten are inferred by unification, the way
    Coq elaborates them: each constant's type (its implicit type parameters instantiated by
    what its other arguments, or the expected type, say) gives the type of a variable used as
    its argument; `=`/`<>` make both sides one type; a variable of an abbreviated function
    type (`fs : FS`) applied to an argument gives the argument the parameter type. Only closed
    types are recorded; the walk is repeated until nothing new is found."""
    if not isinstance(sigs, Sigs):
        return node
    targets = set()

    def collect(n):
        k = n[0]
        if k == "app":
            collect(n[1])
            for a in n[2]:
                collect(a)
        elif k in ("pi", "lam", "ex"):
            for u, t, _ in n[1]:
                if t is None and u is not None:
                    targets.add(u)
                elif t is not None:
                    collect(t)
            collect(n[2])
        elif k == "match":
            for x in n[1]:
                collect(x)
            for _, _, rhs in n[2]:
                collect(rhs)
    collect(node)
    if not targets:
        return node
    found = {}
    for _ in range(6):
        before = len(found)
        un = Unifier(sigs, targets, found)
        un.synth(node, {})
        un.settle()
        if len(found) == before:
            break
    if not found:
        return node

    def fill(n):
        k = n[0]
        if k == "app":
            return mk_app(fill(n[1]), [fill(a) for a in n[2]])
        if k in ("pi", "lam", "ex"):
            return (k, [(u, fill(t) if t is not None else found.get(u), i) for u, t, i in n[1]],
                    fill(n[2]))
        if k == "match":
            return ("match", [fill(x) for x in n[1]],
                    [(pv, pats, fill(rhs)) for pv, pats, rhs in n[2]])
        return n
    return fill(node)


class Unifier:
    def __init__(self, sigs, targets, found):
        self.sigs, self.targets, self.found = sigs, targets, found
        self.metas = {}
        self.pending = []   # (variable, expected type): recorded once the type is closed

    def settle(self):
        for u, t in self.pending:
            c = self.closed(t)
            if c is not None and u not in self.found:
                self.found[u] = c

    def meta(self):
        m = ("meta", fresh())
        return m

    def walk(self, t):
        while t is not None and t[0] == "meta" and t[1] in self.metas:
            t = self.metas[t[1]]
        return t

    def zonk(self, t):
        t = self.walk(t)
        if t is None:
            return None
        if t[0] == "app":
            return mk_app(self.zonk(t[1]), [self.zonk(a) for a in t[2]])
        if t[0] == "pi":
            return ("pi", [(u, self.zonk(ty) if ty is not None else None, i)
                           for u, ty, i in t[1]], self.zonk(t[2]))
        return t

    def closed(self, t):
        t = self.zonk(t)
        if t is None:
            return None
        bad = []

        def scan(n):
            if n[0] in ("meta", "hole"):
                bad.append(n)
            elif n[0] == "app":
                scan(n[1])
                for a in n[2]:
                    scan(a)
            elif n[0] == "pi":
                for _, ty, _ in n[1]:
                    if ty is None:
                        bad.append(n)
                    else:
                        scan(ty)
                scan(n[2])
        scan(t)
        return None if bad else t

    def unfold(self, t):
        t = self.walk(t)
        if t is not None and t[0] == "c" and t[1] in self.sigs.aliases:
            return self.sigs.aliases[t[1]]
        return None

    def unify(self, a, b):
        a, b = self.walk(a), self.walk(b)
        if a is None or b is None:
            return False
        if a == b:
            return True
        if a[0] == "meta":
            self.metas[a[1]] = b
            return True
        if b[0] == "meta":
            self.metas[b[1]] = a
            return True
        if a[0] == "app" and b[0] == "app" and len(a[2]) == len(b[2]) and \
                self.unify(a[1], b[1]):
            return all(self.unify(x, y) for x, y in zip(a[2], b[2]))
        if a[0] == "pi" and b[0] == "pi" and len(a[1]) == len(b[1]):
            return all(self.unify(x[1], y[1]) for x, y in zip(a[1], b[1])) and \
                self.unify(a[2], b[2])
        ua, ub = self.unfold(a), self.unfold(b)
        if ua is not None:
            return self.unify(ua, b)
        if ub is not None:
            return self.unify(a, ub)
        return False

    def as_pi(self, t):
        """The type t as (param binders, result), unfolding abbreviations."""
        t = self.walk(t)
        for _ in range(4):
            if t is None:
                return None
            if t[0] == "pi":
                return t
            t = self.unfold(t)
        return None

    def instantiate(self, ty):
        """Fresh metas for the leading implicit binders of a constant's type."""
        while ty[0] == "pi" and ty[1] and ty[1][0][2]:
            u = ty[1][0][0]
            rest = ty[1][1:]
            m = self.meta()
            body = (("pi", rest, ty[2]) if rest else ty[2])
            ty = subst_type(body, u, m) if u is not None else body
        return ty

    def synth(self, n, env, expected=None):
        k = n[0]
        if k == "v":
            u = n[1]
            if u in env:
                t = env[u]
            elif u in self.found:
                t = self.found[u]
            else:
                if u in self.targets and expected is not None:
                    self.pending.append((u, expected))
                return None
            if expected is not None:
                self.unify(t, expected)
            return t
        if k == "n":
            t = ("c", "Nat")
            if expected is not None:
                self.unify(t, expected)
            return t
        if k == "c":
            ty = self.sigs.full.get(n[1])
            if ty is None:
                return None
            t = self.instantiate(ty)
            if expected is not None:
                self.unify(t, expected)
            return t
        if k == "app":
            head = n[1]
            ft = self.synth(head, env) if head[0] in ("v", "c") else None
            if head[0] not in ("v", "c"):
                self.synth(head, env)
            args = n[2]
            if ft is None:
                for a in args:
                    self.synth(a, env)
                return None
            params = []
            t = ft
            while len(params) < len(args):
                pt = self.as_pi(t)
                if pt is None:
                    break
                for j, (u, ty, impl) in enumerate(pt[1]):
                    if impl:
                        continue
                    params.append(ty)
                    if len(params) == len(args):
                        rest = [b for b in pt[1][j + 1:]]
                        t = ("pi", rest, pt[2]) if rest else pt[2]
                        break
                else:
                    t = pt[2]
            if len(params) < len(args):
                for a in args:
                    self.synth(a, env)
                return None
            if expected is not None:
                self.unify(t, expected)
            # arguments whose types can be computed first, then the others
            for a, pt in zip(args, params):
                if not (a[0] == "v" and a[1] in self.targets and a[1] not in self.found):
                    self.synth(a, env, pt)
            for a, pt in zip(args, params):
                if a[0] == "v" and a[1] in self.targets and a[1] not in self.found:
                    self.synth(a, env, pt)
            return t
        if k in ("pi", "lam", "ex"):
            inner = dict(env)
            exp = self.as_pi(expected) if k == "lam" and expected is not None else None
            eparams = [ty for _, ty, i in exp[1] if not i] if exp is not None else []
            for j, (u, t, _) in enumerate(n[1]):
                if t is not None:
                    self.synth(t, inner)
                    if u is not None:
                        inner[u] = t
                elif u is not None and u in self.found:
                    inner[u] = self.found[u]
                elif u is not None and j < len(eparams) and eparams[j] is not None:
                    if u in self.targets:
                        self.pending.append((u, eparams[j]))
            self.synth(n[2], inner)
            return ("sort", "Prop") if k in ("pi", "ex") else None
        if k == "match":
            for x in n[1]:
                self.synth(x, env)
            for _, _, rhs in n[2]:
                self.synth(rhs, env, expected)
            return None
        return None


def subst_type(t, u, repl):
    if t[0] == "v":
        return repl if t[1] == u else t
    if t[0] == "app":
        return mk_app(subst_type(t[1], u, repl), [subst_type(a, u, repl) for a in t[2]])
    if t[0] == "pi":
        return ("pi", [(v, subst_type(ty, u, repl) if ty is not None else None, i)
                       for v, ty, i in t[1]], subst_type(t[2], u, repl))
    return t


def main(argv):
    dump = "--dump" in argv
    args = [a for a in argv if a != "--dump"]
    if len(args) != 2:
        print(__doc__.split("\n\n")[0] + "\nusage: twins.py LEAN_FILE COQ_FILE [--dump]",
              file=sys.stderr)
        return 2
    lean_path, coq_path = args
    stem = re.sub(r"\.lean$", "", lean_path.replace("\\", "/").rsplit("/", 1)[-1])
    pair = PAIRS.get(stem, {})
    lean_only, body_allowed = pair.get("LEAN_ONLY", {}), pair.get("BODY_ALLOWED", {})
    lean_decls, lerr = parse_lean(open(lean_path, encoding="utf-8").read())
    coq_decls, cerr = parse_coq(open(coq_path, encoding="utf-8").read())
    errors = lerr + cerr
    lctx, cctx = Ctx("lean", lean_decls), Ctx("coq", coq_decls)
    lsigs, csigs = signatures(lean_decls, lctx), signatures(coq_decls, cctx)
    coq_by_name = {}
    for d in coq_decls:
        coq_by_name.setdefault(d.name, d)
    lean_names = {d.name for d in lean_decls}
    equal = {"theorem": 0, "definition": 0}
    differ, allowed, only, bodies = [], [], [], []
    for ld in lean_decls:
        cd = coq_by_name.get(ld.name)
        if cd is None:
            if ld.name in lean_only:
                only.append(ld.name)
            else:
                errors.append(f"{ld.kind} {ld.name}: no Coq twin")
            continue
        if ld.name in lean_only:
            errors.append(f"{ld.name}: allowed to be Lean-only, but Coq has it")
        kind = "theorem" if ld.kind == "theorem" else "definition"
        if (cd.kind == "theorem") != (ld.kind == "theorem"):
            errors.append(f"{ld.name}: a {ld.kind} in Lean, a {cd.kind} in Coq")
            continue
        sig_only = ld.name in body_allowed and kind == "definition"
        if sig_only:
            bodies.append(ld.name)
        try:
            ln = normalize(ld, lctx, lsigs, sig_only)
            cn = normalize(cd, cctx, csigs, sig_only)
        except ParseError as e:
            errors.append(f"{ld.name}: cannot normalize: {e}")
            continue
        if dump:
            print(f"== {ld.kind} {ld.name}\n" + "\n".join(ln)
                  + ("" if ln == cn else "\n-- coq:\n" + "\n".join(cn)))
        if ln == cn:
            equal[kind] += 1
        elif ld.name in ALLOWED:
            allowed.append(ld.name)
        else:
            differ.append((ld, cd, ln, cn))
    for d in coq_decls:
        if d.name not in lean_names:
            errors.append(f"{d.kind} {d.name}: no Lean twin")
    for ld, cd, ln, cn in differ:
        print(f"twins: {ld.kind} {ld.name}: the Lean and Coq statements differ after "
              f"normalization", file=sys.stderr)
        print("  normalized Lean: " + "\n                   ".join(ln), file=sys.stderr)
        print("  normalized Coq:  " + "\n                   ".join(cn), file=sys.stderr)
        print(f"  Lean: {ld.text}", file=sys.stderr)
        print(f"  Coq:  {cd.text}", file=sys.stderr)
    for e in errors:
        print(f"twins: {e}", file=sys.stderr)
    for name in allowed:
        print(f"twins: {name}: differs, allowed: {ALLOWED[name]}", file=sys.stderr)
    for name in [n for n in body_allowed if n not in bodies]:
        errors.append(f"{name}: in BODY_ALLOWED but not a definition of both files")
    for name in [n for n in lean_only if n not in only]:
        errors.append(f"{name}: in LEAN_ONLY but not a Lean-only declaration")
    if differ or errors:
        names = ", ".join(ld.name for ld, _, _, _ in differ)
        print(f"twins: {len(differ)} twin pair(s) state different things"
              + (f": {names}" if names else "") + f"; {len(errors)} other error(s)",
              file=sys.stderr)
        return 1
    print(f"check-proofs: {equal['theorem'] + equal['definition']} twin statements equal after "
          f"normalization ({equal['theorem']} theorems, {equal['definition']} definitions"
          + (f"; {len(allowed)} allowed to differ: {', '.join(allowed)}" if allowed else "")
          + (f"; bodies not compared ({len(bodies)}): {', '.join(bodies)}" if bodies else "")
          + (f"; Lean-only helpers ({len(only)})" if only else "")
          + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
