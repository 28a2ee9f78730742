/-
The model of real builds of confess, in core Lean 4 (no Mathlib).

This file is the twin of coq/Builds.v: the same definitions and theorems under the same names,
in the same order, each proof a transliteration of the Coq proof (which coqc and coqchk check in
CI). No `sorry`, no `axiom`; scripts/check-proofs.sh checks both files. See coq/Builds.v for the
model in words; the comments here only say where the Lean text has to differ.

Where Lean differs from Coq.
- Coq's `if b then x else y` on a boolean is `cond b x y` here (the same function: a match on
  `b`); Coq's `Nat.eqb` is `Nat.beq`, `option_map` is `Option.map`, `map` is `List.map`,
  `firstn` is `List.take`, `tl` is `List.tail`, `length` is `List.length`, `filter` is
  `List.filter`, `list_eq_dec` is `decEq`, and a `{p = q} + {p <> q}` is a `Decidable (p = q)`.
- Coq's notations (`used_c`, `srcdir`, ...) are local notations.
- Record projections are opened (`cc`, `dleaf`, `trace`, ...), so they read as in Coq.
- `node` is a nested inductive (`Op` holds a `List node`); structural recursion over it needs a
  function on the list beside each function on nodes, in a `mutual` block.
-/

-- Lean-only helpers (none has a Coq twin in coq/Builds.v; each is Coq's standard library
-- function or lemma of the same name, or the list half of a nested recursion):
--   definitions: In, Forall, nth_error, nth, hd, flat_map, combine (Coq's List library);
--                realizeList, lvsList, rehashList, midList, InjPathList, node_ind2_list
--                (the `List node` halves of realize, lvs, rehash, mid, InjPath, node_ind2).
--   theorems:    nat_eqb_refl (Nat.eqb_refl), in_or_app, in_app_or, in_map_iff, in_flat_map,
--                nth_error_In, Forall_forall (Coq's List library);
--                realizeList_map, lvsList_flat_map, rehashList_map, midList_map (each list
--                half is the map of the node function).

namespace Confess.Builds

/-! ## Lean-only helpers: Coq's list library -/

/-- Coq's `In`. -/
def In {A : Type} (a : A) : List A → Prop
  | [] => False
  | b :: m => b = a ∨ In a m

/-- Coq's `Forall`. -/
inductive Forall {A : Type} (P : A → Prop) : List A → Prop where
  | nil : Forall P []
  | cons : ∀ (x : A) (l : List A), P x → Forall P l → Forall P (x :: l)

/-- Coq's `nth_error`. -/
def nth_error {A : Type} : List A → Nat → Option A
  | [], _ => none
  | x :: _, 0 => some x
  | _ :: l, n + 1 => nth_error l n

/-- Coq's `nth`. -/
def nth {A : Type} (n : Nat) (l : List A) (d : A) : A :=
  match n, l with
  | 0, x :: _ => x
  | 0, [] => d
  | _ + 1, [] => d
  | m + 1, _ :: t => nth m t d

/-- Coq's `hd`. -/
def hd {A : Type} (d : A) : List A → A
  | [] => d
  | x :: _ => x

/-- Coq's `flat_map`. -/
def flat_map {A B : Type} (f : A → List B) : List A → List B
  | [] => []
  | x :: t => f x ++ flat_map f t

/-- Coq's `combine`. -/
def combine {A B : Type} : List A → List B → List (A × B)
  | [], _ => []
  | _ :: _, [] => []
  | x :: l, y :: l' => (x, y) :: combine l l'

/-- Coq's `Nat.eqb_refl`. -/
theorem nat_eqb_refl : ∀ (n : Nat), Nat.beq n n = true := by
  intro n
  induction n with
  | zero => rfl
  | succ n IH => exact IH

theorem in_or_app : ∀ {A : Type} (l m : List A) (a : A), In a l ∨ In a m → In a (l ++ m) := by
  intro A l m a
  induction l with
  | nil =>
    intro H
    cases H with
    | inl H1 => exact False.elim H1
    | inr H2 => exact H2
  | cons b l IH =>
    intro H
    cases H with
    | inl H1 =>
      have H1' : b = a ∨ In a l := H1
      cases H1' with
      | inl E => exact Or.inl E
      | inr H3 => exact Or.inr (IH (Or.inl H3))
    | inr H2 => exact Or.inr (IH (Or.inr H2))

theorem in_app_or : ∀ {A : Type} (l m : List A) (a : A), In a (l ++ m) → In a l ∨ In a m := by
  intro A l m a
  induction l with
  | nil =>
    intro H
    exact Or.inr H
  | cons b l IH =>
    intro H
    have H' : b = a ∨ In a (l ++ m) := H
    cases H' with
    | inl E => exact Or.inl (Or.inl E)
    | inr H2 =>
      cases IH H2 with
      | inl H3 => exact Or.inl (Or.inr H3)
      | inr H3 => exact Or.inr H3

theorem in_map_iff : ∀ {A B : Type} (f : A → B) (l : List A) (y : B),
    In y (List.map f l) ↔ ∃ x, f x = y ∧ In x l := by
  intro A B f l y
  induction l with
  | nil =>
    constructor
    · intro H
      exact False.elim H
    · intro H
      cases H with
      | intro x Hx => exact False.elim Hx.2
  | cons a l IH =>
    constructor
    · intro H
      have H' : f a = y ∨ In y (List.map f l) := H
      cases H' with
      | inl E => exact ⟨a, E, Or.inl rfl⟩
      | inr H2 =>
        cases IH.1 H2 with
        | intro x Hx => exact ⟨x, Hx.1, Or.inr Hx.2⟩
    · intro H
      cases H with
      | intro x Hx =>
        have Hx2 : a = x ∨ In x l := Hx.2
        cases Hx2 with
        | inl E =>
          have E2 : f a = y := by
            rw [E]
            exact Hx.1
          exact Or.inl E2
        | inr H2 => exact Or.inr (IH.2 ⟨x, Hx.1, H2⟩)

theorem in_flat_map : ∀ {A B : Type} (f : A → List B) (l : List A) (y : B),
    In y (flat_map f l) ↔ ∃ x, In x l ∧ In y (f x) := by
  intro A B f l y
  induction l with
  | nil =>
    constructor
    · intro H
      exact False.elim H
    · intro H
      cases H with
      | intro x Hx => exact False.elim Hx.1
  | cons a l IH =>
    constructor
    · intro H
      cases in_app_or (f a) (flat_map f l) y H with
      | inl H1 => exact ⟨a, Or.inl rfl, H1⟩
      | inr H2 =>
        cases IH.1 H2 with
        | intro x Hx => exact ⟨x, Or.inr Hx.1, Hx.2⟩
    · intro H
      cases H with
      | intro x Hx =>
        have Hx1 : a = x ∨ In x l := Hx.1
        cases Hx1 with
        | inl E =>
          subst E
          exact in_or_app (f a) (flat_map f l) y (Or.inl Hx.2)
        | inr H2 => exact in_or_app (f a) (flat_map f l) y (Or.inr (IH.2 ⟨x, H2, Hx.2⟩))

theorem nth_error_In : ∀ {A : Type} (l : List A) (n : Nat) (x : A),
    nth_error l n = some x → In x l := by
  intro A l
  induction l with
  | nil =>
    intro n x H
    have H' : (none : Option A) = some x := H
    cases H'
  | cons y l IH =>
    intro n x H
    cases n with
    | zero =>
      have H' : some y = some x := H
      injection H' with E
      exact Or.inl E
    | succ n => exact Or.inr (IH n x H)

theorem Forall_forall : ∀ {A : Type} (P : A → Prop) (l : List A),
    Forall P l ↔ ∀ x, In x l → P x := by
  intro A P l
  induction l with
  | nil =>
    constructor
    · intro _ x H
      exact False.elim H
    · intro _
      exact Forall.nil
  | cons a l IH =>
    constructor
    · intro H x Hx
      have Ha : P a := by
        cases H with
        | cons _ _ Ha' _ => exact Ha'
      have Hl : Forall P l := by
        cases H with
        | cons _ _ _ Hl' => exact Hl'
      have Hx' : a = x ∨ In x l := Hx
      cases Hx' with
      | inl E =>
        subst E
        exact Ha
      | inr H2 => exact IH.1 Hl x H2
    · intro H
      exact Forall.cons a l (H a (Or.inl rfl)) (IH.2 (fun x Hx => H x (Or.inr Hx)))

/-! ## Contents, files, artifacts, the toolchain -/

abbrev content : Type := List Nat
abbrev path : Type := Nat × Nat
abbrev FS : Type := path → Option content
abbrev obs : Type := List Nat

/-- How a file read from the file system is used. -/
inductive rkind : Type where
  | RSource : rkind
  | RHeader : rkind

/-- What a link produces: an executable, a shared library, or a relocatable object (ld -r). -/
inductive lkind : Type where
  | LExe : lkind
  | LShared : lkind
  | LPartial : lkind

/-- Ways a build looks inside an artifact. -/
inductive okind : Type where
  | ORun : okind
  | ONm : okind
  | OExit : okind
  | OScan : okind
  | OCat : okind

/-- Tool operations. -/
inductive op : Type where
  | OCompile (fl : List Nat) : op
  | OArchive : op
  | OLink (k : lkind) (fl : List Nat) : op
  | OGen (args : List Nat) : op

/-- GraphNodes. -/
inductive node : Type where
  | Leaf (k : rkind) (p : path) (h : List Nat) : node
  | LitN (c : content) : node
  | Op (o : op) (ins : List node) : node

inductive kind : Type where
  | KSource : kind
  | KHeader : kind
  | KObject : kind
  | KArchive : kind
  | KSharedLib : kind
  | KExe : kind
  | KGenerated : kind

def kind_of (n : node) : kind :=
  match n with
  | node.Leaf rkind.RSource _ _ => kind.KSource
  | node.Leaf rkind.RHeader _ _ => kind.KHeader
  | node.LitN _ => kind.KGenerated
  | node.Op (op.OCompile _) _ => kind.KObject
  | node.Op op.OArchive _ => kind.KArchive
  | node.Op (op.OLink lkind.LExe _) _ => kind.KExe
  | node.Op (op.OLink lkind.LShared _) _ => kind.KSharedLib
  | node.Op (op.OLink lkind.LPartial _) _ => kind.KObject
  | node.Op (op.OGen _) _ => kind.KGenerated

/-- The real toolchain: an arbitrary record of functions. -/
structure Toolchain : Type where
  mkToolchain ::
  cc : List Nat → content → List content → content
  ar : List content → content
  ld : lkind → List Nat → List content → content
  gen : List Nat → content → List content → content
  observe : okind → content → obs

open Toolchain (cc ar ld gen observe)

def apply_op (T : Toolchain) (o : op) (xs : List content) : content :=
  match o with
  | op.OCompile fl => cc T fl (hd [] xs) (List.tail xs)
  | op.OArchive => ar T xs
  | op.OLink k fl => ld T k fl xs
  | op.OGen a => gen T a (hd [] xs) (List.tail xs)

mutual
/-- The real content of a node: leaves are read from fs, tools are run for real. -/
def realize (T : Toolchain) (fs : FS) : node → content
  | node.Leaf _ p _ => Option.getD (fs p) []
  | node.LitN c => c
  | node.Op o ins => apply_op T o (realizeList T fs ins)
/-- Lean-only: `realize` on a list of nodes. -/
def realizeList (T : Toolchain) (fs : FS) : List node → List content
  | [] => []
  | n :: l => realize T fs n :: realizeList T fs l
end

theorem realizeList_map : ∀ (T : Toolchain) (fs : FS) (l : List node),
    realizeList T fs l = List.map (realize T fs) l := by
  intro T fs l
  induction l with
  | nil => rfl
  | cons n l IH =>
    show realize T fs n :: realizeList T fs l = realize T fs n :: List.map (realize T fs) l
    rw [IH]

/-! ## Build terms -/

inductive build : Type where
  | Read (k : rkind) (p : path) (present absent : build) : build
  | Lit (c : content) (next : build) : build
  | Compile (fl : List Nat) (src : Nat) (incs dirs : List Nat) (ok missing : build) : build
  | Archive (members : List Nat) (next : build) : build
  | Link (k : lkind) (fl : List Nat) (inputs : List Nat) (next : build) : build
  | Gen (args : List Nat) (prog : Nat) (inputs : List Nat) (next : build) : build
  | Write (p : path) (r : Nat) (next : build) : build
  | Observe (o : okind) (r : Nat) (k : obs → build) : build
  | Done (outs : List (Nat × Nat)) : build

/-- What a build sees of the world. -/
inductive event : Type where
  | EExists (p : path) (b : Bool) : event
  | EObs (o : okind) (v : obs) : event

/-- A domain of artifacts. -/
structure Dom (A : Type) : Type where
  mkDom ::
  dleaf : rkind → path → content → A
  dlit : content → A
  dop : op → List A → A
  dlook : okind → A → obs

open Dom (dleaf dlit dop dlook)

structure Res (A : Type) : Type where
  mkRes ::
  trace : List event
  looked : List (okind × A)
  outs : Option (List (Nat × A))

open Res (mkRes trace looked outs)

def path_eqb (p q : path) : Bool := Nat.beq p.1 q.1 && Nat.beq p.2 q.2

def lookup {K X : Type} (eqb : K → K → Bool) (k : K) : List (K × X) → Option X
  | [] => none
  | (k', x) :: l' => cond (eqb k k') (some x) (lookup eqb k l')

def regs {A : Type} (env : List A) : List Nat → Option (List A)
  | [] => some []
  | r :: rs' =>
    match nth_error env r with
    | none => none
    | some a =>
      (match regs env rs' with
       | none => none
       | some xs => some (a :: xs))

/-- A probe: is there a file at p? -/
def probe {A : Type} (D : Dom A) (fs : FS) (ws : List (path × A)) (k : rkind) (p : path) :
    List event × Option A :=
  match lookup path_eqb p ws with
  | some a => ([], some a)
  | none =>
    (match fs p with
     | some c => ([event.EExists p true], some (dleaf D k p c))
     | none => ([event.EExists p false], none))

/-- Include search for one include: the first directory holding the file. -/
def find1 {A : Type} (D : Dom A) (fs : FS) (ws : List (path × A)) (i : Nat) :
    List Nat → List event × Option A
  | [] => ([], none)
  | d :: ds' =>
    match probe D fs ws rkind.RHeader (d, i) with
    | (e, some a) => (e, some a)
    | (e, none) =>
      (match find1 D fs ws i ds' with
       | (e', r) => (e ++ e', r))

/-- Include search for each include in order; stops at the first include not found. -/
def search {A : Type} (D : Dom A) (fs : FS) (ws : List (path × A)) (incs ds : List Nat) :
    List event × Option (List A) :=
  match incs with
  | [] => ([], some [])
  | i :: is' =>
    match find1 D fs ws i ds with
    | (e, none) => (e, none)
    | (e, some a) =>
      (match search D fs ws is' ds with
       | (e', none) => (e ++ e', none)
       | (e', some hs) => (e ++ e', some (a :: hs)))

def fail {A : Type} : Res A := mkRes [] [] none

def pre {A : Type} (e : List event) (r : Res A) : Res A :=
  mkRes (e ++ trace r) (looked r) (outs r)

/-- The interpreter, generic in the artifact domain. (Coq binds `v` and `rr` with `let` in the
`Observe` case; here they are written out.) -/
def run {A : Type} (D : Dom A) (fs : FS) : List A → List (path × A) → build → Res A
  | env, ws, build.Read k p bp ba =>
    (match probe D fs ws k p with
     | (e, some a) => pre e (run D fs (a :: env) ws bp)
     | (e, none) => pre e (run D fs env ws ba))
  | env, ws, build.Lit c nx => run D fs (dlit D c :: env) ws nx
  | env, ws, build.Compile fl s incs ds bok bmiss =>
    (match nth_error env s with
     | none => fail
     | some sa =>
       (match search D fs ws incs ds with
        | (e, some hs) => pre e (run D fs (dop D (op.OCompile fl) (sa :: hs) :: env) ws bok)
        | (e, none) => pre e (run D fs env ws bmiss)))
  | env, ws, build.Archive ms nx =>
    (match regs env ms with
     | none => fail
     | some xs => run D fs (dop D op.OArchive xs :: env) ws nx)
  | env, ws, build.Link k fl is' nx =>
    (match regs env is' with
     | none => fail
     | some xs => run D fs (dop D (op.OLink k fl) xs :: env) ws nx)
  | env, ws, build.Gen a pr is' nx =>
    (match regs env (pr :: is') with
     | none => fail
     | some xs => run D fs (dop D (op.OGen a) xs :: env) ws nx)
  | env, ws, build.Write p r nx =>
    (match nth_error env r with
     | none => fail
     | some a => run D fs env ((p, a) :: ws) nx)
  | env, ws, build.Observe o r k =>
    (match nth_error env r with
     | none => fail
     | some a =>
       mkRes (event.EObs o (dlook D o a) :: trace (run D fs env ws (k (dlook D o a))))
         ((o, a) :: looked (run D fs env ws (k (dlook D o a))))
         (outs (run D fs env ws (k (dlook D o a)))))
  | env, _, build.Done os =>
    (match regs env (List.map Prod.snd os) with
     | none => fail
     | some xs => mkRes [] [] (some (combine (List.map Prod.fst os) xs)))

/-- The real build. -/
def realD (T : Toolchain) : Dom content :=
  Dom.mkDom (fun _ _ c => c) (fun c => c) (apply_op T) (observe T)

/-- The confession: tokens, with observations answered by realizing. -/
def tokD (T : Toolchain) (hash : List Nat → List Nat) (fs : FS) : Dom node :=
  Dom.mkDom (fun k p c => node.Leaf k p (hash c)) node.LitN node.Op
    (fun o n => observe T o (realize T fs n))

def real (T : Toolchain) (fs : FS) (b : build) : Res content := run (realD T) fs [] [] b

def confess (T : Toolchain) (hash : List Nat → List Nat) (fs : FS) (b : build) : Res node :=
  run (tokD T hash fs) fs [] [] b

/-- Output o of a run. -/
def output {A : Type} (r : Res A) (o : Nat) : Option A :=
  match outs r with
  | some G => lookup Nat.beq o G
  | none => none

mutual
/-- Files of a node: the paths of its leaves (with multiplicity), and with their hashes. -/
def lvs : node → List (path × List Nat)
  | node.Leaf _ p h => [(p, h)]
  | node.LitN _ => []
  | node.Op _ ins => lvsList ins
/-- Lean-only: `lvs` on a list of nodes (Coq's `flat_map lvs`). -/
def lvsList : List node → List (path × List Nat)
  | [] => []
  | n :: l => lvs n ++ lvsList l
end

theorem lvsList_flat_map : ∀ (l : List node), lvsList l = flat_map lvs l := by
  intro l
  induction l with
  | nil => rfl
  | cons n l IH =>
    show lvs n ++ lvsList l = lvs n ++ flat_map lvs l
    rw [IH]

def leaves (n : node) : List path := List.map Prod.fst (lvs n)

/-- A node is well formed for fs and hash. -/
def WF (hash : List Nat → List Nat) (fs : FS) (n : node) : Prop :=
  ∀ p h, In (p, h) (lvs n) → ∃ c, fs p = some c ∧ h = hash c

/-- Editing one file. -/
def upd (fs : FS) (f : path) (v : Option content) : FS :=
  fun p => cond (path_eqb p f) v (fs p)

/-- The real dependency relation, defined from the real build alone. -/
def depends (T : Toolchain) (fs : FS) (b : build) (o : Nat) (f : path) : Prop :=
  ∃ v : Option content,
    trace (real T (upd fs f v) b) = trace (real T fs b) ∧
    output (real T (upd fs f v) b) o ≠ output (real T fs b) o

/-! ## Basic lemmas -/

def isS {X : Type} (o : Option X) : Bool :=
  match o with
  | some _ => true
  | none => false

def msnd {X A B : Type} (h : A → B) (l : List (X × A)) : List (X × B) :=
  List.map (fun xa => (xa.1, h xa.2)) l

def mapres {A B : Type} (h : A → B) (r : Res A) : Res B :=
  mkRes (trace r) (msnd h (looked r)) (Option.map (msnd h) (outs r))

theorem path_eqb_true : ∀ (p q : path), path_eqb p q = true ↔ p = q := by
  intro p q
  cases p with
  | mk a b =>
    cases q with
    | mk c d =>
      show (Nat.beq a c && Nat.beq b d) = true ↔ (a, b) = (c, d)
      constructor
      · intro H
        cases E1 : Nat.beq a c with
        | false =>
          rw [E1] at H
          have H' : false = true := H
          cases H'
        | true =>
          cases E2 : Nat.beq b d with
          | false =>
            rw [E1, E2] at H
            have H' : false = true := H
            cases H'
          | true =>
            rw [Nat.eq_of_beq_eq_true E1, Nat.eq_of_beq_eq_true E2]
      · intro H
        injection H with H1 H2
        rw [H1, H2, nat_eqb_refl c, nat_eqb_refl d] <;> rfl

theorem path_eqb_refl : ∀ (p : path), path_eqb p p = true := by
  intro p
  exact (path_eqb_true p p).2 rfl

theorem path_eqb_false : ∀ (p q : path), p ≠ q → path_eqb p q = false := by
  intro p q H
  cases E : path_eqb p q with
  | true => exact absurd ((path_eqb_true p q).1 E) H
  | false => rfl

def path_eq_dec (p q : path) : Decidable (p = q) :=
  match E : path_eqb p q with
  | true => isTrue ((path_eqb_true p q).1 E)
  | false => isFalse (fun H => by
      have E2 := (path_eqb_true p q).2 H
      rw [E] at E2
      cases E2)

theorem upd_same : ∀ (fs : FS) (f : path) (v : Option content), upd fs f v f = v := by
  intro fs f v
  show cond (path_eqb f f) v (fs f) = v
  rw [path_eqb_refl] <;> rfl

theorem upd_other : ∀ (fs : FS) (f : path) (v : Option content) (p : path),
    p ≠ f → upd fs f v p = fs p := by
  intro fs f v p H
  show cond (path_eqb p f) v (fs p) = fs p
  rw [path_eqb_false p f H] <;> rfl

theorem lookup_msnd : ∀ {K A B : Type} (eqb : K → K → Bool) (h : A → B) (k : K)
    (l : List (K × A)),
    lookup eqb k (msnd h l) = Option.map h (lookup eqb k l) := by
  intro K A B eqb h k l
  induction l with
  | nil => rfl
  | cons p l IH =>
    cases p with
    | mk k' a =>
      show cond (eqb k k') (some (h a)) (lookup eqb k (msnd h l)) =
        Option.map h (cond (eqb k k') (some a) (lookup eqb k l))
      cases eqb k k' with
      | true => rfl
      | false => exact IH

theorem nth_error_map' : ∀ {A B : Type} (h : A → B) (l : List A) (n : Nat),
    nth_error (List.map h l) n = Option.map h (nth_error l n) := by
  intro A B h l
  induction l with
  | nil =>
    intro n
    rfl
  | cons x l IH =>
    intro n
    cases n with
    | zero => rfl
    | succ n => exact IH n

theorem regs_map : ∀ {A B : Type} (h : A → B) (env : List A) (rs : List Nat),
    regs (List.map h env) rs = Option.map (List.map h) (regs env rs) := by
  intro A B h env rs
  induction rs with
  | nil => rfl
  | cons r rs IH =>
    cases hr : nth_error env r with
    | none =>
      simp only [regs, nth_error_map', hr, Option.map] <;> rfl
    | some a =>
      cases hrs : regs env rs with
      | none =>
        simp only [regs, nth_error_map', hr, IH, hrs, Option.map] <;> rfl
      | some xs =>
        simp only [regs, nth_error_map', hr, IH, hrs, Option.map, List.map] <;> rfl

theorem combine_msnd : ∀ {X A B : Type} (h : A → B) (l : List X) (xs : List A),
    combine l (List.map h xs) = msnd h (combine l xs) := by
  intro X A B h l
  induction l with
  | nil =>
    intro xs
    rfl
  | cons x l IH =>
    intro xs
    cases xs with
    | nil => rfl
    | cons a xs =>
      show (x, h a) :: combine l (List.map h xs) = (x, h a) :: msnd h (combine l xs)
      rw [IH xs]

/-! ## Simulation: the same term run in two domains related by a map h -/

def Sim {A B : Type} (DA : Dom A) (DB : Dom B) (h : A → B) (fsA fsB : FS) : Prop :=
  (∀ k p cA cB, fsA p = some cA → fsB p = some cB → h (dleaf DA k p cA) = dleaf DB k p cB) ∧
  (∀ c, h (dlit DA c) = dlit DB c) ∧
  (∀ o xs, h (dop DA o xs) = dop DB o (List.map h xs))

theorem probe_agree : ∀ {A B : Type} (DA : Dom A) (DB : Dom B) (h : A → B) (fsA fsB : FS)
    (ws : List (path × A)) (k : rkind) (p : path) (eA : List event) (oA : Option A),
    Sim DA DB h fsA fsB →
    probe DA fsA ws k p = (eA, oA) →
    (∀ q e, In (event.EExists q e) eA → isS (fsA q) = isS (fsB q)) →
    probe DB fsB (msnd h ws) k p = (eA, Option.map h oA) := by
  intro A B DA DB h fsA fsB ws k p eA oA HS HA Hq
  have HL := HS.1
  cases hl : lookup path_eqb p ws with
  | some a =>
    have e1 : probe DA fsA ws k p = ([], some a) := by
      simp only [probe, hl] <;> rfl
    rw [e1] at HA
    injection HA with HA1 HA2
    subst HA1
    subst HA2
    simp only [probe, lookup_msnd, hl, Option.map] <;> rfl
  | none =>
    cases hA : fsA p with
    | some cA =>
      have e1 : probe DA fsA ws k p = ([event.EExists p true], some (dleaf DA k p cA)) := by
        simp only [probe, hl, hA] <;> rfl
      rw [e1] at HA
      injection HA with HA1 HA2
      subst HA1
      subst HA2
      cases hB : fsB p with
      | some cB =>
        simp only [probe, lookup_msnd, hl, hB, Option.map, HL k p cA cB hA hB] <;> rfl
      | none =>
        have Hq1 := Hq p true (Or.inl rfl)
        rw [hA, hB] at Hq1
        have Hq2 : true = false := Hq1
        cases Hq2
    | none =>
      have e1 : probe DA fsA ws k p = ([event.EExists p false], none) := by
        simp only [probe, hl, hA] <;> rfl
      rw [e1] at HA
      injection HA with HA1 HA2
      subst HA1
      subst HA2
      cases hB : fsB p with
      | some cB =>
        have Hq1 := Hq p false (Or.inl rfl)
        rw [hA, hB] at Hq1
        have Hq2 : false = true := Hq1
        cases Hq2
      | none =>
        simp only [probe, lookup_msnd, hl, hB, Option.map] <;> rfl

theorem probe_split : ∀ {A B : Type} (DA : Dom A) (DB : Dom B) (h : A → B) (fsA fsB : FS)
    (ws : List (path × A)) (k : rkind) (p : path) (eA : List event) (oA : Option A)
    (eB : List event) (oB : Option B) (tA tB : List event),
    Sim DA DB h fsA fsB →
    probe DA fsA ws k p = (eA, oA) → probe DB fsB (msnd h ws) k p = (eB, oB) →
    eB ++ tB = eA ++ tA →
    eB = eA ∧ oB = Option.map h oA ∧ tB = tA := by
  intro A B DA DB h fsA fsB ws k p eA oA eB oB tA tB HS HA HB Ht
  have HL := HS.1
  cases hl : lookup path_eqb p ws with
  | some a =>
    have e1 : probe DA fsA ws k p = ([], some a) := by
      simp only [probe, hl] <;> rfl
    have e2 : probe DB fsB (msnd h ws) k p = ([], some (h a)) := by
      simp only [probe, lookup_msnd, hl, Option.map] <;> rfl
    rw [e1] at HA
    rw [e2] at HB
    injection HA with HA1 HA2
    injection HB with HB1 HB2
    subst HA1
    subst HA2
    subst HB1
    subst HB2
    exact ⟨rfl, rfl, Ht⟩
  | none =>
    cases hA : fsA p with
    | some cA =>
      have e1 : probe DA fsA ws k p = ([event.EExists p true], some (dleaf DA k p cA)) := by
        simp only [probe, hl, hA] <;> rfl
      rw [e1] at HA
      injection HA with HA1 HA2
      subst HA1
      subst HA2
      cases hB : fsB p with
      | some cB =>
        have e2 : probe DB fsB (msnd h ws) k p =
            ([event.EExists p true], some (dleaf DB k p cB)) := by
          simp only [probe, lookup_msnd, hl, hB, Option.map] <;> rfl
        rw [e2] at HB
        injection HB with HB1 HB2
        subst HB1
        subst HB2
        have Ht' : event.EExists p true :: tB = event.EExists p true :: tA := Ht
        injection Ht' with Ht1 Ht2
        exact ⟨rfl, congrArg some (HL k p cA cB hA hB).symm, Ht2⟩
      | none =>
        have e2 : probe DB fsB (msnd h ws) k p = ([event.EExists p false], none) := by
          simp only [probe, lookup_msnd, hl, hB, Option.map] <;> rfl
        rw [e2] at HB
        injection HB with HB1 HB2
        subst HB1
        subst HB2
        have Ht' : event.EExists p false :: tB = event.EExists p true :: tA := Ht
        injection Ht' with Hev Ht2
        injection Hev with Hp Hb
        cases Hb
    | none =>
      have e1 : probe DA fsA ws k p = ([event.EExists p false], none) := by
        simp only [probe, hl, hA] <;> rfl
      rw [e1] at HA
      injection HA with HA1 HA2
      subst HA1
      subst HA2
      cases hB : fsB p with
      | some cB =>
        have e2 : probe DB fsB (msnd h ws) k p =
            ([event.EExists p true], some (dleaf DB k p cB)) := by
          simp only [probe, lookup_msnd, hl, hB, Option.map] <;> rfl
        rw [e2] at HB
        injection HB with HB1 HB2
        subst HB1
        subst HB2
        have Ht' : event.EExists p true :: tB = event.EExists p false :: tA := Ht
        injection Ht' with Hev Ht2
        injection Hev with Hp Hb
        cases Hb
      | none =>
        have e2 : probe DB fsB (msnd h ws) k p = ([event.EExists p false], none) := by
          simp only [probe, lookup_msnd, hl, hB, Option.map] <;> rfl
        rw [e2] at HB
        injection HB with HB1 HB2
        subst HB1
        subst HB2
        have Ht' : event.EExists p false :: tB = event.EExists p false :: tA := Ht
        injection Ht' with Ht1 Ht2
        exact ⟨rfl, rfl, Ht2⟩

theorem find1_agree : ∀ {A B : Type} (DA : Dom A) (DB : Dom B) (h : A → B) (fsA fsB : FS)
    (ws : List (path × A)) (i : Nat) (ds : List Nat) (eA : List event) (oA : Option A),
    Sim DA DB h fsA fsB →
    find1 DA fsA ws i ds = (eA, oA) →
    (∀ q e, In (event.EExists q e) eA → isS (fsA q) = isS (fsB q)) →
    find1 DB fsB (msnd h ws) i ds = (eA, Option.map h oA) := by
  intro A B DA DB h fsA fsB ws i ds
  induction ds with
  | nil =>
    intro eA oA _ HA _
    have e1 : find1 DA fsA ws i [] = ([], none) := rfl
    rw [e1] at HA
    injection HA with HA1 HA2
    subst HA1
    subst HA2
    rfl
  | cons d ds IH =>
    intro eA oA HS HA Hq
    cases hP : probe DA fsA ws rkind.RHeader (d, i) with
    | mk e1 r1 =>
      cases r1 with
      | some a1 =>
        have e2 : find1 DA fsA ws i (d :: ds) = (e1, some a1) := by
          simp only [find1, hP] <;> rfl
        rw [e2] at HA
        injection HA with HA1 HA2
        subst HA1
        subst HA2
        have hPB := probe_agree DA DB h fsA fsB ws rkind.RHeader (d, i) e1 (some a1) HS hP Hq
        simp only [find1, hPB, Option.map] <;> rfl
      | none =>
        cases hF : find1 DA fsA ws i ds with
        | mk e2 r2 =>
          have e3 : find1 DA fsA ws i (d :: ds) = (e1 ++ e2, r2) := by
            simp only [find1, hP, hF] <;> rfl
          rw [e3] at HA
          injection HA with HA1 HA2
          subst HA1
          subst HA2
          have hPB := probe_agree DA DB h fsA fsB ws rkind.RHeader (d, i) e1 none HS hP
            (fun q b H => Hq q b (in_or_app e1 e2 _ (Or.inl H)))
          have hFB := IH e2 r2 HS hF (fun q b H => Hq q b (in_or_app e1 e2 _ (Or.inr H)))
          simp only [find1, hPB, hFB, Option.map] <;> rfl

theorem find1_split : ∀ {A B : Type} (DA : Dom A) (DB : Dom B) (h : A → B) (fsA fsB : FS)
    (ws : List (path × A)) (i : Nat) (ds : List Nat) (eA : List event) (oA : Option A)
    (eB : List event) (oB : Option B) (tA tB : List event),
    Sim DA DB h fsA fsB →
    find1 DA fsA ws i ds = (eA, oA) → find1 DB fsB (msnd h ws) i ds = (eB, oB) →
    eB ++ tB = eA ++ tA →
    eB = eA ∧ oB = Option.map h oA ∧ tB = tA := by
  intro A B DA DB h fsA fsB ws i ds
  induction ds with
  | nil =>
    intro eA oA eB oB tA tB _ HA HB Ht
    have e1 : find1 DA fsA ws i [] = ([], none) := rfl
    have e2 : find1 DB fsB (msnd h ws) i [] = ([], none) := rfl
    rw [e1] at HA
    rw [e2] at HB
    injection HA with HA1 HA2
    injection HB with HB1 HB2
    subst HA1
    subst HA2
    subst HB1
    subst HB2
    exact ⟨rfl, rfl, Ht⟩
  | cons d ds IH =>
    intro eA oA eB oB tA tB HS HA HB Ht
    cases hP : probe DA fsA ws rkind.RHeader (d, i) with
    | mk e1 r1 =>
      cases hP' : probe DB fsB (msnd h ws) rkind.RHeader (d, i) with
      | mk e1' r1' =>
        cases r1 with
        | some a1 =>
          have HeA : find1 DA fsA ws i (d :: ds) = (e1, some a1) := by
            simp only [find1, hP] <;> rfl
          rw [HeA] at HA
          injection HA with HA1 HA2
          subst HA1
          subst HA2
          cases r1' with
          | some b1 =>
            have HeB : find1 DB fsB (msnd h ws) i (d :: ds) = (e1', some b1) := by
              simp only [find1, hP'] <;> rfl
            rw [HeB] at HB
            injection HB with HB1 HB2
            subst HB1
            subst HB2
            exact probe_split DA DB h fsA fsB ws rkind.RHeader (d, i) e1 (some a1) e1' (some b1)
              tA tB HS hP hP' Ht
          | none =>
            cases hF' : find1 DB fsB (msnd h ws) i ds with
            | mk e2' r2' =>
              have HeB : find1 DB fsB (msnd h ws) i (d :: ds) = (e1' ++ e2', r2') := by
                simp only [find1, hP', hF'] <;> rfl
              rw [HeB] at HB
              injection HB with HB1 HB2
              subst HB1
              subst HB2
              rw [List.append_assoc] at Ht
              have Hsp := probe_split DA DB h fsA fsB ws rkind.RHeader (d, i) e1 (some a1) e1' none
                tA (e2' ++ tB) HS hP hP' Ht
              have Hc : (none : Option B) = some (h a1) := Hsp.2.1
              cases Hc
        | none =>
          cases hF : find1 DA fsA ws i ds with
          | mk e2 r2 =>
            have HeA : find1 DA fsA ws i (d :: ds) = (e1 ++ e2, r2) := by
              simp only [find1, hP, hF] <;> rfl
            rw [HeA] at HA
            injection HA with HA1 HA2
            subst HA1
            subst HA2
            cases r1' with
            | some b1 =>
              have HeB : find1 DB fsB (msnd h ws) i (d :: ds) = (e1', some b1) := by
                simp only [find1, hP'] <;> rfl
              rw [HeB] at HB
              injection HB with HB1 HB2
              subst HB1
              subst HB2
              rw [List.append_assoc] at Ht
              have Hsp := probe_split DA DB h fsA fsB ws rkind.RHeader (d, i) e1 none e1' (some b1)
                (e2 ++ tA) tB HS hP hP' Ht
              have Hc : some b1 = (none : Option B) := Hsp.2.1
              cases Hc
            | none =>
              cases hF' : find1 DB fsB (msnd h ws) i ds with
              | mk e2' r2' =>
                have HeB : find1 DB fsB (msnd h ws) i (d :: ds) = (e1' ++ e2', r2') := by
                  simp only [find1, hP', hF'] <;> rfl
                rw [HeB] at HB
                injection HB with HB1 HB2
                subst HB1
                subst HB2
                rw [List.append_assoc, List.append_assoc] at Ht
                have Hsp := probe_split DA DB h fsA fsB ws rkind.RHeader (d, i) e1 none e1' none
                  (e2 ++ tA) (e2' ++ tB) HS hP hP' Ht
                have Hsp2 := IH e2 r2 e2' r2' tA tB HS hF hF' Hsp.2.2
                refine ⟨?_, Hsp2.2.1, Hsp2.2.2⟩
                rw [Hsp.1, Hsp2.1]

theorem search_agree : ∀ {A B : Type} (DA : Dom A) (DB : Dom B) (h : A → B) (fsA fsB : FS)
    (ws : List (path × A)) (ds incs : List Nat) (eA : List event) (oA : Option (List A)),
    Sim DA DB h fsA fsB →
    search DA fsA ws incs ds = (eA, oA) →
    (∀ q e, In (event.EExists q e) eA → isS (fsA q) = isS (fsB q)) →
    search DB fsB (msnd h ws) incs ds = (eA, Option.map (List.map h) oA) := by
  intro A B DA DB h fsA fsB ws ds incs
  induction incs with
  | nil =>
    intro eA oA _ HA _
    have e1 : search DA fsA ws [] ds = ([], some []) := rfl
    rw [e1] at HA
    injection HA with HA1 HA2
    subst HA1
    subst HA2
    rfl
  | cons i incs IH =>
    intro eA oA HS HA Hq
    cases hF : find1 DA fsA ws i ds with
    | mk e1 r1 =>
      cases r1 with
      | some a1 =>
        cases hS : search DA fsA ws incs ds with
        | mk e2 r2 =>
          cases r2 with
          | some hs =>
            have e3 : search DA fsA ws (i :: incs) ds = (e1 ++ e2, some (a1 :: hs)) := by
              simp only [search, hF, hS] <;> rfl
            rw [e3] at HA
            injection HA with HA1 HA2
            subst HA1
            subst HA2
            have hFB := find1_agree DA DB h fsA fsB ws i ds e1 (some a1) HS hF
              (fun q b H => Hq q b (in_or_app e1 e2 _ (Or.inl H)))
            have hSB := IH e2 (some hs) HS hS
              (fun q b H => Hq q b (in_or_app e1 e2 _ (Or.inr H)))
            simp only [search, hFB, hSB, Option.map, List.map] <;> rfl
          | none =>
            have e3 : search DA fsA ws (i :: incs) ds = (e1 ++ e2, none) := by
              simp only [search, hF, hS] <;> rfl
            rw [e3] at HA
            injection HA with HA1 HA2
            subst HA1
            subst HA2
            have hFB := find1_agree DA DB h fsA fsB ws i ds e1 (some a1) HS hF
              (fun q b H => Hq q b (in_or_app e1 e2 _ (Or.inl H)))
            have hSB := IH e2 none HS hS
              (fun q b H => Hq q b (in_or_app e1 e2 _ (Or.inr H)))
            simp only [search, hFB, hSB, Option.map] <;> rfl
      | none =>
        have e3 : search DA fsA ws (i :: incs) ds = (e1, none) := by
          simp only [search, hF] <;> rfl
        rw [e3] at HA
        injection HA with HA1 HA2
        subst HA1
        subst HA2
        have hFB := find1_agree DA DB h fsA fsB ws i ds e1 none HS hF Hq
        simp only [search, hFB, Option.map] <;> rfl

theorem search_split : ∀ {A B : Type} (DA : Dom A) (DB : Dom B) (h : A → B) (fsA fsB : FS)
    (ws : List (path × A)) (ds incs : List Nat) (eA : List event) (oA : Option (List A))
    (eB : List event) (oB : Option (List B)) (tA tB : List event),
    Sim DA DB h fsA fsB →
    search DA fsA ws incs ds = (eA, oA) → search DB fsB (msnd h ws) incs ds = (eB, oB) →
    eB ++ tB = eA ++ tA →
    eB = eA ∧ oB = Option.map (List.map h) oA ∧ tB = tA := by
  intro A B DA DB h fsA fsB ws ds incs
  induction incs with
  | nil =>
    intro eA oA eB oB tA tB _ HA HB Ht
    have e1 : search DA fsA ws [] ds = ([], some []) := rfl
    have e2 : search DB fsB (msnd h ws) [] ds = ([], some []) := rfl
    rw [e1] at HA
    rw [e2] at HB
    injection HA with HA1 HA2
    injection HB with HB1 HB2
    subst HA1
    subst HA2
    subst HB1
    subst HB2
    exact ⟨rfl, rfl, Ht⟩
  | cons i incs IH =>
    intro eA oA eB oB tA tB HS HA HB Ht
    cases hF : find1 DA fsA ws i ds with
    | mk e1 r1 =>
      cases hF' : find1 DB fsB (msnd h ws) i ds with
      | mk e1' r1' =>
        cases r1 with
        | some a1 =>
          cases hS : search DA fsA ws incs ds with
          | mk e2 r2 =>
            have HeA : eA = e1 ++ e2 ∧ oA = Option.map (fun hs => a1 :: hs) r2 := by
              cases r2 with
              | none =>
                have e3 : search DA fsA ws (i :: incs) ds = (e1 ++ e2, none) := by
                  simp only [search, hF, hS] <;> rfl
                rw [e3] at HA
                injection HA with HA1 HA2
                exact ⟨HA1.symm, HA2.symm⟩
              | some hs =>
                have e3 : search DA fsA ws (i :: incs) ds = (e1 ++ e2, some (a1 :: hs)) := by
                  simp only [search, hF, hS] <;> rfl
                rw [e3] at HA
                injection HA with HA1 HA2
                exact ⟨HA1.symm, HA2.symm⟩
            cases r1' with
            | some b1 =>
              cases hS' : search DB fsB (msnd h ws) incs ds with
              | mk e2' r2' =>
                have HeB : eB = e1' ++ e2' ∧ oB = Option.map (fun hs => b1 :: hs) r2' := by
                  cases r2' with
                  | none =>
                    have e3 : search DB fsB (msnd h ws) (i :: incs) ds = (e1' ++ e2', none) := by
                      simp only [search, hF', hS'] <;> rfl
                    rw [e3] at HB
                    injection HB with HB1 HB2
                    exact ⟨HB1.symm, HB2.symm⟩
                  | some hs =>
                    have e3 : search DB fsB (msnd h ws) (i :: incs) ds =
                        (e1' ++ e2', some (b1 :: hs)) := by
                      simp only [search, hF', hS'] <;> rfl
                    rw [e3] at HB
                    injection HB with HB1 HB2
                    exact ⟨HB1.symm, HB2.symm⟩
                rw [HeA.1, HeB.1] at Ht
                rw [List.append_assoc, List.append_assoc] at Ht
                have Hsp1 := find1_split DA DB h fsA fsB ws i ds e1 (some a1) e1' (some b1)
                  (e2 ++ tA) (e2' ++ tB) HS hF hF' Ht
                have Hb : some b1 = some (h a1) := Hsp1.2.1
                injection Hb with Hb'
                have Hsp2 := IH e2 r2 e2' r2' tA tB HS hS hS' Hsp1.2.2
                refine ⟨?_, ?_, Hsp2.2.2⟩
                · rw [HeA.1, HeB.1, Hsp1.1, Hsp2.1]
                · rw [HeA.2, HeB.2, Hsp2.2.1, Hb']
                  cases r2 with
                  | none => rfl
                  | some hs => rfl
            | none =>
              have HeB : eB = e1' ∧ oB = none := by
                have e3 : search DB fsB (msnd h ws) (i :: incs) ds = (e1', none) := by
                  simp only [search, hF'] <;> rfl
                rw [e3] at HB
                injection HB with HB1 HB2
                exact ⟨HB1.symm, HB2.symm⟩
              rw [HeA.1, HeB.1, List.append_assoc] at Ht
              have Hsp := find1_split DA DB h fsA fsB ws i ds e1 (some a1) e1' none
                (e2 ++ tA) tB HS hF hF' Ht
              have Hc : (none : Option B) = some (h a1) := Hsp.2.1
              cases Hc
        | none =>
          have HeA : eA = e1 ∧ oA = none := by
            have e3 : search DA fsA ws (i :: incs) ds = (e1, none) := by
              simp only [search, hF] <;> rfl
            rw [e3] at HA
            injection HA with HA1 HA2
            exact ⟨HA1.symm, HA2.symm⟩
          cases r1' with
          | some b1 =>
            cases hS' : search DB fsB (msnd h ws) incs ds with
            | mk e2' r2' =>
              have HeB : eB = e1' ++ e2' := by
                cases r2' with
                | none =>
                  have e3 : search DB fsB (msnd h ws) (i :: incs) ds = (e1' ++ e2', none) := by
                    simp only [search, hF', hS'] <;> rfl
                  rw [e3] at HB
                  injection HB with HB1 HB2
                  exact HB1.symm
                | some hs =>
                  have e3 : search DB fsB (msnd h ws) (i :: incs) ds =
                      (e1' ++ e2', some (b1 :: hs)) := by
                    simp only [search, hF', hS'] <;> rfl
                  rw [e3] at HB
                  injection HB with HB1 HB2
                  exact HB1.symm
              rw [HeA.1, HeB, List.append_assoc] at Ht
              have Hsp := find1_split DA DB h fsA fsB ws i ds e1 none e1' (some b1)
                tA (e2' ++ tB) HS hF hF' Ht
              have Hc : some b1 = (none : Option B) := Hsp.2.1
              cases Hc
          | none =>
            have HeB : eB = e1' ∧ oB = none := by
              have e3 : search DB fsB (msnd h ws) (i :: incs) ds = (e1', none) := by
                simp only [search, hF'] <;> rfl
              rw [e3] at HB
              injection HB with HB1 HB2
              exact ⟨HB1.symm, HB2.symm⟩
            rw [HeA.1, HeB.1] at Ht
            have Hsp := find1_split DA DB h fsA fsB ws i ds e1 none e1' none tA tB HS hF hF' Ht
            rw [HeA.1, HeA.2, HeB.1, HeB.2]
            exact ⟨Hsp.1, rfl, Hsp.2.2⟩

theorem pre_mapres : ∀ {A B : Type} (h : A → B) (e : List event) (r : Res A),
    pre e (mapres h r) = mapres h (pre e r) := by
  intro A B h e r
  rfl

/-- If the two runs agree on every probe A makes and every observation A makes, then the run in
B is the image under h of the run in A. -/
theorem sim_agree : ∀ {A B : Type} (DA : Dom A) (DB : Dom B) (h : A → B) (fsA fsB : FS),
    Sim DA DB h fsA fsB →
    ∀ (b : build) (env : List A) (ws : List (path × A)),
    (∀ q e, In (event.EExists q e) (trace (run DA fsA env ws b)) → isS (fsA q) = isS (fsB q)) →
    (∀ o a, In (o, a) (looked (run DA fsA env ws b)) → dlook DB o (h a) = dlook DA o a) →
    run DB fsB (List.map h env) (msnd h ws) b = mapres h (run DA fsA env ws b) := by
  intro A B DA DB h fsA fsB HS b
  induction b with
  | Read k p bp ba IHp IHa =>
    intro env ws Hq Hl
    cases hPA : probe DA fsA ws k p with
    | mk e oA =>
      cases oA with
      | some a =>
        have eA : run DA fsA env ws (build.Read k p bp ba) =
            pre e (run DA fsA (a :: env) ws bp) := by
          simp only [run, hPA] <;> rfl
        have Hq' : ∀ q b', In (event.EExists q b') (e ++ trace (run DA fsA (a :: env) ws bp)) →
            isS (fsA q) = isS (fsB q) := by
          intro q b' H
          apply Hq q b'
          rw [eA]
          exact H
        have Hl' : ∀ o a', In (o, a') (looked (run DA fsA (a :: env) ws bp)) →
            dlook DB o (h a') = dlook DA o a' := by
          intro o a' H
          apply Hl o a'
          rw [eA]
          exact H
        have hPB := probe_agree DA DB h fsA fsB ws k p e (some a) HS hPA
          (fun q b' H => Hq' q b' (in_or_app _ _ _ (Or.inl H)))
        have eB : run DB fsB (List.map h env) (msnd h ws) (build.Read k p bp ba) =
            pre e (run DB fsB (h a :: List.map h env) (msnd h ws) bp) := by
          simp only [run, hPB, Option.map] <;> rfl
        rw [eB, eA]
        exact congrArg (pre e)
          (IHp (a :: env) ws (fun q b' H => Hq' q b' (in_or_app _ _ _ (Or.inr H))) Hl')
      | none =>
        have eA : run DA fsA env ws (build.Read k p bp ba) = pre e (run DA fsA env ws ba) := by
          simp only [run, hPA] <;> rfl
        have Hq' : ∀ q b', In (event.EExists q b') (e ++ trace (run DA fsA env ws ba)) →
            isS (fsA q) = isS (fsB q) := by
          intro q b' H
          apply Hq q b'
          rw [eA]
          exact H
        have Hl' : ∀ o a', In (o, a') (looked (run DA fsA env ws ba)) →
            dlook DB o (h a') = dlook DA o a' := by
          intro o a' H
          apply Hl o a'
          rw [eA]
          exact H
        have hPB := probe_agree DA DB h fsA fsB ws k p e none HS hPA
          (fun q b' H => Hq' q b' (in_or_app _ _ _ (Or.inl H)))
        have eB : run DB fsB (List.map h env) (msnd h ws) (build.Read k p bp ba) =
            pre e (run DB fsB (List.map h env) (msnd h ws) ba) := by
          simp only [run, hPB, Option.map] <;> rfl
        rw [eB, eA]
        exact congrArg (pre e)
          (IHa env ws (fun q b' H => Hq' q b' (in_or_app _ _ _ (Or.inr H))) Hl')
  | Lit c nx IH =>
    intro env ws Hq Hl
    have eB : run DB fsB (List.map h env) (msnd h ws) (build.Lit c nx) =
        run DB fsB (h (dlit DA c) :: List.map h env) (msnd h ws) nx := by
      rw [HS.2.1 c] <;> rfl
    rw [eB]
    exact IH (dlit DA c :: env) ws Hq Hl
  | Compile fl s incs ds bok bmiss IHok IHmiss =>
    intro env ws Hq Hl
    cases hs : nth_error env s with
    | none =>
      have eA : run DA fsA env ws (build.Compile fl s incs ds bok bmiss) = fail := by
        simp only [run, hs] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Compile fl s incs ds bok bmiss) =
          fail := by
        simp only [run, nth_error_map', hs, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some sa =>
      cases hS : search DA fsA ws incs ds with
      | mk e oA =>
        cases oA with
        | some hs' =>
          have eA : run DA fsA env ws (build.Compile fl s incs ds bok bmiss) =
              pre e (run DA fsA (dop DA (op.OCompile fl) (sa :: hs') :: env) ws bok) := by
            simp only [run, hs, hS] <;> rfl
          have Hq' : ∀ q b', In (event.EExists q b')
              (e ++ trace (run DA fsA (dop DA (op.OCompile fl) (sa :: hs') :: env) ws bok)) →
              isS (fsA q) = isS (fsB q) := by
            intro q b' H
            apply Hq q b'
            rw [eA]
            exact H
          have Hl' : ∀ o a', In (o, a')
              (looked (run DA fsA (dop DA (op.OCompile fl) (sa :: hs') :: env) ws bok)) →
              dlook DB o (h a') = dlook DA o a' := by
            intro o a' H
            apply Hl o a'
            rw [eA]
            exact H
          have hSB := search_agree DA DB h fsA fsB ws ds incs e (some hs') HS hS
            (fun q b' H => Hq' q b' (in_or_app _ _ _ (Or.inl H)))
          have eB : run DB fsB (List.map h env) (msnd h ws) (build.Compile fl s incs ds bok bmiss) =
              pre e (run DB fsB (h (dop DA (op.OCompile fl) (sa :: hs')) :: List.map h env)
                (msnd h ws) bok) := by
            rw [HS.2.2 (op.OCompile fl) (sa :: hs')]
            simp only [run, nth_error_map', hs, Option.map, hSB, List.map] <;> rfl
          rw [eB, eA]
          exact congrArg (pre e)
            (IHok (dop DA (op.OCompile fl) (sa :: hs') :: env) ws
              (fun q b' H => Hq' q b' (in_or_app _ _ _ (Or.inr H))) Hl')
        | none =>
          have eA : run DA fsA env ws (build.Compile fl s incs ds bok bmiss) =
              pre e (run DA fsA env ws bmiss) := by
            simp only [run, hs, hS] <;> rfl
          have Hq' : ∀ q b', In (event.EExists q b') (e ++ trace (run DA fsA env ws bmiss)) →
              isS (fsA q) = isS (fsB q) := by
            intro q b' H
            apply Hq q b'
            rw [eA]
            exact H
          have Hl' : ∀ o a', In (o, a') (looked (run DA fsA env ws bmiss)) →
              dlook DB o (h a') = dlook DA o a' := by
            intro o a' H
            apply Hl o a'
            rw [eA]
            exact H
          have hSB := search_agree DA DB h fsA fsB ws ds incs e none HS hS
            (fun q b' H => Hq' q b' (in_or_app _ _ _ (Or.inl H)))
          have eB : run DB fsB (List.map h env) (msnd h ws) (build.Compile fl s incs ds bok bmiss) =
              pre e (run DB fsB (List.map h env) (msnd h ws) bmiss) := by
            simp only [run, nth_error_map', hs, Option.map, hSB] <;> rfl
          rw [eB, eA]
          exact congrArg (pre e)
            (IHmiss env ws (fun q b' H => Hq' q b' (in_or_app _ _ _ (Or.inr H))) Hl')
  | Archive ms nx IH =>
    intro env ws Hq Hl
    cases hr : regs env ms with
    | none =>
      have eA : run DA fsA env ws (build.Archive ms nx) = fail := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Archive ms nx) = fail := by
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some xs =>
      have eA : run DA fsA env ws (build.Archive ms nx) =
          run DA fsA (dop DA op.OArchive xs :: env) ws nx := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Archive ms nx) =
          run DB fsB (h (dop DA op.OArchive xs) :: List.map h env) (msnd h ws) nx := by
        rw [HS.2.2 op.OArchive xs]
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA] at Hq Hl
      rw [eB, eA]
      exact IH (dop DA op.OArchive xs :: env) ws Hq Hl
  | Link k fl is' nx IH =>
    intro env ws Hq Hl
    cases hr : regs env is' with
    | none =>
      have eA : run DA fsA env ws (build.Link k fl is' nx) = fail := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Link k fl is' nx) = fail := by
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some xs =>
      have eA : run DA fsA env ws (build.Link k fl is' nx) =
          run DA fsA (dop DA (op.OLink k fl) xs :: env) ws nx := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Link k fl is' nx) =
          run DB fsB (h (dop DA (op.OLink k fl) xs) :: List.map h env) (msnd h ws) nx := by
        rw [HS.2.2 (op.OLink k fl) xs]
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA] at Hq Hl
      rw [eB, eA]
      exact IH (dop DA (op.OLink k fl) xs :: env) ws Hq Hl
  | Gen a pr is' nx IH =>
    intro env ws Hq Hl
    cases hr : regs env (pr :: is') with
    | none =>
      have eA : run DA fsA env ws (build.Gen a pr is' nx) = fail := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Gen a pr is' nx) = fail := by
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some xs =>
      have eA : run DA fsA env ws (build.Gen a pr is' nx) =
          run DA fsA (dop DA (op.OGen a) xs :: env) ws nx := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Gen a pr is' nx) =
          run DB fsB (h (dop DA (op.OGen a) xs) :: List.map h env) (msnd h ws) nx := by
        rw [HS.2.2 (op.OGen a) xs]
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA] at Hq Hl
      rw [eB, eA]
      exact IH (dop DA (op.OGen a) xs :: env) ws Hq Hl
  | Write p r nx IH =>
    intro env ws Hq Hl
    cases hr : nth_error env r with
    | none =>
      have eA : run DA fsA env ws (build.Write p r nx) = fail := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Write p r nx) = fail := by
        simp only [run, nth_error_map', hr, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some x =>
      have eA : run DA fsA env ws (build.Write p r nx) = run DA fsA env ((p, x) :: ws) nx := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Write p r nx) =
          run DB fsB (List.map h env) ((p, h x) :: msnd h ws) nx := by
        simp only [run, nth_error_map', hr, Option.map] <;> rfl
      rw [eA] at Hq Hl
      rw [eB, eA]
      exact IH env ((p, x) :: ws) Hq Hl
  | Observe o r k IH =>
    intro env ws Hq Hl
    cases hr : nth_error env r with
    | none =>
      have eA : run DA fsA env ws (build.Observe o r k) = fail := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Observe o r k) = fail := by
        simp only [run, nth_error_map', hr, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some x =>
      have eA : run DA fsA env ws (build.Observe o r k) =
          mkRes (event.EObs o (dlook DA o x) :: trace (run DA fsA env ws (k (dlook DA o x))))
            ((o, x) :: looked (run DA fsA env ws (k (dlook DA o x))))
            (outs (run DA fsA env ws (k (dlook DA o x)))) := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Observe o r k) =
          mkRes (event.EObs o (dlook DB o (h x)) ::
              trace (run DB fsB (List.map h env) (msnd h ws) (k (dlook DB o (h x)))))
            ((o, h x) :: looked (run DB fsB (List.map h env) (msnd h ws) (k (dlook DB o (h x)))))
            (outs (run DB fsB (List.map h env) (msnd h ws) (k (dlook DB o (h x))))) := by
        simp only [run, nth_error_map', hr, Option.map] <;> rfl
      have hx : dlook DB o (h x) = dlook DA o x := by
        apply Hl o x
        rw [eA]
        exact Or.inl rfl
      have IH' := IH (dlook DA o x) env ws
        (fun q b' H => Hq q b' (by rw [eA]; exact Or.inr H))
        (fun o' a' H => Hl o' a' (by rw [eA]; exact Or.inr H))
      rw [eB, hx, IH', eA] <;> rfl
  | Done os =>
    intro env ws _ _
    cases hr : regs env (List.map Prod.snd os) with
    | none =>
      have eA : run DA fsA env ws (build.Done os) = fail := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Done os) = fail := by
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some xs =>
      have eA : run DA fsA env ws (build.Done os) =
          mkRes [] [] (some (combine (List.map Prod.fst os) xs)) := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Done os) =
          mkRes [] [] (some (combine (List.map Prod.fst os) (List.map h xs))) := by
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA, eB, combine_msnd] <;> rfl

/-- If the two runs produce the same trace, the run in B is the image under h of the run in A:
they took the same branches, so they built the same graph. -/
theorem sim_trace : ∀ {A B : Type} (DA : Dom A) (DB : Dom B) (h : A → B) (fsA fsB : FS),
    Sim DA DB h fsA fsB →
    ∀ (b : build) (env : List A) (ws : List (path × A)),
    trace (run DB fsB (List.map h env) (msnd h ws) b) = trace (run DA fsA env ws b) →
    run DB fsB (List.map h env) (msnd h ws) b = mapres h (run DA fsA env ws b) := by
  intro A B DA DB h fsA fsB HS b
  induction b with
  | Read k p bp ba IHp IHa =>
    intro env ws Ht
    cases hPA : probe DA fsA ws k p with
    | mk eA oA =>
      cases hPB : probe DB fsB (msnd h ws) k p with
      | mk eB oB =>
        cases oA with
        | some a =>
          have rA : run DA fsA env ws (build.Read k p bp ba) =
              pre eA (run DA fsA (a :: env) ws bp) := by
            simp only [run, hPA] <;> rfl
          cases oB with
          | some b' =>
            have rB : run DB fsB (List.map h env) (msnd h ws) (build.Read k p bp ba) =
                pre eB (run DB fsB (b' :: List.map h env) (msnd h ws) bp) := by
              simp only [run, hPB] <;> rfl
            rw [rA, rB] at Ht
            have Hsp := probe_split DA DB h fsA fsB ws k p eA (some a) eB (some b')
              (trace (run DA fsA (a :: env) ws bp))
              (trace (run DB fsB (b' :: List.map h env) (msnd h ws) bp)) HS hPA hPB Ht
            have Hb : some b' = some (h a) := Hsp.2.1
            injection Hb with Hb'
            subst Hb'
            rw [rA, rB, Hsp.1]
            exact congrArg (pre eA) (IHp (a :: env) ws Hsp.2.2)
          | none =>
            have rB : run DB fsB (List.map h env) (msnd h ws) (build.Read k p bp ba) =
                pre eB (run DB fsB (List.map h env) (msnd h ws) ba) := by
              simp only [run, hPB] <;> rfl
            rw [rA, rB] at Ht
            have Hsp := probe_split DA DB h fsA fsB ws k p eA (some a) eB none
              (trace (run DA fsA (a :: env) ws bp))
              (trace (run DB fsB (List.map h env) (msnd h ws) ba)) HS hPA hPB Ht
            have Hc : (none : Option B) = some (h a) := Hsp.2.1
            cases Hc
        | none =>
          have rA : run DA fsA env ws (build.Read k p bp ba) = pre eA (run DA fsA env ws ba) := by
            simp only [run, hPA] <;> rfl
          cases oB with
          | some b' =>
            have rB : run DB fsB (List.map h env) (msnd h ws) (build.Read k p bp ba) =
                pre eB (run DB fsB (b' :: List.map h env) (msnd h ws) bp) := by
              simp only [run, hPB] <;> rfl
            rw [rA, rB] at Ht
            have Hsp := probe_split DA DB h fsA fsB ws k p eA none eB (some b')
              (trace (run DA fsA env ws ba))
              (trace (run DB fsB (b' :: List.map h env) (msnd h ws) bp)) HS hPA hPB Ht
            have Hc : some b' = (none : Option B) := Hsp.2.1
            cases Hc
          | none =>
            have rB : run DB fsB (List.map h env) (msnd h ws) (build.Read k p bp ba) =
                pre eB (run DB fsB (List.map h env) (msnd h ws) ba) := by
              simp only [run, hPB] <;> rfl
            rw [rA, rB] at Ht
            have Hsp := probe_split DA DB h fsA fsB ws k p eA none eB none
              (trace (run DA fsA env ws ba))
              (trace (run DB fsB (List.map h env) (msnd h ws) ba)) HS hPA hPB Ht
            rw [rA, rB, Hsp.1]
            exact congrArg (pre eA) (IHa env ws Hsp.2.2)
  | Lit c nx IH =>
    intro env ws Ht
    have eB : run DB fsB (List.map h env) (msnd h ws) (build.Lit c nx) =
        run DB fsB (h (dlit DA c) :: List.map h env) (msnd h ws) nx := by
      rw [HS.2.1 c] <;> rfl
    rw [eB] at Ht
    rw [eB]
    exact IH (dlit DA c :: env) ws Ht
  | Compile fl s incs ds bok bmiss IHok IHmiss =>
    intro env ws Ht
    cases hs : nth_error env s with
    | none =>
      have eA : run DA fsA env ws (build.Compile fl s incs ds bok bmiss) = fail := by
        simp only [run, hs] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Compile fl s incs ds bok bmiss) =
          fail := by
        simp only [run, nth_error_map', hs, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some sa =>
      cases hSA : search DA fsA ws incs ds with
      | mk eA oA =>
        cases hSB : search DB fsB (msnd h ws) incs ds with
        | mk eB oB =>
          cases oA with
          | some hsA =>
            have rA : run DA fsA env ws (build.Compile fl s incs ds bok bmiss) =
                pre eA (run DA fsA (dop DA (op.OCompile fl) (sa :: hsA) :: env) ws bok) := by
              simp only [run, hs, hSA] <;> rfl
            cases oB with
            | some hsB =>
              have rB : run DB fsB (List.map h env) (msnd h ws)
                    (build.Compile fl s incs ds bok bmiss) =
                  pre eB (run DB fsB (dop DB (op.OCompile fl) (h sa :: hsB) :: List.map h env)
                    (msnd h ws) bok) := by
                simp only [run, nth_error_map', hs, Option.map, hSB] <;> rfl
              rw [rA, rB] at Ht
              have Hsp := search_split DA DB h fsA fsB ws ds incs eA (some hsA) eB (some hsB)
                (trace (run DA fsA (dop DA (op.OCompile fl) (sa :: hsA) :: env) ws bok))
                (trace (run DB fsB (dop DB (op.OCompile fl) (h sa :: hsB) :: List.map h env)
                  (msnd h ws) bok)) HS hSA hSB Ht
              have Hb : some hsB = some (List.map h hsA) := Hsp.2.1
              injection Hb with Hb'
              subst Hb'
              have E : dop DB (op.OCompile fl) (h sa :: List.map h hsA) =
                  h (dop DA (op.OCompile fl) (sa :: hsA)) :=
                (HS.2.2 (op.OCompile fl) (sa :: hsA)).symm
              have Ht2 := Hsp.2.2
              rw [E] at Ht2
              rw [rA, rB, Hsp.1, E]
              exact congrArg (pre eA)
                (IHok (dop DA (op.OCompile fl) (sa :: hsA) :: env) ws Ht2)
            | none =>
              have rB : run DB fsB (List.map h env) (msnd h ws)
                    (build.Compile fl s incs ds bok bmiss) =
                  pre eB (run DB fsB (List.map h env) (msnd h ws) bmiss) := by
                simp only [run, nth_error_map', hs, Option.map, hSB] <;> rfl
              rw [rA, rB] at Ht
              have Hsp := search_split DA DB h fsA fsB ws ds incs eA (some hsA) eB none
                (trace (run DA fsA (dop DA (op.OCompile fl) (sa :: hsA) :: env) ws bok))
                (trace (run DB fsB (List.map h env) (msnd h ws) bmiss)) HS hSA hSB Ht
              have Hc : (none : Option (List B)) = some (List.map h hsA) := Hsp.2.1
              cases Hc
          | none =>
            have rA : run DA fsA env ws (build.Compile fl s incs ds bok bmiss) =
                pre eA (run DA fsA env ws bmiss) := by
              simp only [run, hs, hSA] <;> rfl
            cases oB with
            | some hsB =>
              have rB : run DB fsB (List.map h env) (msnd h ws)
                    (build.Compile fl s incs ds bok bmiss) =
                  pre eB (run DB fsB (dop DB (op.OCompile fl) (h sa :: hsB) :: List.map h env)
                    (msnd h ws) bok) := by
                simp only [run, nth_error_map', hs, Option.map, hSB] <;> rfl
              rw [rA, rB] at Ht
              have Hsp := search_split DA DB h fsA fsB ws ds incs eA none eB (some hsB)
                (trace (run DA fsA env ws bmiss))
                (trace (run DB fsB (dop DB (op.OCompile fl) (h sa :: hsB) :: List.map h env)
                  (msnd h ws) bok)) HS hSA hSB Ht
              have Hc : some hsB = (none : Option (List B)) := Hsp.2.1
              cases Hc
            | none =>
              have rB : run DB fsB (List.map h env) (msnd h ws)
                    (build.Compile fl s incs ds bok bmiss) =
                  pre eB (run DB fsB (List.map h env) (msnd h ws) bmiss) := by
                simp only [run, nth_error_map', hs, Option.map, hSB] <;> rfl
              rw [rA, rB] at Ht
              have Hsp := search_split DA DB h fsA fsB ws ds incs eA none eB none
                (trace (run DA fsA env ws bmiss))
                (trace (run DB fsB (List.map h env) (msnd h ws) bmiss)) HS hSA hSB Ht
              rw [rA, rB, Hsp.1]
              exact congrArg (pre eA) (IHmiss env ws Hsp.2.2)
  | Archive ms nx IH =>
    intro env ws Ht
    cases hr : regs env ms with
    | none =>
      have eA : run DA fsA env ws (build.Archive ms nx) = fail := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Archive ms nx) = fail := by
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some xs =>
      have eA : run DA fsA env ws (build.Archive ms nx) =
          run DA fsA (dop DA op.OArchive xs :: env) ws nx := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Archive ms nx) =
          run DB fsB (h (dop DA op.OArchive xs) :: List.map h env) (msnd h ws) nx := by
        rw [HS.2.2 op.OArchive xs]
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA, eB] at Ht
      rw [eB, eA]
      exact IH (dop DA op.OArchive xs :: env) ws Ht
  | Link k fl is' nx IH =>
    intro env ws Ht
    cases hr : regs env is' with
    | none =>
      have eA : run DA fsA env ws (build.Link k fl is' nx) = fail := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Link k fl is' nx) = fail := by
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some xs =>
      have eA : run DA fsA env ws (build.Link k fl is' nx) =
          run DA fsA (dop DA (op.OLink k fl) xs :: env) ws nx := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Link k fl is' nx) =
          run DB fsB (h (dop DA (op.OLink k fl) xs) :: List.map h env) (msnd h ws) nx := by
        rw [HS.2.2 (op.OLink k fl) xs]
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA, eB] at Ht
      rw [eB, eA]
      exact IH (dop DA (op.OLink k fl) xs :: env) ws Ht
  | Gen a pr is' nx IH =>
    intro env ws Ht
    cases hr : regs env (pr :: is') with
    | none =>
      have eA : run DA fsA env ws (build.Gen a pr is' nx) = fail := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Gen a pr is' nx) = fail := by
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some xs =>
      have eA : run DA fsA env ws (build.Gen a pr is' nx) =
          run DA fsA (dop DA (op.OGen a) xs :: env) ws nx := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Gen a pr is' nx) =
          run DB fsB (h (dop DA (op.OGen a) xs) :: List.map h env) (msnd h ws) nx := by
        rw [HS.2.2 (op.OGen a) xs]
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA, eB] at Ht
      rw [eB, eA]
      exact IH (dop DA (op.OGen a) xs :: env) ws Ht
  | Write p r nx IH =>
    intro env ws Ht
    cases hr : nth_error env r with
    | none =>
      have eA : run DA fsA env ws (build.Write p r nx) = fail := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Write p r nx) = fail := by
        simp only [run, nth_error_map', hr, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some x =>
      have eA : run DA fsA env ws (build.Write p r nx) = run DA fsA env ((p, x) :: ws) nx := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Write p r nx) =
          run DB fsB (List.map h env) ((p, h x) :: msnd h ws) nx := by
        simp only [run, nth_error_map', hr, Option.map] <;> rfl
      rw [eA, eB] at Ht
      rw [eB, eA]
      exact IH env ((p, x) :: ws) Ht
  | Observe o r k IH =>
    intro env ws Ht
    cases hr : nth_error env r with
    | none =>
      have eA : run DA fsA env ws (build.Observe o r k) = fail := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Observe o r k) = fail := by
        simp only [run, nth_error_map', hr, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some x =>
      have eA : run DA fsA env ws (build.Observe o r k) =
          mkRes (event.EObs o (dlook DA o x) :: trace (run DA fsA env ws (k (dlook DA o x))))
            ((o, x) :: looked (run DA fsA env ws (k (dlook DA o x))))
            (outs (run DA fsA env ws (k (dlook DA o x)))) := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Observe o r k) =
          mkRes (event.EObs o (dlook DB o (h x)) ::
              trace (run DB fsB (List.map h env) (msnd h ws) (k (dlook DB o (h x)))))
            ((o, h x) :: looked (run DB fsB (List.map h env) (msnd h ws) (k (dlook DB o (h x)))))
            (outs (run DB fsB (List.map h env) (msnd h ws) (k (dlook DB o (h x))))) := by
        simp only [run, nth_error_map', hr, Option.map] <;> rfl
      rw [eA, eB] at Ht
      have Ht' : event.EObs o (dlook DB o (h x)) ::
            trace (run DB fsB (List.map h env) (msnd h ws) (k (dlook DB o (h x)))) =
          event.EObs o (dlook DA o x) :: trace (run DA fsA env ws (k (dlook DA o x))) := Ht
      injection Ht' with Hev Ht2
      injection Hev with Ho Hv
      rw [Hv] at Ht2
      rw [eA, eB, Hv, IH (dlook DA o x) env ws Ht2] <;> rfl
  | Done os =>
    intro env ws _
    cases hr : regs env (List.map Prod.snd os) with
    | none =>
      have eA : run DA fsA env ws (build.Done os) = fail := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Done os) = fail := by
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA, eB] <;> rfl
    | some xs =>
      have eA : run DA fsA env ws (build.Done os) =
          mkRes [] [] (some (combine (List.map Prod.fst os) xs)) := by
        simp only [run, hr] <;> rfl
      have eB : run DB fsB (List.map h env) (msnd h ws) (build.Done os) =
          mkRes [] [] (some (combine (List.map Prod.fst os) (List.map h xs))) := by
        simp only [run, regs_map, hr, Option.map] <;> rfl
      rw [eA, eB, combine_msnd] <;> rfl

/-! ## Nodes: induction, leaves, realization -/

mutual
/-- Induction on nodes with a hypothesis for every input of a tool node. -/
def node_ind2 (P : node → Prop)
    (HL : ∀ k p h, P (node.Leaf k p h)) (HT : ∀ c, P (node.LitN c))
    (HO : ∀ o ins, Forall P ins → P (node.Op o ins)) : (n : node) → P n
  | node.Leaf k p h => HL k p h
  | node.LitN c => HT c
  | node.Op o ins => HO o ins (node_ind2_list P HL HT HO ins)
/-- Lean-only: the list half of `node_ind2` (Coq's inner `fix go`). -/
def node_ind2_list (P : node → Prop)
    (HL : ∀ k p h, P (node.Leaf k p h)) (HT : ∀ c, P (node.LitN c))
    (HO : ∀ o ins, Forall P ins → P (node.Op o ins)) : (l : List node) → Forall P l
  | [] => Forall.nil
  | m :: l' => Forall.cons m l' (node_ind2 P HL HT HO m) (node_ind2_list P HL HT HO l')
end

theorem map_ext_F : ∀ {A B : Type} (f g : A → B) (l : List A),
    Forall (fun x => f x = g x) l → List.map f l = List.map g l := by
  intro A B f g l H
  induction H with
  | nil => rfl
  | cons x l Hx _ IH =>
    have Hx' : f x = g x := Hx
    show f x :: List.map f l = g x :: List.map g l
    rw [Hx', IH]

theorem leaves_leaf : ∀ (k : rkind) (p : path) (h : List Nat), leaves (node.Leaf k p h) = [p] := by
  intro k p h
  rfl

theorem leaves_op : ∀ (o : op) (ins : List node), leaves (node.Op o ins) = flat_map leaves ins := by
  intro o ins
  induction ins with
  | nil => rfl
  | cons m ins IH =>
    show List.map Prod.fst (lvs m ++ lvsList ins) = leaves m ++ flat_map leaves ins
    rw [List.map_append]
    exact congrArg (fun x => leaves m ++ x) IH

theorem in_leaves_lvs : ∀ (p : path) (n : node), In p (leaves n) → ∃ h, In (p, h) (lvs n) := by
  intro p n H
  cases (in_map_iff Prod.fst (lvs n) p).1 H with
  | intro ph Hph =>
    cases ph with
    | mk p' h =>
      have E : p' = p := Hph.1
      subst E
      exact ⟨h, Hph.2⟩

theorem in_lvs_leaves : ∀ (p : path) (h : List Nat) (n : node), In (p, h) (lvs n) → In p (leaves n) := by
  intro p h n H
  exact (in_map_iff Prod.fst (lvs n) p).2 ⟨(p, h), rfl, H⟩

/-- The real content of a node depends only on the files at its leaves. -/
theorem realize_agree : ∀ (T : Toolchain) (fs1 fs2 : FS) (n : node),
    (∀ p, In p (leaves n) → fs1 p = fs2 p) → realize T fs1 n = realize T fs2 n := by
  intro T fs1 fs2 n
  refine node_ind2 (fun n => (∀ p, In p (leaves n) → fs1 p = fs2 p) →
    realize T fs1 n = realize T fs2 n) ?_ ?_ ?_ n
  · intro k p h Hag
    have E : fs1 p = fs2 p := Hag p (Or.inl rfl)
    show Option.getD (fs1 p) [] = Option.getD (fs2 p) []
    rw [E]
  · intro c _
    rfl
  · intro o ins IH Hag
    show apply_op T o (realizeList T fs1 ins) = apply_op T o (realizeList T fs2 ins)
    rw [realizeList_map, realizeList_map]
    apply congrArg (apply_op T o)
    apply map_ext_F
    rw [leaves_op] at Hag
    revert Hag
    induction IH with
    | nil =>
      intro _
      exact Forall.nil
    | cons m ins Hm _ IHins =>
      intro Hag
      apply Forall.cons
      · apply Hm
        intro p H
        apply Hag
        exact in_or_app (leaves m) (flat_map leaves ins) p (Or.inl H)
      · apply IHins
        intro p H
        apply Hag
        exact in_or_app (leaves m) (flat_map leaves ins) p (Or.inr H)

mutual
/-- Re-reading the leaves of a node from a file system. -/
def rehash (hash : List Nat → List Nat) (fs : FS) : node → node
  | node.Leaf k p h =>
    (match fs p with
     | some c => node.Leaf k p (hash c)
     | none => node.LitN [])
  | node.LitN c => node.LitN c
  | node.Op o ins => node.Op o (rehashList hash fs ins)
/-- Lean-only: `rehash` on a list of nodes. -/
def rehashList (hash : List Nat → List Nat) (fs : FS) : List node → List node
  | [] => []
  | n :: l => rehash hash fs n :: rehashList hash fs l
end

theorem rehashList_map : ∀ (hash : List Nat → List Nat) (fs : FS) (l : List node),
    rehashList hash fs l = List.map (rehash hash fs) l := by
  intro hash fs l
  induction l with
  | nil => rfl
  | cons n l IH =>
    show rehash hash fs n :: rehashList hash fs l = rehash hash fs n :: List.map (rehash hash fs) l
    rw [IH]

theorem realize_rehash : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS) (n : node),
    realize T fs (rehash hash fs n) = realize T fs n := by
  intro T hash fs n
  refine node_ind2 (fun n => realize T fs (rehash hash fs n) = realize T fs n) ?_ ?_ ?_ n
  · intro k p h
    show realize T fs (rehash hash fs (node.Leaf k p h)) = realize T fs (node.Leaf k p h)
    cases E : fs p with
    | some c =>
      have e1 : rehash hash fs (node.Leaf k p h) = node.Leaf k p (hash c) := by
        simp only [rehash, E] <;> rfl
      rw [e1] <;> rfl
    | none =>
      have e1 : rehash hash fs (node.Leaf k p h) = node.LitN [] := by
        simp only [rehash, E] <;> rfl
      rw [e1]
      show ([] : content) = Option.getD (fs p) []
      rw [E] <;> rfl
  · intro c
    rfl
  · intro o ins IH
    show apply_op T o (realizeList T fs (rehashList hash fs ins)) = apply_op T o (realizeList T fs ins)
    rw [realizeList_map, realizeList_map, rehashList_map]
    apply congrArg (apply_op T o)
    induction IH with
    | nil => rfl
    | cons x l Hx _ IHl =>
      have Hx' : realize T fs (rehash hash fs x) = realize T fs x := Hx
      show realize T fs (rehash hash fs x) :: List.map (realize T fs) (List.map (rehash hash fs) l) =
        realize T fs x :: List.map (realize T fs) l
      rw [Hx', IHl]

theorem map_fixed : ∀ {A : Type} (f : A → A) (l : List A),
    List.map f l = l → ∀ x, In x l → f x = x := by
  intro A f l
  induction l with
  | nil =>
    intro _ x Hx
    exact False.elim Hx
  | cons y l IH =>
    intro E x Hx
    have E' : f y :: List.map f l = y :: l := E
    injection E' with E1 E2
    have Hx' : y = x ∨ In x l := Hx
    cases Hx' with
    | inl Eyx =>
      subst Eyx
      exact E1
    | inr H2 => exact IH E2 x H2

theorem rehash_fixed_WF : ∀ (hash : List Nat → List Nat) (fs : FS) (n : node),
    rehash hash fs n = n → WF hash fs n := by
  intro hash fs n
  refine node_ind2 (fun n => rehash hash fs n = n → WF hash fs n) ?_ ?_ ?_ n
  · intro k p h E
    cases Ep : fs p with
    | none =>
      have e1 : rehash hash fs (node.Leaf k p h) = node.LitN [] := by
        simp only [rehash, Ep] <;> rfl
      rw [e1] at E
      cases E
    | some c =>
      have e1 : rehash hash fs (node.Leaf k p h) = node.Leaf k p (hash c) := by
        simp only [rehash, Ep] <;> rfl
      rw [e1] at E
      injection E with Ek Ep' Eh
      intro p' h' H
      have H' : (p, h) = (p', h') ∨ False := H
      cases H' with
      | inl E2 =>
        injection E2 with E3 E4
        subst E3
        subst E4
        exact ⟨c, Ep, Eh.symm⟩
      | inr F => exact False.elim F
  · intro c _ p h H
    exact False.elim H
  · intro o ins IH E
    have E' : node.Op o (rehashList hash fs ins) = node.Op o ins := E
    injection E' with Eo E2
    rw [rehashList_map] at E2
    intro p h H
    have H2 : In (p, h) (lvsList ins) := H
    rw [lvsList_flat_map] at H2
    cases (in_flat_map lvs ins (p, h)).1 H2 with
    | intro m Hm =>
      exact (Forall_forall _ ins).1 IH m Hm.1 (map_fixed _ _ E2 m Hm.1) p h Hm.2

theorem rehash_id : ∀ (hash : List Nat → List Nat) (fs fs' : FS) (n : node), WF hash fs n →
    (∀ p, In p (leaves n) → fs' p = fs p) → rehash hash fs' n = n := by
  intro hash fs fs' n
  refine node_ind2 (fun n => WF hash fs n → (∀ p, In p (leaves n) → fs' p = fs p) →
    rehash hash fs' n = n) ?_ ?_ ?_ n
  · intro k p h Hwf Hag
    have E1 : fs' p = fs p := Hag p (Or.inl rfl)
    cases Hwf p h (Or.inl rfl) with
    | intro c Hc =>
      have E2 : fs' p = some c := E1.trans Hc.1
      have e1 : rehash hash fs' (node.Leaf k p h) = node.Leaf k p (hash c) := by
        simp only [rehash, E2] <;> rfl
      rw [e1, Hc.2]
  · intro c _ _
    rfl
  · intro o ins IH Hwf Hag
    have F : ∀ m, In m ins → rehash hash fs' m = m := by
      intro m Hm
      apply (Forall_forall _ ins).1 IH m Hm
      · intro p h H
        apply Hwf
        show In (p, h) (lvsList ins)
        rw [lvsList_flat_map]
        exact (in_flat_map lvs ins (p, h)).2 ⟨m, Hm, H⟩
      · intro p H
        apply Hag
        rw [leaves_op]
        exact (in_flat_map leaves ins p).2 ⟨m, Hm, H⟩
    have key : ∀ (l : List node), (∀ m, In m l → rehash hash fs' m = m) →
        List.map (rehash hash fs') l = l := by
      intro l
      induction l with
      | nil =>
        intro _
        rfl
      | cons y l IHl =>
        intro Hl
        show rehash hash fs' y :: List.map (rehash hash fs') l = y :: l
        rw [Hl y (Or.inl rfl), IHl (fun m Hm => Hl m (Or.inr Hm))]
    show node.Op o (rehashList hash fs' ins) = node.Op o ins
    rw [rehashList_map, key ins F]

theorem msnd_id : ∀ {X A : Type} (h : A → A) (l : List (X × A)),
    (∀ x a, In (x, a) l → h a = a) → msnd h l = l := by
  intro X A h l
  induction l with
  | nil =>
    intro _
    rfl
  | cons p l IH =>
    intro H
    cases p with
    | mk x a =>
      show (x, h a) :: msnd h l = (x, a) :: l
      rw [H x a (Or.inl rfl), IH (fun x' a' H' => H x' a' (Or.inr H'))]

theorem msnd_fixed : ∀ {X A : Type} (h : A → A) (l : List (X × A)),
    msnd h l = l → ∀ x a, In (x, a) l → h a = a := by
  intro X A h l
  induction l with
  | nil =>
    intro _ x a Hin
    exact False.elim Hin
  | cons p l IH =>
    cases p with
    | mk x' a' =>
      intro E x a Hin
      have E' : (x', h a') :: msnd h l = (x', a') :: l := E
      injection E' with E1 E2
      have Hin' : (x', a') = (x, a) ∨ In (x, a) l := Hin
      cases Hin' with
      | inl H =>
        injection H with H1 H2
        subst H2
        injection E1 with E3 E4
        exact E4
      | inr H => exact IH E2 x a H

/-! ## The two runs are related -/

theorem sim_realize : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs fs' : FS),
    Sim (tokD T hash fs) (realD T) (realize T fs') fs fs' := by
  intro T hash fs fs'
  unfold Sim
  refine ⟨?_, ?_, ?_⟩
  · intro k p cA cB _ EB
    show Option.getD (fs' p) [] = cB
    rw [EB] <;> rfl
  · intro c
    rfl
  · intro o xs
    show apply_op T o (realizeList T fs' xs) = apply_op T o (List.map (realize T fs') xs)
    rw [realizeList_map]

theorem sim_rehash : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs fs' : FS),
    Sim (tokD T hash fs) (tokD T hash fs') (rehash hash fs') fs fs' := by
  intro T hash fs fs'
  unfold Sim
  refine ⟨?_, ?_, ?_⟩
  · intro k p cA cB _ EB
    show rehash hash fs' (node.Leaf k p (hash cA)) = node.Leaf k p (hash cB)
    simp only [rehash, EB] <;> rfl
  · intro c
    rfl
  · intro o xs
    show node.Op o (rehashList hash fs' xs) = node.Op o (List.map (rehash hash fs') xs)
    rw [rehashList_map]

/-- T1: factorisation. For every build term and every file system, the real build is the
realization of the confessed graph, and the two runs see the same trace. -/
theorem factorisation : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS) (b : build),
    real T fs b = mapres (realize T fs) (confess T hash fs b) := by
  intro T hash fs b
  exact sim_agree (tokD T hash fs) (realD T) (realize T fs) fs fs (sim_realize T hash fs fs)
    b [] [] (fun _ _ _ => rfl) (fun _ _ _ => rfl)

theorem factorisation_trace : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS) (b : build),
    trace (real T fs b) = trace (confess T hash fs b) := by
  intro T hash fs b
  exact congrArg trace (factorisation T hash fs b)

theorem factorisation_output : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS)
    (b : build) (o : Nat),
    output (real T fs b) o = Option.map (realize T fs) (output (confess T hash fs b) o) := by
  intro T hash fs b o
  rw [factorisation T hash fs b]
  cases hG : outs (confess T hash fs b) with
  | none =>
    simp only [output, mapres, hG, Option.map] <;> rfl
  | some G =>
    simp only [output, mapres, hG, Option.map, lookup_msnd] <;> rfl

/-- Every node confess produces is well formed. -/
theorem confess_fixed : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS) (b : build),
    confess T hash fs b = mapres (rehash hash fs) (confess T hash fs b) := by
  intro T hash fs b
  exact sim_agree (tokD T hash fs) (tokD T hash fs) (rehash hash fs) fs fs
    (sim_rehash T hash fs fs) b [] [] (fun _ _ _ => rfl)
    (fun o a _ => congrArg (observe T o) (realize_rehash T hash fs a))

theorem confess_wf_outs : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS) (b : build)
    (G : List (Nat × node)) (o : Nat) (n : node),
    outs (confess T hash fs b) = some G → In (o, n) G → WF hash fs n := by
  intro T hash fs b G o n EG Hin
  apply rehash_fixed_WF
  have E := congrArg outs (confess_fixed T hash fs b)
  have E2 : outs (confess T hash fs b) =
      Option.map (msnd (rehash hash fs)) (outs (confess T hash fs b)) := E
  rw [EG] at E2
  have E3 : some G = some (msnd (rehash hash fs) G) := E2
  injection E3 with E4
  exact msnd_fixed (rehash hash fs) G E4.symm o n Hin

theorem confess_wf_looked : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS) (b : build)
    (o : okind) (n : node),
    In (o, n) (looked (confess T hash fs b)) → WF hash fs n := by
  intro T hash fs b o n Hin
  apply rehash_fixed_WF
  have E := congrArg looked (confess_fixed T hash fs b)
  have E2 : looked (confess T hash fs b) =
      msnd (rehash hash fs) (looked (confess T hash fs b)) := E
  exact msnd_fixed (rehash hash fs) _ E2.symm o n Hin

/-- T5: migration. The graph confessed under fs, realized under any fs' on which the build sees
the same trace, is the real build under fs'. -/
theorem migration : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs fs' : FS) (b : build),
    trace (real T fs' b) = trace (real T fs b) →
    real T fs' b = mapres (realize T fs') (confess T hash fs b) := by
  intro T hash fs fs' b Ht
  apply sim_trace (tokD T hash fs) (realD T) (realize T fs') fs fs' (sim_realize T hash fs fs')
    b [] []
  show trace (real T fs' b) = trace (confess T hash fs b)
  rw [Ht]
  exact factorisation_trace T hash fs b

/-- A checkable sufficient condition, for confess diff. -/
theorem migration_checkable : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs fs' : FS)
    (b : build),
    (∀ q e, In (event.EExists q e) (trace (confess T hash fs b)) → isS (fs' q) = isS (fs q)) →
    (∀ o n, In (o, n) (looked (confess T hash fs b)) →
       ∀ p, In p (leaves n) → fs' p = fs p) →
    real T fs' b = mapres (realize T fs') (confess T hash fs b) := by
  intro T hash fs fs' b Hq Hl
  exact sim_agree (tokD T hash fs) (realD T) (realize T fs') fs fs'
    (sim_realize T hash fs fs') b [] []
    (fun q e H => (Hq q e H).symm)
    (fun o n H => congrArg (observe T o) (realize_agree T fs' fs n (Hl o n H)))

theorem migration_checkable_trace : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs fs' : FS)
    (b : build),
    (∀ q e, In (event.EExists q e) (trace (confess T hash fs b)) → isS (fs' q) = isS (fs q)) →
    (∀ o n, In (o, n) (looked (confess T hash fs b)) →
       ∀ p, In p (leaves n) → fs' p = fs p) →
    trace (real T fs' b) = trace (real T fs b) := by
  intro T hash fs fs' b Hq Hl
  rw [migration_checkable T hash fs fs' b Hq Hl]
  exact (factorisation_trace T hash fs b).symm

/-- With the same trace and unchanged leaf files, confess under fs' produces the same graph. -/
theorem graph_stable : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs fs' : FS) (b : build)
    (G : List (Nat × node)),
    trace (real T fs' b) = trace (real T fs b) →
    outs (confess T hash fs b) = some G →
    (∀ o n, In (o, n) G → ∀ p, In p (leaves n) → fs' p = fs p) →
    outs (confess T hash fs' b) = some G := by
  intro T hash fs fs' b G Ht EG Hag
  have E : confess T hash fs' b = mapres (rehash hash fs') (confess T hash fs b) := by
    apply sim_trace (tokD T hash fs) (tokD T hash fs') (rehash hash fs') fs fs'
      (sim_rehash T hash fs fs') b [] []
    show trace (confess T hash fs' b) = trace (confess T hash fs b)
    rw [← factorisation_trace T hash fs' b, ← factorisation_trace T hash fs b]
    exact Ht
  rw [E]
  have E2 : outs (mapres (rehash hash fs') (confess T hash fs b)) =
      Option.map (msnd (rehash hash fs')) (outs (confess T hash fs b)) := rfl
  rw [E2, EG]
  show some (msnd (rehash hash fs') G) = some G
  rw [msnd_id (rehash hash fs') G (fun o n Hin =>
    rehash_id hash fs fs' n (confess_wf_outs T hash fs b G o n EG Hin) (Hag o n Hin))]

/-- The trace condition of migration cannot be dropped. -/
def obs_eqb : List Nat → List Nat → Bool
  | [], [] => true
  | [], _ :: _ => false
  | _ :: _, [] => false
  | x :: v', y :: w' => Nat.beq x y && obs_eqb v' w'

theorem obs_eqb_true : ∀ (v w : List Nat), obs_eqb v w = true → v = w := by
  intro v
  induction v with
  | nil =>
    intro w H
    cases w with
    | nil => rfl
    | cons y w =>
      have H' : false = true := H
      cases H'
  | cons x v IH =>
    intro w H
    cases w with
    | nil =>
      have H' : false = true := H
      cases H'
    | cons y w =>
      have H1 : (Nat.beq x y && obs_eqb v w) = true := H
      cases E1 : Nat.beq x y with
      | false =>
        rw [E1] at H1
        have H2 : false = true := H1
        cases H2
      | true =>
        rw [E1] at H1
        have H2 : obs_eqb v w = true := H1
        rw [Nat.eq_of_beq_eq_true E1, IH w H2]

theorem obs_eqb_refl : ∀ (v : List Nat), obs_eqb v v = true := by
  intro v
  induction v with
  | nil => rfl
  | cons x v IH =>
    show (Nat.beq x x && obs_eqb v v) = true
    rw [nat_eqb_refl x] <;> exact IH

def witness_build (o : okind) (v0 : obs) (p : path) : build :=
  build.Read rkind.RSource p
    (build.Observe o 0 (fun v => build.Lit (cond (obs_eqb v v0) [0] [1]) (build.Done [(0, 0)])))
    (build.Lit [2] (build.Done [(0, 0)]))

theorem migration_needs_trace : ∀ (T : Toolchain) (hash : List Nat → List Nat) (o : okind)
    (fs fs' : FS) (p : path),
    (∀ c1 c2, observe T o c1 = observe T o c2 → c1 = c2) →
    fs' p ≠ fs p →
    ∃ b,
      trace (real T fs' b) ≠ trace (real T fs b) ∧
      outs (real T fs' b) ≠ Option.map (msnd (realize T fs')) (outs (confess T hash fs b)) ∧
      output (real T fs' b) 0 ≠ output (real T fs b) 0 ∧
      (∀ G n, outs (confess T hash fs b) = some G → lookup Nat.beq 0 G = some n →
         ¬ In p (leaves n)) := by
  intro T hash o fs fs' p Hinj Hne
  -- The witness run in any domain, when the file is there and when it is not.
  have key_some : ∀ {A : Type} (D : Dom A) (fsX : FS) (c : content) (v0 : obs),
      fsX p = some c →
      run D fsX [] [] (witness_build o v0 p) =
        mkRes [event.EExists p true, event.EObs o (dlook D o (dleaf D rkind.RSource p c))]
          [(o, dleaf D rkind.RSource p c)]
          (some [((0 : Nat),
            dlit D (cond (obs_eqb (dlook D o (dleaf D rkind.RSource p c)) v0) [0] [1]))]) := by
    intro A D fsX c v0 H
    simp only [witness_build, run, probe, lookup, H, nth_error] <;> rfl
  have key_none : ∀ {A : Type} (D : Dom A) (fsX : FS) (v0 : obs),
      fsX p = none →
      run D fsX [] [] (witness_build o v0 p) =
        mkRes [event.EExists p false] [] (some [((0 : Nat), dlit D [2])]) := by
    intro A D fsX v0 H
    simp only [witness_build, run, probe, lookup, H] <;> rfl
  cases E : fs p with
  | some c =>
    have Er : realize T fs (node.Leaf rkind.RSource p (hash c)) = c := by
      show Option.getD (fs p) [] = c
      rw [E] <;> rfl
    have R : real T fs (witness_build o (observe T o c) p) =
        mkRes [event.EExists p true, event.EObs o (observe T o c)] [(o, c)]
          (some [((0 : Nat), cond (obs_eqb (observe T o c) (observe T o c)) [0] [1])]) :=
      key_some (realD T) fs c (observe T o c) E
    have C0 : confess T hash fs (witness_build o (observe T o c) p) =
        mkRes [event.EExists p true,
            event.EObs o (observe T o (realize T fs (node.Leaf rkind.RSource p (hash c))))]
          [(o, node.Leaf rkind.RSource p (hash c))]
          (some [((0 : Nat), node.LitN (cond (obs_eqb
            (observe T o (realize T fs (node.Leaf rkind.RSource p (hash c)))) (observe T o c))
            [0] [1]))]) :=
      key_some (tokD T hash fs) fs c (observe T o c) E
    rw [Er, obs_eqb_refl] at C0
    have HG : ∀ G n, outs (confess T hash fs (witness_build o (observe T o c) p)) = some G →
        lookup Nat.beq 0 G = some n → ¬ In p (leaves n) := by
      intro G n EG En
      rw [C0] at EG
      have EG2 : some [((0 : Nat), node.LitN (cond true [0] [1]))] = some G := EG
      injection EG2 with EG3
      subst EG3
      have En2 : some (node.LitN (cond true [0] [1])) = some n := En
      injection En2 with En3
      subst En3
      intro H
      exact H
    cases E' : fs' p with
    | some c' =>
      have Hc : c' ≠ c := fun Hcc => Hne (Eq.trans E' (Eq.trans (congrArg some Hcc) E.symm))
      have Eq0 : obs_eqb (observe T o c') (observe T o c) = false := by
        cases Eb : obs_eqb (observe T o c') (observe T o c) with
        | true => exact absurd (Hinj c' c (obs_eqb_true _ _ Eb)) Hc
        | false => rfl
      have R' : real T fs' (witness_build o (observe T o c) p) =
          mkRes [event.EExists p true, event.EObs o (observe T o c')] [(o, c')]
            (some [((0 : Nat), cond (obs_eqb (observe T o c') (observe T o c)) [0] [1])]) :=
        key_some (realD T) fs' c' (observe T o c) E'
      refine ⟨witness_build o (observe T o c) p, ?_, ?_, ?_, HG⟩
      · intro H
        rw [R', R] at H
        have H2 : [event.EExists p true, event.EObs o (observe T o c')] =
            [event.EExists p true, event.EObs o (observe T o c)] := H
        injection H2 with H3 H4
        injection H4 with H5 H6
        injection H5 with H7 H8
        exact Hc (Hinj c' c H8)
      · intro H
        rw [R', C0, Eq0] at H
        have H3 : (some [((0 : Nat), ([1] : List Nat))] : Option (List (Nat × List Nat))) =
            some [(0, [0])] := H
        exact absurd H3 (by decide)
      · intro H
        rw [R', R, Eq0, obs_eqb_refl] at H
        have H3 : (some ([1] : List Nat) : Option (List Nat)) = some [0] := H
        exact absurd H3 (by decide)
    | none =>
      have R' : real T fs' (witness_build o (observe T o c) p) =
          mkRes [event.EExists p false] [] (some [((0 : Nat), ([2] : List Nat))]) :=
        key_none (realD T) fs' (observe T o c) E'
      refine ⟨witness_build o (observe T o c) p, ?_, ?_, ?_, HG⟩
      · intro H
        rw [R', R] at H
        have H1 := congrArg List.length H
        have H2 : (1 : Nat) = 2 := H1
        exact absurd H2 (by decide)
      · intro H
        rw [R', C0] at H
        have H3 : (some [((0 : Nat), ([2] : List Nat))] : Option (List (Nat × List Nat))) =
            some [(0, [0])] := H
        exact absurd H3 (by decide)
      · intro H
        rw [R', R, obs_eqb_refl] at H
        have H3 : (some ([2] : List Nat) : Option (List Nat)) = some [0] := H
        exact absurd H3 (by decide)
  | none =>
    cases E' : fs' p with
    | none => exact absurd (Eq.trans E' E.symm) Hne
    | some c' =>
      have R' : real T fs' (witness_build o [] p) =
          mkRes [event.EExists p true, event.EObs o (observe T o c')] [(o, c')]
            (some [((0 : Nat), cond (obs_eqb (observe T o c') []) [0] [1])]) :=
        key_some (realD T) fs' c' [] E'
      have R : real T fs (witness_build o [] p) =
          mkRes [event.EExists p false] [] (some [((0 : Nat), ([2] : List Nat))]) :=
        key_none (realD T) fs [] E
      have C0 : confess T hash fs (witness_build o [] p) =
          mkRes [event.EExists p false] [] (some [((0 : Nat), node.LitN [2])]) :=
        key_none (tokD T hash fs) fs [] E
      refine ⟨witness_build o [] p, ?_, ?_, ?_, ?_⟩
      · intro H
        rw [R', R] at H
        have H1 := congrArg List.length H
        have H2 : (2 : Nat) = 1 := H1
        exact absurd H2 (by decide)
      · intro H
        rw [R', C0] at H
        cases Eb : obs_eqb (observe T o c') [] with
        | true =>
          rw [Eb] at H
          have H3 : (some [((0 : Nat), ([0] : List Nat))] : Option (List (Nat × List Nat))) =
              some [(0, [2])] := H
          exact absurd H3 (by decide)
        | false =>
          rw [Eb] at H
          have H3 : (some [((0 : Nat), ([1] : List Nat))] : Option (List (Nat × List Nat))) =
              some [(0, [2])] := H
          exact absurd H3 (by decide)
      · intro H
        rw [R', R] at H
        cases Eb : obs_eqb (observe T o c') [] with
        | true =>
          rw [Eb] at H
          have H3 : (some ([0] : List Nat) : Option (List Nat)) = some [2] := H
          exact absurd H3 (by decide)
        | false =>
          rw [Eb] at H
          have H3 : (some ([1] : List Nat) : Option (List Nat)) = some [2] := H
          exact absurd H3 (by decide)
      · intro G n EG En
        rw [C0] at EG
        have EG2 : some [((0 : Nat), node.LitN [2])] = some G := EG
        injection EG2 with EG3
        subst EG3
        have En2 : some (node.LitN [2]) = some n := En
        injection En2 with En3
        subst En3
        intro H
        exact H

/-! ## T3: completeness -/

theorem lookup_In : ∀ {X : Type} (o : Nat) (G : List (Nat × X)) (n : X),
    lookup Nat.beq o G = some n → In (o, n) G := by
  intro X o G
  induction G with
  | nil =>
    intro n H
    have H' : (none : Option X) = some n := H
    cases H'
  | cons p G IH =>
    intro n H
    cases p with
    | mk o' x =>
      have H1 : cond (Nat.beq o o') (some x) (lookup Nat.beq o G) = some n := H
      cases E : Nat.beq o o' with
      | true =>
        rw [E] at H1
        have H2 : some x = some n := H1
        injection H2 with H3
        have Eo : o = o' := Nat.eq_of_beq_eq_true E
        rw [← Eo, H3] <;> exact Or.inl rfl
      | false =>
        rw [E] at H1
        have H2 : lookup Nat.beq o G = some n := H1
        exact Or.inr (IH n H2)

theorem completeness : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs fs' : FS) (b : build)
    (G : List (Nat × node)) (o : Nat) (n : node),
    outs (confess T hash fs b) = some G → lookup Nat.beq o G = some n →
    (∀ p, In p (leaves n) → fs' p = fs p) →
    trace (real T fs' b) = trace (real T fs b) →
    output (real T fs' b) o = output (real T fs b) o := by
  intro T hash fs fs' b G o n EG Eo Hag Ht
  rw [migration T hash fs fs' b Ht, factorisation T hash fs b]
  have E1 : ∀ (hr : node → content),
      output (mapres hr (confess T hash fs b)) o = some (hr n) := by
    intro hr
    simp only [output, mapres, EG, Option.map, lookup_msnd, Eo] <;> rfl
  rw [E1, E1, realize_agree T fs' fs n Hag]

theorem completeness_dep : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS) (b : build)
    (o : Nat) (f : path),
    depends T fs b o f →
    ∃ G n, outs (confess T hash fs b) = some G ∧ lookup Nat.beq o G = some n ∧
      In f (leaves n) := by
  intro T hash fs b o f Hdep
  unfold depends at Hdep
  cases Hdep with
  | intro v Hv =>
    have Ht := Hv.1
    have Hne := Hv.2
    have Hdec : ∀ (l : List path), In f l ∨ ¬ In f l := by
      intro l
      induction l with
      | nil => exact Or.inr (fun H => H)
      | cons q l IHl =>
        cases path_eq_dec q f with
        | isTrue Hqf => exact Or.inl (Or.inl Hqf)
        | isFalse Nqf =>
          cases IHl with
          | inl Hin => exact Or.inl (Or.inr Hin)
          | inr Hnin =>
            refine Or.inr (fun H => ?_)
            have H' : q = f ∨ In f l := H
            cases H' with
            | inl E => exact Nqf E
            | inr E => exact Hnin E
    cases EG : outs (confess T hash fs b) with
    | some G =>
      cases Eo : lookup Nat.beq o G with
      | some n =>
        refine ⟨G, n, rfl, Eo, ?_⟩
        cases Hdec (leaves n) with
        | inl Hin => exact Hin
        | inr Hnin =>
          exfalso
          apply Hne
          refine completeness T hash fs (upd fs f v) b G o n EG Eo ?_ Ht
          intro p Hp
          apply upd_other
          intro Epf
          apply Hnin
          rw [← Epf]
          exact Hp
      | none =>
        exfalso
        apply Hne
        rw [migration T hash fs (upd fs f v) b Ht, factorisation T hash fs b]
        simp only [output, mapres, EG, Option.map, lookup_msnd, Eo] <;> rfl
    | none =>
      exfalso
      apply Hne
      rw [migration T hash fs (upd fs f v) b Ht, factorisation T hash fs b]
      simp only [output, mapres, EG, Option.map] <;> rfl

/-! ## T2: soundness -/

def replace {X : Type} (i : Nat) (x : X) (l : List X) : List X :=
  match l, i with
  | [], _ => []
  | _ :: l', 0 => x :: l'
  | y :: l', i' + 1 => y :: replace i' x l'

theorem replace_nth_same : ∀ {X : Type} (l : List X) (i : Nat) (x : X),
    nth_error l i = some x → replace i x l = l := by
  intro X l
  induction l with
  | nil =>
    intro i x _
    rfl
  | cons y l IH =>
    intro i x H
    cases i with
    | zero =>
      have H' : some y = some x := H
      injection H' with H''
      show x :: l = y :: l
      rw [H'']
    | succ i =>
      show y :: replace i x l = y :: l
      rw [IH i x H]

theorem map_replace : ∀ {X Y : Type} (g : X → Y) (l : List X) (i : Nat) (x : X),
    List.map g (replace i x l) = replace i (g x) (List.map g l) := by
  intro X Y g l
  induction l with
  | nil =>
    intro i x
    rfl
  | cons y l IH =>
    intro i x
    cases i with
    | zero => rfl
    | succ i =>
      show g y :: List.map g (replace i x l) = g y :: replace i (g x) (List.map g l)
      rw [IH i x]

theorem replace_inj : ∀ {X : Type} (l : List X) (i : Nat) (x y : X),
    i < List.length l → replace i x l = replace i y l → x = y := by
  intro X l
  induction l with
  | nil =>
    intro i x y Hi _
    exact absurd Hi (Nat.not_lt_zero i)
  | cons z l IH =>
    intro i x y Hi E
    cases i with
    | zero =>
      have E' : x :: l = y :: l := E
      injection E' with E1 E2
      exact E1
    | succ i =>
      have E' : z :: replace i x l = z :: replace i y l := E
      injection E' with E1 E2
      exact IH i x y (Nat.lt_of_succ_lt_succ Hi) E2

theorem nth_error_lt : ∀ {X : Type} (l : List X) (i : Nat) (x : X),
    nth_error l i = some x → i < List.length l := by
  intro X l
  induction l with
  | nil =>
    intro i x H
    have H' : (none : Option X) = some x := H
    cases H'
  | cons y l IH =>
    intro i x H
    cases i with
    | zero =>
      show 0 < List.length l + 1
      omega
    | succ i =>
      have H2 := IH i x H
      show i + 1 < List.length l + 1
      omega

def count (f : path) (l : List path) : Nat := List.length (List.filter (path_eqb f) l)

theorem count_app : ∀ (f : path) (l1 l2 : List path),
    count f (l1 ++ l2) = count f l1 + count f l2 := by
  intro f l1 l2
  unfold count
  rw [List.filter_append, List.length_append]

theorem count_zero : ∀ (f : path) (l : List path), count f l = 0 → ¬ In f l := by
  intro f l
  induction l with
  | nil =>
    intro _ Hin
    exact Hin
  | cons p l IH =>
    intro H Hin
    have Hin' : p = f ∨ In f l := Hin
    cases E : path_eqb f p with
    | true =>
      have e : List.filter (path_eqb f) (p :: l) = p :: List.filter (path_eqb f) l := by
        simp only [List.filter, E] <;> rfl
      have H' : List.length (p :: List.filter (path_eqb f) l) = 0 := by
        rw [← e]
        exact H
      have H2 : List.length (List.filter (path_eqb f) l) + 1 = 0 := H'
      omega
    | false =>
      have e : List.filter (path_eqb f) (p :: l) = List.filter (path_eqb f) l := by
        simp only [List.filter, E] <;> rfl
      have H' : count f l = 0 := by
        show List.length (List.filter (path_eqb f) l) = 0
        rw [← e]
        exact H
      cases Hin' with
      | inl Epf =>
        rw [Epf, path_eqb_refl] at E
        cases E
      | inr Hin2 => exact IH H' Hin2

theorem count_pos : ∀ (f : path) (l : List path), 0 < count f l → In f l := by
  intro f l
  induction l with
  | nil =>
    intro H
    exact absurd H (Nat.lt_irrefl 0)
  | cons p l IH =>
    intro H
    cases E : path_eqb f p with
    | true => exact Or.inl ((path_eqb_true f p).1 E).symm
    | false =>
      have e : List.filter (path_eqb f) (p :: l) = List.filter (path_eqb f) l := by
        simp only [List.filter, E] <;> rfl
      have H' : 0 < count f l := by
        show 0 < List.length (List.filter (path_eqb f) l)
        rw [← e]
        exact H
      exact Or.inr (IH H')

theorem count_flat_ge : ∀ (f : path) (ins : List node) (i : Nat) (m : node),
    nth_error ins i = some m → count f (leaves m) ≤ count f (flat_map leaves ins) := by
  intro f ins
  induction ins with
  | nil =>
    intro i m H
    have H' : (none : Option node) = some m := H
    cases H'
  | cons y ins IH =>
    intro i m H
    cases i with
    | zero =>
      have H' : some y = some m := H
      injection H' with E
      subst E
      show count f (leaves y) ≤ count f (leaves y ++ flat_map leaves ins)
      rw [count_app]
      omega
    | succ i =>
      have H2 := IH i m H
      show count f (leaves m) ≤ count f (leaves y ++ flat_map leaves ins)
      rw [count_app]
      omega

theorem count_flat_pos : ∀ (f : path) (ins : List node), 0 < count f (flat_map leaves ins) →
    ∃ i m, nth_error ins i = some m ∧ 0 < count f (leaves m) := by
  intro f ins
  induction ins with
  | nil =>
    intro H
    exact absurd H (Nat.lt_irrefl 0)
  | cons y ins IH =>
    intro H
    have H1 : 0 < count f (leaves y) + count f (flat_map leaves ins) := by
      rw [← count_app]
      exact H
    cases Ey : count f (leaves y) with
    | zero =>
      have H2 : 0 < count f (flat_map leaves ins) := by omega
      cases IH H2 with
      | intro i Hi =>
        cases Hi with
        | intro m Hm => exact ⟨i + 1, m, Hm.1, Hm.2⟩
    | succ k =>
      refine ⟨0, y, rfl, ?_⟩
      omega

theorem realize_upd_zero : ∀ (T : Toolchain) (fs : FS) (f : path) (v : Option content) (n : node),
    count f (leaves n) = 0 → realize T (upd fs f v) n = realize T fs n := by
  intro T fs f v n H
  apply realize_agree
  intro p Hp
  apply upd_other
  intro Epf
  rw [Epf] at Hp
  exact count_zero f (leaves n) H Hp

theorem map_realize_zero : ∀ (T : Toolchain) (fs : FS) (f : path) (v : Option content)
    (l : List node),
    count f (flat_map leaves l) = 0 →
    List.map (realize T (upd fs f v)) l = List.map (realize T fs) l := by
  intro T fs f v l
  induction l with
  | nil =>
    intro _
    rfl
  | cons y l IH =>
    intro H
    have H' : count f (leaves y) + count f (flat_map leaves l) = 0 := by
      rw [← count_app]
      exact H
    have H1 : count f (leaves y) = 0 := by omega
    have H2 : count f (flat_map leaves l) = 0 := by omega
    show realize T (upd fs f v) y :: List.map (realize T (upd fs f v)) l =
      realize T fs y :: List.map (realize T fs) l
    rw [realize_upd_zero T fs f v y H1, IH H2]

/-- When file f is read only below input i of a node, editing f changes only input i. -/
theorem map_realize_replace : ∀ (T : Toolchain) (fs : FS) (f : path) (v : Option content)
    (ins : List node) (i : Nat) (m : node),
    nth_error ins i = some m →
    count f (flat_map leaves ins) = count f (leaves m) →
    List.map (realize T (upd fs f v)) ins =
      replace i (realize T (upd fs f v) m) (List.map (realize T fs) ins) := by
  intro T fs f v ins
  induction ins with
  | nil =>
    intro i m Hm
    have H' : (none : Option node) = some m := Hm
    cases H'
  | cons y ins IH =>
    intro i m Hm Hc
    have Hc' : count f (leaves y) + count f (flat_map leaves ins) = count f (leaves m) := by
      rw [← count_app]
      exact Hc
    cases i with
    | zero =>
      have Hm' : some y = some m := Hm
      injection Hm' with Eym
      subst Eym
      have H0 : count f (flat_map leaves ins) = 0 := by omega
      show realize T (upd fs f v) y :: List.map (realize T (upd fs f v)) ins =
        realize T (upd fs f v) y :: List.map (realize T fs) ins
      rw [map_realize_zero T fs f v ins H0]
    | succ i =>
      have Hge := count_flat_ge f ins i m Hm
      have Hy : count f (leaves y) = 0 := by omega
      have Hc2 : count f (flat_map leaves ins) = count f (leaves m) := by omega
      show realize T (upd fs f v) y :: List.map (realize T (upd fs f v)) ins =
        realize T fs y :: replace i (realize T (upd fs f v) m) (List.map (realize T fs) ins)
      rw [realize_upd_zero T fs f v y Hy, IH i m Hm Hc2]

/-- SENSITIVITY: each tool reads each of its inputs. -/
def Sensitive (T : Toolchain) : Prop :=
  (∀ (fl : List Nat) (s : content) (hs : List content), ∃ s', cc T fl s' hs ≠ cc T fl s hs) ∧
  (∀ (fl : List Nat) (s : content) (hs : List content) (i : Nat), i < List.length hs →
     ∃ x, cc T fl s (replace i x hs) ≠ cc T fl s hs) ∧
  (∀ (ms : List content) (i : Nat), i < List.length ms → ∃ x, ar T (replace i x ms) ≠ ar T ms) ∧
  (∀ (k : lkind) (fl : List Nat) (xs : List content) (i : Nat), i < List.length xs →
     ∃ x, ld T k fl (replace i x xs) ≠ ld T k fl xs) ∧
  (∀ (a : List Nat) (p : content) (xs : List content), ∃ p', gen T a p' xs ≠ gen T a p xs) ∧
  (∀ (a : List Nat) (p : content) (xs : List content) (i : Nat), i < List.length xs →
     ∃ x, gen T a p (replace i x xs) ≠ gen T a p xs)

/-- POSITIONAL INJECTIVITY: with the other inputs fixed, different content at one position
gives a different output. -/
def PosInjective (T : Toolchain) : Prop :=
  (∀ (fl : List Nat) (s s' : content) (hs : List content), cc T fl s hs = cc T fl s' hs → s = s') ∧
  (∀ (fl : List Nat) (s : content) (hs : List content) (i : Nat) (x y : content),
     i < List.length hs → cc T fl s (replace i x hs) = cc T fl s (replace i y hs) → x = y) ∧
  (∀ (ms : List content) (i : Nat) (x y : content), i < List.length ms →
     ar T (replace i x ms) = ar T (replace i y ms) → x = y) ∧
  (∀ (k : lkind) (fl : List Nat) (xs : List content) (i : Nat) (x y : content),
     i < List.length xs → ld T k fl (replace i x xs) = ld T k fl (replace i y xs) → x = y) ∧
  (∀ (a : List Nat) (p p' : content) (xs : List content), gen T a p xs = gen T a p' xs → p = p') ∧
  (∀ (a : List Nat) (p : content) (xs : List content) (i : Nat) (x y : content),
     i < List.length xs → gen T a p (replace i x xs) = gen T a p (replace i y xs) → x = y)

/-- The same properties for one operation, over its input list. -/
def SensitiveOp (T : Toolchain) (o : op) : Prop :=
  ∀ (xs : List content) (i : Nat), i < List.length xs →
    ∃ x, apply_op T o (replace i x xs) ≠ apply_op T o xs

def PosInjOp (T : Toolchain) (o : op) : Prop :=
  ∀ (xs : List content) (i : Nat) (x y : content), i < List.length xs →
    apply_op T o (replace i x xs) = apply_op T o (replace i y xs) → x = y

theorem sensitive_op : ∀ (T : Toolchain) (o : op), Sensitive T → SensitiveOp T o := by
  intro T o HS xs i Hlt
  have Hs := HS.1
  have Hh := HS.2.1
  have Ha := HS.2.2.1
  have Hl := HS.2.2.2.1
  have Hp := HS.2.2.2.2.1
  have Hi := HS.2.2.2.2.2
  cases o with
  | OCompile fl =>
    cases xs with
    | nil => exact absurd Hlt (Nat.not_lt_zero i)
    | cons s hs =>
      cases i with
      | zero => exact Hs fl s hs
      | succ i => exact Hh fl s hs i (Nat.lt_of_succ_lt_succ Hlt)
  | OArchive => exact Ha xs i Hlt
  | OLink k fl => exact Hl k fl xs i Hlt
  | OGen a =>
    cases xs with
    | nil => exact absurd Hlt (Nat.not_lt_zero i)
    | cons p hs =>
      cases i with
      | zero => exact Hp a p hs
      | succ i => exact Hi a p hs i (Nat.lt_of_succ_lt_succ Hlt)

theorem posinj_op : ∀ (T : Toolchain) (o : op), PosInjective T → PosInjOp T o := by
  intro T o HP xs i x y Hlt
  have Hs := HP.1
  have Hh := HP.2.1
  have Ha := HP.2.2.1
  have Hl := HP.2.2.2.1
  have Hp := HP.2.2.2.2.1
  have Hi := HP.2.2.2.2.2
  cases o with
  | OCompile fl =>
    cases xs with
    | nil => exact absurd Hlt (Nat.not_lt_zero i)
    | cons s hs =>
      cases i with
      | zero => exact Hs fl x y hs
      | succ i => exact Hh fl s hs i x y (Nat.lt_of_succ_lt_succ Hlt)
  | OArchive => exact Ha xs i x y Hlt
  | OLink k fl => exact Hl k fl xs i x y Hlt
  | OGen a =>
    cases xs with
    | nil => exact absurd Hlt (Nat.not_lt_zero i)
    | cons p hs =>
      cases i with
      | zero => exact Hp a x y hs
      | succ i => exact Hi a p hs i x y (Nat.lt_of_succ_lt_succ Hlt)

theorem cons_neq : ∀ (x : Nat) (l : List Nat), x :: l ≠ l := by
  intro x l H
  have H2 := congrArg List.length H
  have H3 : List.length l + 1 = List.length l := H2
  omega

theorem nth_replace_same : ∀ {X : Type} (l : List X) (i : Nat) (d : X),
    i < List.length l → replace i (nth i l d) l = l := by
  intro X l
  induction l with
  | nil =>
    intro i d H
    exact absurd H (Nat.not_lt_zero i)
  | cons y l IH =>
    intro i d H
    cases i with
    | zero => rfl
    | succ i =>
      show y :: replace i (nth i l d) l = y :: l
      rw [IH i d (Nat.lt_of_succ_lt_succ H)]

/-- Positional injectivity implies sensitivity. -/
theorem posinj_sensitive : ∀ (T : Toolchain), PosInjective T → Sensitive T := by
  intro T HP
  have Hs := HP.1
  have Hh := HP.2.1
  have Ha := HP.2.2.1
  have Hl := HP.2.2.2.1
  have Hp := HP.2.2.2.2.1
  have Hi := HP.2.2.2.2.2
  unfold Sensitive
  refine ⟨?_, ?_, ?_, ?_, ?_, ?_⟩
  · intro fl s hs
    exact ⟨0 :: s, fun E => cons_neq 0 s (Hs fl _ _ hs E)⟩
  · intro fl s hs i Hlt
    refine ⟨0 :: nth i hs [], fun E => cons_neq 0 (nth i hs []) ?_⟩
    apply Hh fl s hs i _ _ Hlt
    rw [nth_replace_same hs i [] Hlt]
    exact E
  · intro ms i Hlt
    refine ⟨0 :: nth i ms [], fun E => cons_neq 0 (nth i ms []) ?_⟩
    apply Ha ms i _ _ Hlt
    rw [nth_replace_same ms i [] Hlt]
    exact E
  · intro k fl xs i Hlt
    refine ⟨0 :: nth i xs [], fun E => cons_neq 0 (nth i xs []) ?_⟩
    apply Hl k fl xs i _ _ Hlt
    rw [nth_replace_same xs i [] Hlt]
    exact E
  · intro a p xs
    exact ⟨0 :: p, fun E => cons_neq 0 p (Hp a _ _ xs E)⟩
  · intro a p xs i Hlt
    refine ⟨0 :: nth i xs [], fun E => cons_neq 0 (nth i xs []) ?_⟩
    apply Hi a p xs i _ _ Hlt
    rw [nth_replace_same xs i [] Hlt]
    exact E

mutual
/-- Injectivity along the way from a node down to file f. -/
def InjPath (T : Toolchain) (f : path) : node → Prop
  | node.Op o ins => (In f (flat_map leaves ins) → PosInjOp T o) ∧ InjPathList T f ins
  | node.Leaf _ _ _ => True
  | node.LitN _ => True
/-- Lean-only: the list half of `InjPath` (Coq's inner `fix all`). -/
def InjPathList (T : Toolchain) (f : path) : List node → Prop
  | [] => True
  | m :: l' => InjPath T f m ∧ InjPathList T f l'
end

theorem InjPath_op : ∀ (T : Toolchain) (f : path) (o : op) (ins : List node),
    InjPath T f (node.Op o ins) →
    (In f (flat_map leaves ins) → PosInjOp T o) ∧ (∀ m, In m ins → InjPath T f m) := by
  intro T f o ins H
  have H' : (In f (flat_map leaves ins) → PosInjOp T o) ∧ InjPathList T f ins := H
  refine ⟨H'.1, ?_⟩
  have H2 := H'.2
  clear H H'
  induction ins with
  | nil =>
    intro m Hm
    exact False.elim Hm
  | cons y ins IH =>
    intro m Hm
    have H3 : InjPath T f y ∧ InjPathList T f ins := H2
    have Hm' : y = m ∨ In m ins := Hm
    cases Hm' with
    | inl E =>
      subst E
      exact H3.1
    | inr Hm2 => exact IH H3.2 m Hm2

theorem posinj_injpath : ∀ (T : Toolchain) (f : path) (n : node), PosInjective T → InjPath T f n := by
  intro T f n HP
  refine node_ind2 (fun n => InjPath T f n) ?_ ?_ ?_ n
  · intro k p h
    exact True.intro
  · intro c
    exact True.intro
  · intro o ins IH
    show (In f (flat_map leaves ins) → PosInjOp T o) ∧ InjPathList T f ins
    refine ⟨fun _ => posinj_op T o HP, ?_⟩
    induction IH with
    | nil => exact True.intro
    | cons m ins Hm _ IHins => exact ⟨Hm, IHins⟩

theorem posinj_same : ∀ (T : Toolchain) (o : op) (xs : List content) (i : Nat) (x y : content),
    PosInjOp T o → nth_error xs i = some y →
    apply_op T o (replace i x xs) = apply_op T o xs → x = y := by
  intro T o xs i x y HP Hy E
  apply HP xs i x y (nth_error_lt xs i y Hy)
  rw [replace_nth_same xs i y Hy]
  exact E

/-- Editing a file read exactly once below a node, along injective tools, changes the node. -/
theorem path_sensitive : ∀ (T : Toolchain) (fs : FS) (f : path) (c c' : content) (n : node),
    fs f = some c → c' ≠ c → InjPath T f n → count f (leaves n) = 1 →
    realize T (upd fs f (some c')) n ≠ realize T fs n := by
  intro T fs f c c' n Hf Hc
  refine node_ind2 (fun n => InjPath T f n → count f (leaves n) = 1 →
    realize T (upd fs f (some c')) n ≠ realize T fs n) ?_ ?_ ?_ n
  · intro k p h HI Hn
    cases E : path_eqb f p with
    | false =>
      have e : List.filter (path_eqb f) [p] = [] := by
        simp only [List.filter, E] <;> rfl
      have Hn' : List.length (List.filter (path_eqb f) [p]) = 1 := Hn
      rw [e] at Hn'
      have H0 : (0 : Nat) = 1 := Hn'
      exact absurd H0 (by decide)
    | true =>
      have Efp : f = p := (path_eqb_true f p).1 E
      rw [← Efp]
      show Option.getD (upd fs f (some c') f) [] ≠ Option.getD (fs f) []
      rw [upd_same, Hf]
      exact Hc
  · intro d HI Hn
    have H0 : (0 : Nat) = 1 := Hn
    exact absurd H0 (by decide)
  · intro o ins IH HI Hn
    rw [leaves_op] at Hn
    have HIo := (InjPath_op T f o ins HI).1
    have HIs := (InjPath_op T f o ins HI).2
    have Hpos : 0 < count f (flat_map leaves ins) := by omega
    cases count_flat_pos f ins Hpos with
    | intro i Hi =>
      cases Hi with
      | intro m Hm' =>
        have Hm := Hm'.1
        have Hmpos := Hm'.2
        have Hge := count_flat_ge f ins i m Hm
        have Hm1 : count f (leaves m) = 1 := by omega
        show apply_op T o (realizeList T (upd fs f (some c')) ins) ≠
          apply_op T o (realizeList T fs ins)
        rw [realizeList_map, realizeList_map,
          map_realize_replace T fs f (some c') ins i m Hm (Eq.trans Hn Hm1.symm)]
        intro E
        have HIn : In m ins := nth_error_In ins i m Hm
        have IH' := (Forall_forall _ ins).1 IH m HIn
        apply IH' (HIs m HIn) Hm1
        apply posinj_same T o (List.map (realize T fs) ins) i _ _ (HIo (count_pos f _ Hpos))
        · rw [nth_error_map', Hm] <;> rfl
        · exact E

/-- An edit of f that no observation sees keeps the trace, and the real build under the edit is
the old graph realized under the edit. -/
theorem edit_unseen : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS) (b : build)
    (f : path) (c c' : content),
    fs f = some c →
    (∀ o m, In (o, m) (looked (confess T hash fs b)) → ¬ In f (leaves m)) →
    real T (upd fs f (some c')) b =
      mapres (realize T (upd fs f (some c'))) (confess T hash fs b) := by
  intro T hash fs b f c c' Hf Hl
  apply migration_checkable
  · intro q e _
    cases path_eq_dec q f with
    | isTrue Eqf =>
      rw [Eqf, upd_same, Hf] <;> rfl
    | isFalse Nqf =>
      rw [upd_other fs f (some c') q Nqf]
  · intro o n Hin p Hp
    apply upd_other
    intro Epf
    rw [Epf] at Hp
    exact Hl o n Hin Hp

theorem wf_leaf_exists : ∀ (hash : List Nat → List Nat) (fs : FS) (n : node) (f : path),
    WF hash fs n → In f (leaves n) → ∃ c, fs f = some c := by
  intro hash fs n f Hwf Hin
  cases in_leaves_lvs f n Hin with
  | intro h Hh =>
    cases Hwf f h Hh with
    | intro c Hc => exact ⟨c, Hc.1⟩

/-- Direct edges between nodes. -/
theorem soundness_edge : ∀ (T : Toolchain) (fs : FS) (o : op) (ins : List node) (i : Nat)
    (m : node),
    SensitiveOp T o → nth_error ins i = some m →
    ∃ x, apply_op T o (replace i x (List.map (realize T fs) ins)) ≠ realize T fs (node.Op o ins) := by
  intro T fs o ins i m HS Hm
  have Hm' : nth_error (List.map (realize T fs) ins) i = some (realize T fs m) := by
    rw [nth_error_map', Hm] <;> rfl
  cases HS (List.map (realize T fs) ins) i (nth_error_lt _ i _ Hm') with
  | intro x Hx =>
    refine ⟨x, ?_⟩
    show apply_op T o (replace i x (List.map (realize T fs) ins)) ≠ apply_op T o (realizeList T fs ins)
    rw [realizeList_map]
    exact Hx

/-- Direct edges to files, for any node. -/
theorem soundness_leaf_edge : ∀ (T : Toolchain) (fs : FS) (o : op) (ins : List node) (i : Nat)
    (k : rkind) (f : path) (h : List Nat),
    SensitiveOp T o → nth_error ins i = some (node.Leaf k f h) →
    count f (leaves (node.Op o ins)) = 1 →
    ∃ c', realize T (upd fs f (some c')) (node.Op o ins) ≠ realize T fs (node.Op o ins) := by
  intro T fs o ins i k f h HS Hm Hc
  have Hm' : nth_error (List.map (realize T fs) ins) i = some (realize T fs (node.Leaf k f h)) := by
    rw [nth_error_map', Hm] <;> rfl
  cases HS (List.map (realize T fs) ins) i (nth_error_lt _ i _ Hm') with
  | intro x Hx =>
    refine ⟨x, ?_⟩
    rw [leaves_op] at Hc
    have e : List.filter (path_eqb f) [f] = [f] := by
      simp only [List.filter, path_eqb_refl] <;> rfl
    have Hc' : count f (flat_map leaves ins) = count f (leaves (node.Leaf k f h)) := by
      rw [Hc]
      show 1 = List.length (List.filter (path_eqb f) [f])
      rw [e] <;> rfl
    show apply_op T o (realizeList T (upd fs f (some x)) ins) ≠ apply_op T o (realizeList T fs ins)
    rw [realizeList_map, realizeList_map,
      map_realize_replace T fs f (some x) ins i _ Hm Hc']
    show apply_op T o (replace i (Option.getD (upd fs f (some x) f) []) (List.map (realize T fs) ins))
      ≠ apply_op T o (List.map (realize T fs) ins)
    rw [upd_same]
    exact Hx

/-- Direct edges from an output to a file, in the sense of `depends`. -/
theorem soundness_direct : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS) (b : build)
    (G : List (Nat × node)) (o : Nat) (opn : op) (ins : List node) (i : Nat)
    (k : rkind) (f : path) (h : List Nat),
    SensitiveOp T opn →
    outs (confess T hash fs b) = some G → lookup Nat.beq o G = some (node.Op opn ins) →
    nth_error ins i = some (node.Leaf k f h) → count f (leaves (node.Op opn ins)) = 1 →
    (∀ o' m, In (o', m) (looked (confess T hash fs b)) → ¬ In f (leaves m)) →
    depends T fs b o f := by
  intro T hash fs b G o opn ins i k f h HS EG Eo Hm Hc Hl
  have Hin : In f (leaves (node.Op opn ins)) := count_pos f _ (by omega)
  cases wf_leaf_exists hash fs _ f
      (confess_wf_outs T hash fs b G o _ EG (lookup_In o G _ Eo)) Hin with
  | intro c Hf =>
    cases soundness_leaf_edge T fs opn ins i k f h HS Hm Hc with
    | intro c' Hc' =>
      unfold depends
      refine ⟨some c', ?_, ?_⟩
      · rw [edit_unseen T hash fs b f c c' Hf Hl]
        exact (factorisation_trace T hash fs b).symm
      · rw [edit_unseen T hash fs b f c c' Hf Hl, factorisation T hash fs b]
        have E1 : ∀ (hr : node → content),
            output (mapres hr (confess T hash fs b)) o = some (hr (node.Op opn ins)) := by
          intro hr
          simp only [output, mapres, EG, Option.map, lookup_msnd, Eo] <;> rfl
        rw [E1, E1]
        intro E
        injection E with E'
        exact Hc' E'

/-- Transitive reachability, in the sense of `depends`. -/
theorem soundness_path : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS) (b : build)
    (G : List (Nat × node)) (o : Nat) (n : node) (f : path),
    outs (confess T hash fs b) = some G → lookup Nat.beq o G = some n →
    count f (leaves n) = 1 → InjPath T f n →
    (∀ o' m, In (o', m) (looked (confess T hash fs b)) → ¬ In f (leaves m)) →
    depends T fs b o f := by
  intro T hash fs b G o n f EG Eo Hc HI Hl
  have Hin : In f (leaves n) := count_pos f _ (by omega)
  cases wf_leaf_exists hash fs n f (confess_wf_outs T hash fs b G o n EG (lookup_In o G n Eo))
      Hin with
  | intro c Hf =>
    unfold depends
    refine ⟨some (0 :: c), ?_, ?_⟩
    · rw [edit_unseen T hash fs b f c (0 :: c) Hf Hl]
      exact (factorisation_trace T hash fs b).symm
    · rw [edit_unseen T hash fs b f c (0 :: c) Hf Hl, factorisation T hash fs b]
      have E1 : ∀ (hr : node → content),
          output (mapres hr (confess T hash fs b)) o = some (hr n) := by
        intro hr
        simp only [output, mapres, EG, Option.map, lookup_msnd, Eo] <;> rfl
      rw [E1, E1]
      intro E
      injection E with E'
      exact path_sensitive T fs f c (0 :: c) n Hf (cons_neq 0 c) HI Hc E'

theorem soundness_injective : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS)
    (b : build) (G : List (Nat × node)) (o : Nat) (n : node) (f : path),
    PosInjective T →
    outs (confess T hash fs b) = some G → lookup Nat.beq o G = some n →
    count f (leaves n) = 1 →
    (∀ o' m, In (o', m) (looked (confess T hash fs b)) → ¬ In f (leaves m)) →
    depends T fs b o f := by
  intro T hash fs b G o n f HP EG Eo Hc Hl
  exact soundness_path T hash fs b G o n f EG Eo Hc (posinj_injpath T f n HP) Hl

/-! ## T4: identity -/

def kcode (k : rkind) : Nat :=
  match k with
  | rkind.RSource => 0
  | rkind.RHeader => 1

def lcode (k : lkind) : Nat :=
  match k with
  | lkind.LExe => 0
  | lkind.LShared => 1
  | lkind.LPartial => 2

/-- A length-prefixed chunk. -/
def chunk (x : List Nat) : List Nat := List.length x :: x

def opcode (o : op) : List Nat :=
  match o with
  | op.OCompile fl => 0 :: chunk fl
  | op.OArchive => [1]
  | op.OLink k fl => 2 :: lcode k :: chunk fl
  | op.OGen a => 3 :: chunk a

def chunks (l : List (List Nat)) : List Nat := List.length l :: flat_map chunk l

mutual
/-- Merkle ids. -/
def mid (hash : List Nat → List Nat) : node → List Nat
  | node.Leaf k p h => hash (0 :: kcode k :: p.1 :: p.2 :: chunk h)
  | node.LitN c => hash (1 :: chunk c)
  | node.Op o ins => hash (2 :: (opcode o ++ chunks (midList hash ins)))
/-- Lean-only: `mid` on a list of nodes. -/
def midList (hash : List Nat → List Nat) : List node → List (List Nat)
  | [] => []
  | n :: l => mid hash n :: midList hash l
end

theorem midList_map : ∀ (hash : List Nat → List Nat) (l : List node),
    midList hash l = List.map (mid hash) l := by
  intro hash l
  induction l with
  | nil => rfl
  | cons n l IH =>
    show mid hash n :: midList hash l = mid hash n :: List.map (mid hash) l
    rw [IH]

/-- The string a node's id is the hash of. -/
def code (hash : List Nat → List Nat) (n : node) : List Nat :=
  match n with
  | node.Leaf k p h => 0 :: kcode k :: p.1 :: p.2 :: chunk h
  | node.LitN c => 1 :: chunk c
  | node.Op o ins => 2 :: (opcode o ++ chunks (List.map (mid hash) ins))

theorem mid_code : ∀ (hash : List Nat → List Nat) (n : node), mid hash n = hash (code hash n) := by
  intro hash n
  cases n with
  | Leaf k p h => rfl
  | LitN c => rfl
  | Op o ins =>
    show hash (2 :: (opcode o ++ chunks (midList hash ins))) =
      hash (2 :: (opcode o ++ chunks (List.map (mid hash) ins)))
    rw [midList_map]

/-- The full serialization of a node: its code with the identity as hash. -/
def encode (n : node) : List Nat := code (fun x => x) n

theorem mid_identity : ∀ (n : node), mid (fun x => x) n = encode n := by
  intro n
  cases n with
  | Leaf k p h => rfl
  | LitN c => rfl
  | Op o ins =>
    show 2 :: (opcode o ++ chunks (midList (fun x => x) ins)) =
      2 :: (opcode o ++ chunks (List.map (mid (fun x => x)) ins))
    rw [midList_map]

/-- The id of the flat scheme: the hash of the whole serialization. -/
def fid (hash : List Nat → List Nat) (n : node) : List Nat := hash (encode n)

theorem app_same_length : ∀ (x y r1 r2 : List Nat),
    List.length x = List.length y → x ++ r1 = y ++ r2 → x = y ∧ r1 = r2 := by
  intro x
  induction x with
  | nil =>
    intro y r1 r2 Hl E
    cases y with
    | nil => exact ⟨rfl, E⟩
    | cons b y =>
      have Hl' : (0 : Nat) = List.length y + 1 := Hl
      exact absurd Hl' (by omega)
  | cons a x IH =>
    intro y r1 r2 Hl E
    cases y with
    | nil =>
      have Hl' : List.length x + 1 = 0 := Hl
      exact absurd Hl' (by omega)
    | cons b y =>
      have Hl' : List.length x + 1 = List.length y + 1 := Hl
      have Hl2 : List.length x = List.length y := by omega
      have E' : a :: (x ++ r1) = b :: (y ++ r2) := E
      injection E' with Eab E2
      have H := IH y r1 r2 Hl2 E2
      rw [Eab, H.1]
      exact ⟨rfl, H.2⟩

theorem chunk_app : ∀ (x y r1 r2 : List Nat), chunk x ++ r1 = chunk y ++ r2 → x = y ∧ r1 = r2 := by
  intro x y r1 r2 E
  have E' : List.length x :: (x ++ r1) = List.length y :: (y ++ r2) := E
  injection E' with Hl E2
  exact app_same_length x y r1 r2 Hl E2

theorem flat_chunk_app : ∀ (l1 l2 : List (List Nat)) (r1 r2 : List Nat),
    List.length l1 = List.length l2 →
    flat_map chunk l1 ++ r1 = flat_map chunk l2 ++ r2 → l1 = l2 ∧ r1 = r2 := by
  intro l1
  induction l1 with
  | nil =>
    intro l2 r1 r2 Hl E
    cases l2 with
    | nil => exact ⟨rfl, E⟩
    | cons y l2 =>
      have Hl' : (0 : Nat) = List.length l2 + 1 := Hl
      exact absurd Hl' (by omega)
  | cons x l1 IH =>
    intro l2 r1 r2 Hl E
    cases l2 with
    | nil =>
      have Hl' : List.length l1 + 1 = 0 := Hl
      exact absurd Hl' (by omega)
    | cons y l2 =>
      have Hl' : List.length l1 + 1 = List.length l2 + 1 := Hl
      have Hl2 : List.length l1 = List.length l2 := by omega
      have E' : chunk x ++ (flat_map chunk l1 ++ r1) = chunk y ++ (flat_map chunk l2 ++ r2) := by
        rw [← List.append_assoc, ← List.append_assoc]
        exact E
      have H1 := chunk_app x y _ _ E'
      have H2 := IH l2 r1 r2 Hl2 H1.2
      rw [H1.1, H2.1]
      exact ⟨rfl, H2.2⟩

theorem chunks_app : ∀ (l1 l2 : List (List Nat)) (r1 r2 : List Nat),
    chunks l1 ++ r1 = chunks l2 ++ r2 → l1 = l2 ∧ r1 = r2 := by
  intro l1 l2 r1 r2 E
  have E' : List.length l1 :: (flat_map chunk l1 ++ r1) =
      List.length l2 :: (flat_map chunk l2 ++ r2) := E
  injection E' with Hl E2
  exact flat_chunk_app l1 l2 r1 r2 Hl E2

theorem chunks_inj : ∀ (l1 l2 : List (List Nat)), chunks l1 = chunks l2 → l1 = l2 := by
  intro l1 l2 E
  have E' : chunks l1 ++ [] = chunks l2 ++ [] := by
    rw [List.append_nil, List.append_nil]
    exact E
  exact (chunks_app l1 l2 [] [] E').1

theorem opcode_app : ∀ (o1 o2 : op) (r1 r2 : List Nat),
    opcode o1 ++ r1 = opcode o2 ++ r2 → o1 = o2 ∧ r1 = r2 := by
  intro o1 o2 r1 r2 E
  have Hh0 := congrArg List.head? E
  cases o1 with
  | OCompile fl1 =>
    cases o2 with
    | OCompile fl2 =>
      have E' : 0 :: (List.length fl1 :: (fl1 ++ r1)) = 0 :: (List.length fl2 :: (fl2 ++ r2)) := E
      injection E' with E1 E2
      injection E2 with Hl E3
      have H := app_same_length fl1 fl2 r1 r2 Hl E3
      rw [H.1]
      exact ⟨rfl, H.2⟩
    | OArchive =>
      have Hh : (some 0 : Option Nat) = some 1 := Hh0
      exact absurd Hh (by decide)
    | OLink k2 fl2 =>
      have Hh : (some 0 : Option Nat) = some 2 := Hh0
      exact absurd Hh (by decide)
    | OGen a2 =>
      have Hh : (some 0 : Option Nat) = some 3 := Hh0
      exact absurd Hh (by decide)
  | OArchive =>
    cases o2 with
    | OCompile fl2 =>
      have Hh : (some 1 : Option Nat) = some 0 := Hh0
      exact absurd Hh (by decide)
    | OArchive =>
      have E' : 1 :: r1 = 1 :: r2 := E
      injection E' with E1 E2
      exact ⟨rfl, E2⟩
    | OLink k2 fl2 =>
      have Hh : (some 1 : Option Nat) = some 2 := Hh0
      exact absurd Hh (by decide)
    | OGen a2 =>
      have Hh : (some 1 : Option Nat) = some 3 := Hh0
      exact absurd Hh (by decide)
  | OLink k1 fl1 =>
    cases o2 with
    | OCompile fl2 =>
      have Hh : (some 2 : Option Nat) = some 0 := Hh0
      exact absurd Hh (by decide)
    | OArchive =>
      have Hh : (some 2 : Option Nat) = some 1 := Hh0
      exact absurd Hh (by decide)
    | OLink k2 fl2 =>
      have E' : 2 :: lcode k1 :: (List.length fl1 :: (fl1 ++ r1)) =
          2 :: lcode k2 :: (List.length fl2 :: (fl2 ++ r2)) := E
      injection E' with E1 E2
      injection E2 with Hk E3
      injection E3 with Hl E4
      have H := app_same_length fl1 fl2 r1 r2 Hl E4
      have Hkk : k1 = k2 := by
        cases k1 <;> cases k2 <;> first | rfl | exact absurd Hk (by decide)
      rw [Hkk, H.1]
      exact ⟨rfl, H.2⟩
    | OGen a2 =>
      have Hh : (some 2 : Option Nat) = some 3 := Hh0
      exact absurd Hh (by decide)
  | OGen a1 =>
    cases o2 with
    | OCompile fl2 =>
      have Hh : (some 3 : Option Nat) = some 0 := Hh0
      exact absurd Hh (by decide)
    | OArchive =>
      have Hh : (some 3 : Option Nat) = some 1 := Hh0
      exact absurd Hh (by decide)
    | OLink k2 fl2 =>
      have Hh : (some 3 : Option Nat) = some 2 := Hh0
      exact absurd Hh (by decide)
    | OGen a2 =>
      have E' : 3 :: (List.length a1 :: (a1 ++ r1)) = 3 :: (List.length a2 :: (a2 ++ r2)) := E
      injection E' with E1 E2
      injection E2 with Hl E3
      have H := app_same_length a1 a2 r1 r2 Hl E3
      rw [H.1]
      exact ⟨rfl, H.2⟩

def shape (n : node) : node :=
  match n with
  | node.Op o _ => node.Op o []
  | _ => n

def kids (n : node) : List node :=
  match n with
  | node.Op _ ins => ins
  | _ => []

theorem node_eq_shape : ∀ (n1 n2 : node), shape n1 = shape n2 → kids n1 = kids n2 → n1 = n2 := by
  intro n1 n2 Hs Hk
  cases n1 with
  | Leaf k1 p1 h1 =>
    cases n2 with
    | Leaf k2 p2 h2 => exact Hs
    | LitN c2 => exact Hs
    | Op o2 ins2 =>
      have Hs' : node.Leaf k1 p1 h1 = node.Op o2 [] := Hs
      cases Hs'
  | LitN c1 =>
    cases n2 with
    | Leaf k2 p2 h2 => exact Hs
    | LitN c2 => exact Hs
    | Op o2 ins2 =>
      have Hs' : node.LitN c1 = node.Op o2 [] := Hs
      cases Hs'
  | Op o1 ins1 =>
    cases n2 with
    | Leaf k2 p2 h2 =>
      have Hs' : node.Op o1 [] = node.Leaf k2 p2 h2 := Hs
      cases Hs'
    | LitN c2 =>
      have Hs' : node.Op o1 [] = node.LitN c2 := Hs
      cases Hs'
    | Op o2 ins2 =>
      have Hs' : node.Op o1 [] = node.Op o2 [] := Hs
      injection Hs' with Ho Hnil
      have Hk' : ins1 = ins2 := Hk
      rw [Ho, Hk']

/-- One level of the code is injective. -/
theorem code_inj : ∀ (hash : List Nat → List Nat) (n1 n2 : node), code hash n1 = code hash n2 →
    shape n1 = shape n2 ∧ List.map (mid hash) (kids n1) = List.map (mid hash) (kids n2) := by
  intro hash n1 n2 E
  have Hh0 := congrArg List.head? E
  cases n1 with
  | Leaf k1 p1 h1 =>
    cases n2 with
    | Leaf k2 p2 h2 =>
      have E' : 0 :: kcode k1 :: p1.1 :: p1.2 :: List.length h1 :: h1 =
          0 :: kcode k2 :: p2.1 :: p2.2 :: List.length h2 :: h2 := E
      injection E' with E0 E1
      injection E1 with Hk E2
      injection E2 with Ha E3
      injection E3 with Hb E4
      injection E4 with Hl E5
      have Hkk : k1 = k2 := by
        cases k1 <;> cases k2 <;> first | rfl | exact absurd Hk (by decide)
      have Hp : p1 = p2 := by
        cases p1 with
        | mk a1 b1 =>
          cases p2 with
          | mk a2 b2 =>
            have Ha' : a1 = a2 := Ha
            have Hb' : b1 = b2 := Hb
            rw [Ha', Hb']
      rw [Hkk, Hp, E5]
      exact ⟨rfl, rfl⟩
    | LitN c2 =>
      have Hh : (some 0 : Option Nat) = some 1 := Hh0
      exact absurd Hh (by decide)
    | Op o2 ins2 =>
      have Hh : (some 0 : Option Nat) = some 2 := Hh0
      exact absurd Hh (by decide)
  | LitN c1 =>
    cases n2 with
    | Leaf k2 p2 h2 =>
      have Hh : (some 1 : Option Nat) = some 0 := Hh0
      exact absurd Hh (by decide)
    | LitN c2 =>
      have E' : 1 :: List.length c1 :: c1 = 1 :: List.length c2 :: c2 := E
      injection E' with E0 E1
      injection E1 with Hl E2
      rw [E2]
      exact ⟨rfl, rfl⟩
    | Op o2 ins2 =>
      have Hh : (some 1 : Option Nat) = some 2 := Hh0
      exact absurd Hh (by decide)
  | Op o1 ins1 =>
    cases n2 with
    | Leaf k2 p2 h2 =>
      have Hh : (some 2 : Option Nat) = some 0 := Hh0
      exact absurd Hh (by decide)
    | LitN c2 =>
      have Hh : (some 2 : Option Nat) = some 1 := Hh0
      exact absurd Hh (by decide)
    | Op o2 ins2 =>
      have E' : 2 :: (opcode o1 ++ chunks (List.map (mid hash) ins1)) =
          2 :: (opcode o2 ++ chunks (List.map (mid hash) ins2)) := E
      injection E' with E0 E2
      have H := opcode_app o1 o2 _ _ E2
      refine ⟨?_, chunks_inj _ _ H.2⟩
      show node.Op o1 [] = node.Op o2 []
      rw [H.1]

theorem map_inj_F : ∀ {A B : Type} (f : A → B) (l1 l2 : List A),
    Forall (fun x => ∀ y, f x = f y → x = y) l1 → List.map f l1 = List.map f l2 → l1 = l2 := by
  intro A B f l1 l2 H
  revert l2
  induction H with
  | nil =>
    intro l2 E
    cases l2 with
    | nil => rfl
    | cons y l2 =>
      have E' : ([] : List B) = f y :: List.map f l2 := E
      cases E'
  | cons x l1 Hx _ IH =>
    intro l2 E
    cases l2 with
    | nil =>
      have E' : f x :: List.map f l1 = ([] : List B) := E
      cases E'
    | cons y l2 =>
      have E' : f x :: List.map f l1 = f y :: List.map f l2 := E
      injection E' with E1 E2
      rw [Hx y E1, IH l2 E2]

theorem encode_injective : ∀ (n1 n2 : node), encode n1 = encode n2 → n1 = n2 := by
  intro n1
  refine node_ind2 (fun n1 => ∀ n2, encode n1 = encode n2 → n1 = n2) ?_ ?_ ?_ n1
  · intro k p h n2 E
    have H := code_inj (fun x => x) (node.Leaf k p h) n2 E
    apply node_eq_shape (node.Leaf k p h) n2 H.1
    have Hk := H.2
    cases Ek : kids n2 with
    | nil => rfl
    | cons y l =>
      rw [Ek] at Hk
      have Hk' : ([] : List (List Nat)) = mid (fun x => x) y :: List.map (mid (fun x => x)) l := Hk
      cases Hk'
  · intro c n2 E
    have H := code_inj (fun x => x) (node.LitN c) n2 E
    apply node_eq_shape (node.LitN c) n2 H.1
    have Hk := H.2
    cases Ek : kids n2 with
    | nil => rfl
    | cons y l =>
      rw [Ek] at Hk
      have Hk' : ([] : List (List Nat)) = mid (fun x => x) y :: List.map (mid (fun x => x)) l := Hk
      cases Hk'
  · intro o ins IH n2 E
    have H := code_inj (fun x => x) (node.Op o ins) n2 E
    apply node_eq_shape (node.Op o ins) n2 H.1
    have Hk : List.map (mid (fun x => x)) ins = List.map (mid (fun x => x)) (kids n2) := H.2
    have e : ∀ (l : List node), List.map (mid (fun x => x)) l = List.map encode l := by
      intro l
      induction l with
      | nil => rfl
      | cons y l IHl =>
        show mid (fun x => x) y :: List.map (mid (fun x => x)) l = encode y :: List.map encode l
        rw [mid_identity y, IHl]
    rw [e, e] at Hk
    exact map_inj_F encode ins (kids n2) IH Hk

def node_eq_dec (n1 n2 : node) : Decidable (n1 = n2) :=
  match decEq (encode n1) (encode n2) with
  | isTrue E => isTrue (encode_injective n1 n2 E)
  | isFalse E => isFalse (fun H => E (congrArg encode H))

theorem map_neq_pair : ∀ {B : Type} (f : node → B) (l1 l2 : List node),
    List.map f l1 = List.map f l2 → l1 ≠ l2 → ∃ x y, In x l1 ∧ x ≠ y ∧ f x = f y := by
  intro B f l1
  induction l1 with
  | nil =>
    intro l2 E Hne
    cases l2 with
    | nil => exact False.elim (Hne rfl)
    | cons y l2 =>
      have E' : ([] : List B) = f y :: List.map f l2 := E
      cases E'
  | cons x l1 IH =>
    intro l2 E Hne
    cases l2 with
    | nil =>
      have E' : f x :: List.map f l1 = ([] : List B) := E
      cases E'
    | cons y l2 =>
      have E' : f x :: List.map f l1 = f y :: List.map f l2 := E
      injection E' with E1 E2
      cases node_eq_dec x y with
      | isTrue Exy =>
        subst Exy
        have Hne' : l1 ≠ l2 := fun Hl => Hne (by rw [Hl])
        cases IH l2 E2 Hne' with
        | intro x' Hx' =>
          cases Hx' with
          | intro y' Hy' => exact ⟨x', y', Or.inr Hy'.1, Hy'.2.1, Hy'.2.2⟩
      | isFalse Nxy => exact ⟨x, y, Or.inl rfl, Nxy, E1⟩

theorem code_dec_mid : ∀ (hash : List Nat → List Nat) (n1 n2 : node), mid hash n1 = mid hash n2 →
    code hash n1 = code hash n2 ∨
    (code hash n1 ≠ code hash n2 ∧ hash (code hash n1) = hash (code hash n2)) := by
  intro hash n1 n2 E
  rw [mid_code, mid_code] at E
  cases decEq (code hash n1) (code hash n2) with
  | isTrue Ec => exact Or.inl Ec
  | isFalse Nc => exact Or.inr ⟨Nc, E⟩

/-- T4, Merkle ids: equal ids of different nodes give two different codes with the same hash. -/
theorem id_collision : ∀ (hash : List Nat → List Nat) (n1 n2 : node),
    mid hash n1 = mid hash n2 → n1 ≠ n2 →
    ∃ m1 m2, code hash m1 ≠ code hash m2 ∧ hash (code hash m1) = hash (code hash m2) := by
  intro hash n1
  refine node_ind2 (fun n1 => ∀ n2, mid hash n1 = mid hash n2 → n1 ≠ n2 →
    ∃ m1 m2, code hash m1 ≠ code hash m2 ∧ hash (code hash m1) = hash (code hash m2))
    ?_ ?_ ?_ n1
  · intro k p h n2 E Hne
    cases code_dec_mid hash (node.Leaf k p h) n2 E with
    | inr H => exact ⟨node.Leaf k p h, n2, H.1, H.2⟩
    | inl Ec =>
      have H := code_inj hash (node.Leaf k p h) n2 Ec
      apply False.elim
      apply Hne
      apply node_eq_shape (node.Leaf k p h) n2 H.1
      have Hk := H.2
      cases Ek : kids n2 with
      | nil => rfl
      | cons y l =>
        rw [Ek] at Hk
        have Hk' : ([] : List (List Nat)) = mid hash y :: List.map (mid hash) l := Hk
        cases Hk'
  · intro c n2 E Hne
    cases code_dec_mid hash (node.LitN c) n2 E with
    | inr H => exact ⟨node.LitN c, n2, H.1, H.2⟩
    | inl Ec =>
      have H := code_inj hash (node.LitN c) n2 Ec
      apply False.elim
      apply Hne
      apply node_eq_shape (node.LitN c) n2 H.1
      have Hk := H.2
      cases Ek : kids n2 with
      | nil => rfl
      | cons y l =>
        rw [Ek] at Hk
        have Hk' : ([] : List (List Nat)) = mid hash y :: List.map (mid hash) l := Hk
        cases Hk'
  · intro o ins IH n2 E Hne
    cases code_dec_mid hash (node.Op o ins) n2 E with
    | inr H => exact ⟨node.Op o ins, n2, H.1, H.2⟩
    | inl Ec =>
      have H := code_inj hash (node.Op o ins) n2 Ec
      have Hk : List.map (mid hash) ins = List.map (mid hash) (kids n2) := H.2
      have Hki : ins ≠ kids n2 := fun Hki => Hne (node_eq_shape (node.Op o ins) n2 H.1 Hki)
      cases map_neq_pair (mid hash) ins (kids n2) Hk Hki with
      | intro x Hx =>
        cases Hx with
        | intro y Hy => exact (Forall_forall _ ins).1 IH x Hy.1 y Hy.2.2 Hy.2.1

theorem id_eq_cases : ∀ (hash : List Nat → List Nat) (n1 n2 : node),
    mid hash n1 = mid hash n2 → n1 = n2 ∨ ∃ x y, x ≠ y ∧ hash x = hash y := by
  intro hash n1 n2 E
  cases node_eq_dec n1 n2 with
  | isTrue Heq => exact Or.inl Heq
  | isFalse Hne =>
    refine Or.inr ?_
    cases id_collision hash n1 n2 E Hne with
    | intro m1 Hm =>
      cases Hm with
      | intro m2 H => exact ⟨code hash m1, code hash m2, H.1, H.2⟩

/-- T4, flat ids: the collision is exactly encode n1, encode n2. -/
theorem flat_id_collision : ∀ (hash : List Nat → List Nat) (n1 n2 : node),
    fid hash n1 = fid hash n2 → n1 ≠ n2 →
    encode n1 ≠ encode n2 ∧ hash (encode n1) = hash (encode n2) := by
  intro hash n1 n2 E Hne
  exact ⟨fun Ee => Hne (encode_injective n1 n2 Ee), E⟩

theorem encode_leaf_content : ∀ (hash : List Nat → List Nat) (k : rkind) (p : path)
    (c1 c2 : content),
    hash c1 ≠ hash c2 →
    encode (node.Leaf k p (hash c1)) ≠ encode (node.Leaf k p (hash c2)) := by
  intro hash k p c1 c2 Hh E
  have E2 := encode_injective _ _ E
  injection E2 with Ek Ep Eh
  exact Hh Eh

theorem leaf_id_content : ∀ (hash : List Nat → List Nat) (k : rkind) (p : path) (c1 c2 : content),
    c1 ≠ c2 → mid hash (node.Leaf k p (hash c1)) = mid hash (node.Leaf k p (hash c2)) →
    ∃ x y, x ≠ y ∧ hash x = hash y := by
  intro hash k p c1 c2 Hc E
  cases decEq (hash c1) (hash c2) with
  | isTrue Eh => exact ⟨c1, c2, Hc, Eh⟩
  | isFalse Nh =>
    cases id_eq_cases hash _ _ E with
    | inl Ee =>
      injection Ee with Ek Ep Eh
      exact absurd Eh Nh
    | inr Hcol => exact Hcol

/-- Ids depend on the order of inputs. -/
theorem encode_order : ∀ (o : op) (a b : node),
    a ≠ b → encode (node.Op o [a, b]) ≠ encode (node.Op o [b, a]) := by
  intro o a b Hab E
  have E2 := encode_injective _ _ E
  injection E2 with Eo Eins
  injection Eins with Eab Erest
  exact Hab Eab

theorem wf_sub : ∀ (hash : List Nat → List Nat) (fs : FS) (o : op) (ins : List node) (m : node),
    WF hash fs (node.Op o ins) → In m ins → WF hash fs m := by
  intro hash fs o ins m Hwf Hm p h Hin
  apply Hwf
  show In (p, h) (lvsList ins)
  rw [lvsList_flat_map]
  exact (in_flat_map lvs ins (p, h)).2 ⟨m, Hm, Hin⟩

/-- Content addressing is sound up to collisions. -/
theorem id_content : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs1 fs2 : FS) (n1 n2 : node),
    WF hash fs1 n1 → WF hash fs2 n2 → mid hash n1 = mid hash n2 →
    realize T fs1 n1 = realize T fs2 n2 ∨ ∃ x y, x ≠ y ∧ hash x = hash y := by
  intro T hash fs1 fs2 n1
  refine node_ind2 (fun n1 => ∀ n2, WF hash fs1 n1 → WF hash fs2 n2 → mid hash n1 = mid hash n2 →
    realize T fs1 n1 = realize T fs2 n2 ∨ ∃ x y, x ≠ y ∧ hash x = hash y) ?_ ?_ ?_ n1
  · intro k p h n2 W1 W2 E
    cases code_dec_mid hash (node.Leaf k p h) n2 E with
    | inr H => exact Or.inr ⟨code hash (node.Leaf k p h), code hash n2, H.1, H.2⟩
    | inl Ec =>
      have Hs := (code_inj hash (node.Leaf k p h) n2 Ec).1
      cases n2 with
      | LitN c2 =>
        have Hs' : node.Leaf k p h = node.LitN c2 := Hs
        cases Hs'
      | Op o2 ins2 =>
        have Hs' : node.Leaf k p h = node.Op o2 [] := Hs
        cases Hs'
      | Leaf k2 p2 h2 =>
        have Hs' : node.Leaf k p h = node.Leaf k2 p2 h2 := Hs
        injection Hs' with Ek Ep Eh
        subst Ek
        subst Ep
        subst Eh
        cases W1 p h (Or.inl rfl) with
        | intro c1 Hc1 =>
          cases W2 p h (Or.inl rfl) with
          | intro c2 Hc2 =>
            cases decEq c1 c2 with
            | isTrue Ecc =>
              refine Or.inl ?_
              show Option.getD (fs1 p) [] = Option.getD (fs2 p) []
              rw [Hc1.1, Hc2.1, Ecc]
            | isFalse Nc =>
              refine Or.inr ⟨c1, c2, Nc, ?_⟩
              rw [← Hc1.2, ← Hc2.2]
  · intro c n2 W1 W2 E
    cases code_dec_mid hash (node.LitN c) n2 E with
    | inr H => exact Or.inr ⟨code hash (node.LitN c), code hash n2, H.1, H.2⟩
    | inl Ec =>
      have Hs := (code_inj hash (node.LitN c) n2 Ec).1
      cases n2 with
      | Leaf k2 p2 h2 =>
        have Hs' : node.LitN c = node.Leaf k2 p2 h2 := Hs
        cases Hs'
      | Op o2 ins2 =>
        have Hs' : node.LitN c = node.Op o2 [] := Hs
        cases Hs'
      | LitN c2 =>
        have Hs' : node.LitN c = node.LitN c2 := Hs
        injection Hs' with Ec2
        subst Ec2
        exact Or.inl rfl
  · intro o ins IH n2 W1 W2 E
    cases code_dec_mid hash (node.Op o ins) n2 E with
    | inr H => exact Or.inr ⟨code hash (node.Op o ins), code hash n2, H.1, H.2⟩
    | inl Ec =>
      have H := code_inj hash (node.Op o ins) n2 Ec
      cases n2 with
      | Leaf k2 p2 h2 =>
        have Hs' : node.Op o [] = node.Leaf k2 p2 h2 := H.1
        cases Hs'
      | LitN c2 =>
        have Hs' : node.Op o [] = node.LitN c2 := H.1
        cases Hs'
      | Op o2 ins2 =>
        have Hs' : node.Op o [] = node.Op o2 [] := H.1
        injection Hs' with Eo Enil
        subst Eo
        have L : ∀ (ins2 : List node), List.map (mid hash) ins = List.map (mid hash) ins2 →
            (∀ m, In m ins → WF hash fs1 m) → (∀ m, In m ins2 → WF hash fs2 m) →
            List.map (realize T fs1) ins = List.map (realize T fs2) ins2 ∨
              ∃ x y, x ≠ y ∧ hash x = hash y := by
          clear W1 E Ec H
          induction IH with
          | nil =>
            intro ins2 Hk _ _
            cases ins2 with
            | nil => exact Or.inl rfl
            | cons y ins2 =>
              have Hk' : ([] : List (List Nat)) = mid hash y :: List.map (mid hash) ins2 := Hk
              cases Hk'
          | cons x ins Hx _ IHins =>
            intro ins2 Hk W1' W2'
            cases ins2 with
            | nil =>
              have Hk' : mid hash x :: List.map (mid hash) ins = ([] : List (List Nat)) := Hk
              cases Hk'
            | cons y ins2 =>
              have Hk' : mid hash x :: List.map (mid hash) ins =
                  mid hash y :: List.map (mid hash) ins2 := Hk
              injection Hk' with Hk1 Hk2
              cases Hx y (W1' x (Or.inl rfl)) (W2' y (Or.inl rfl)) Hk1 with
              | inr Col => exact Or.inr Col
              | inl Ex =>
                cases IHins ins2 Hk2 (fun m Hm => W1' m (Or.inr Hm))
                    (fun m Hm => W2' m (Or.inr Hm)) with
                | inr Col => exact Or.inr Col
                | inl Es =>
                  refine Or.inl ?_
                  show realize T fs1 x :: List.map (realize T fs1) ins =
                    realize T fs2 y :: List.map (realize T fs2) ins2
                  rw [Ex, Es]
        have W1' : ∀ m, In m ins → WF hash fs1 m := fun m Hm => wf_sub hash fs1 o ins m W1 Hm
        have W2' : ∀ m, In m ins2 → WF hash fs2 m := fun m Hm => wf_sub hash fs2 o ins2 m W2 Hm
        cases L ins2 H.2 W1' W2' with
        | inr Col => exact Or.inr Col
        | inl Lm =>
          refine Or.inl ?_
          show apply_op T o (realizeList T fs1 ins) = apply_op T o (realizeList T fs2 ins2)
          rw [realizeList_map, realizeList_map, Lm]

/-- For nodes that confess produced (under two file systems, for two builds). -/
theorem confess_id_content : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs1 fs2 : FS)
    (b1 b2 : build) (G1 G2 : List (Nat × node)) (o1 o2 : Nat) (n1 n2 : node),
    outs (confess T hash fs1 b1) = some G1 → In (o1, n1) G1 →
    outs (confess T hash fs2 b2) = some G2 → In (o2, n2) G2 →
    mid hash n1 = mid hash n2 →
    realize T fs1 n1 = realize T fs2 n2 ∨ ∃ x y, x ≠ y ∧ hash x = hash y := by
  intro T hash fs1 fs2 b1 b2 G1 G2 o1 o2 n1 n2 E1 H1 E2 H2 E
  exact id_content T hash fs1 fs2 n1 n2 (confess_wf_outs T hash fs1 b1 G1 o1 n1 E1 H1)
    (confess_wf_outs T hash fs2 b2 G2 o2 n2 E2 H2) E

/-! ## The hypotheses are satisfiable, and the statements are not vacuous -/

/-- A toolchain that serializes its arguments. -/
def exT : Toolchain :=
  Toolchain.mkToolchain
    (fun fl s hs => chunks (fl :: s :: hs))
    (fun ms => chunks ms)
    (fun k fl xs => chunks ([lcode k] :: fl :: xs))
    (fun a p xs => chunks (a :: p :: xs))
    (fun _ c => c)

theorem exT_posinj : PosInjective exT := by
  unfold PosInjective
  refine ⟨?_, ?_, ?_, ?_, ?_, ?_⟩
  · intro fl s s' hs E
    have E' : chunks (fl :: s :: hs) = chunks (fl :: s' :: hs) := E
    have E2 := chunks_inj _ _ E'
    injection E2 with E3 E4
    injection E4 with E5 E6
    exact E5
  · intro fl s hs i x y Hi E
    have E' : chunks (fl :: s :: replace i x hs) = chunks (fl :: s :: replace i y hs) := E
    have E2 := chunks_inj _ _ E'
    injection E2 with E3 E4
    injection E4 with E5 E6
    exact replace_inj hs i x y Hi E6
  · intro ms i x y Hi E
    have E' : chunks (replace i x ms) = chunks (replace i y ms) := E
    exact replace_inj ms i x y Hi (chunks_inj _ _ E')
  · intro k fl xs i x y Hi E
    have E' : chunks ([lcode k] :: fl :: replace i x xs) =
        chunks ([lcode k] :: fl :: replace i y xs) := E
    have E2 := chunks_inj _ _ E'
    injection E2 with E3 E4
    injection E4 with E5 E6
    exact replace_inj xs i x y Hi E6
  · intro a p p' xs E
    have E' : chunks (a :: p :: xs) = chunks (a :: p' :: xs) := E
    have E2 := chunks_inj _ _ E'
    injection E2 with E3 E4
    injection E4 with E5 E6
    exact E5
  · intro a p xs i x y Hi E
    have E' : chunks (a :: p :: replace i x xs) = chunks (a :: p :: replace i y xs) := E
    have E2 := chunks_inj _ _ E'
    injection E2 with E3 E4
    injection E4 with E5 E6
    exact replace_inj xs i x y Hi E6

theorem exT_sensitive : Sensitive exT := posinj_sensitive exT exT_posinj

theorem exT_observe_injective : ∀ (o : okind) (c1 c2 : content),
    observe exT o c1 = observe exT o c2 → c1 = c2 := by
  intro o c1 c2 E
  exact E

/-- A linker that only uses the first member of each archive it links. -/
def head_chunk (c : content) : content :=
  match c with
  | _ :: n :: rest => List.take n rest
  | _ => []

def exU : Toolchain :=
  Toolchain.mkToolchain
    (fun fl s hs => chunks (fl :: s :: hs))
    (fun ms => chunks ms)
    (fun _ _ xs => chunks (List.map head_chunk xs))
    (fun a p xs => chunks (a :: p :: xs))
    (fun _ c => c)

theorem single_succ_neq : ∀ (l : List Nat), [Nat.succ (hd 0 l)] ≠ l := by
  intro l E
  cases l with
  | nil =>
    have E' : [Nat.succ (hd 0 [])] = ([] : List Nat) := E
    cases E'
  | cons a l =>
    have E' : [Nat.succ a] = a :: l := E
    injection E' with E1 E2
    exact Nat.succ_ne_self a E1

theorem exU_sensitive : Sensitive exU := by
  have HT := exT_sensitive
  unfold Sensitive at HT
  unfold Sensitive
  refine ⟨HT.1, HT.2.1, HT.2.2.1, ?_, HT.2.2.2.2.1, HT.2.2.2.2.2⟩
  intro k fl xs i Hlt
  refine ⟨[1, 1, Nat.succ (hd 0 (head_chunk (nth i xs [])))], ?_⟩
  intro E
  have E' : chunks (List.map head_chunk
      (replace i [1, 1, Nat.succ (hd 0 (head_chunk (nth i xs [])))] xs)) =
      chunks (List.map head_chunk xs) := E
  have E1 := chunks_inj _ _ E'
  have E2 : List.map head_chunk (replace i [1, 1, Nat.succ (hd 0 (head_chunk (nth i xs [])))] xs) =
      List.map head_chunk (replace i (nth i xs []) xs) := by
    rw [nth_replace_same xs i [] Hlt]
    exact E1
  rw [map_replace, map_replace] at E2
  have Hlt' : i < List.length (List.map head_chunk xs) := by
    rw [List.length_map]
    exact Hlt
  have E3 := replace_inj _ i _ _ Hlt' E2
  have E4 : [Nat.succ (hd 0 (head_chunk (nth i xs [])))] = head_chunk (nth i xs []) := E3
  exact single_succ_neq _ E4

theorem exU_not_posinj : ¬ PosInjective exU := by
  intro HP
  unfold PosInjective at HP
  have Hl := HP.2.2.2.1
  have E : ld exU lkind.LExe [] (replace 0 [1, 0, 5] [[]]) =
      ld exU lkind.LExe [] (replace 0 [1, 0, 6] [[]]) := rfl
  have H := Hl lkind.LExe [] [[]] 0 _ _ (Nat.zero_lt_succ 0) E
  exact absurd H (by decide)

local notation "used_c" => ((1, 30) : path)
local notation "unused_c" => ((1, 31) : path)

def fsU : FS :=
  fun p => cond (path_eqb p used_c) (some [5]) (cond (path_eqb p unused_c) (some [6]) none)

/-- used.c and unused.c compiled, archived as [used.o; unused.o], linked into an executable. -/
def unused_build : build :=
  build.Read rkind.RSource used_c
    (build.Compile [] 0 [] []
      (build.Read rkind.RSource unused_c
        (build.Compile [] 0 [] []
          (build.Archive [2, 0]
            (build.Link lkind.LExe [] [0] (build.Done [(0, 0)])))
          (build.Done []))
        (build.Done []))
      (build.Done []))
    (build.Done [])

/-- Why soundness is stated for direct edges. -/
theorem unused_member_example : ∀ (hash : List Nat → List Nat),
    Sensitive exU ∧
    (∃ G n, outs (confess exU hash fsU unused_build) = some G ∧
                 lookup Nat.beq 0 G = some n ∧ In unused_c (leaves n)) ∧
    (∃ c', realize exU (upd fsU unused_c (some c'))
                  (node.Op (op.OCompile []) [node.Leaf rkind.RSource unused_c (hash [6])]) ≠
                realize exU fsU (node.Op (op.OCompile []) [node.Leaf rkind.RSource unused_c (hash [6])])) ∧
    ¬ depends exU fsU unused_build 0 unused_c := by
  intro hash
  refine ⟨exU_sensitive, ?_, ?_, ?_⟩
  · refine ⟨[(0, node.Op (op.OLink lkind.LExe [])
        [node.Op op.OArchive
          [node.Op (op.OCompile []) [node.Leaf rkind.RSource used_c (hash [5])],
           node.Op (op.OCompile []) [node.Leaf rkind.RSource unused_c (hash [6])]]])],
      node.Op (op.OLink lkind.LExe [])
        [node.Op op.OArchive
          [node.Op (op.OCompile []) [node.Leaf rkind.RSource used_c (hash [5])],
           node.Op (op.OCompile []) [node.Leaf rkind.RSource unused_c (hash [6])]]],
      rfl, rfl, ?_⟩
    show In unused_c [used_c, unused_c]
    exact Or.inr (Or.inl rfl)
  · exact soundness_leaf_edge exU fsU (op.OCompile []) [node.Leaf rkind.RSource unused_c (hash [6])]
      0 rkind.RSource unused_c (hash [6]) (sensitive_op exU (op.OCompile []) exU_sensitive)
      rfl rfl
  · intro Hd
    unfold depends at Hd
    cases Hd with
    | intro v Hv =>
      cases v with
      | some c' =>
        have e1 : output (real exU (upd fsU unused_c (some c')) unused_build) 0 =
            some (chunks [[2, 0, 1, 5]]) := rfl
        have e2 : output (real exU fsU unused_build) 0 = some (chunks [[2, 0, 1, 5]]) := rfl
        exact Hv.2 (Eq.trans e1 e2.symm)
      | none =>
        have Ht : [event.EExists used_c true, event.EExists unused_c false] =
            [event.EExists used_c true, event.EExists unused_c true] := Hv.1
        injection Ht with Ht1 Ht2
        injection Ht2 with Ht3 Ht4
        injection Ht3 with Ht5 Ht6
        cases Ht6

local notation "src_c" => ((1, 40) : path)

def fsS : FS := fun p => cond (path_eqb p src_c) (some [7]) none

def simple_build : build :=
  build.Read rkind.RSource src_c
    (build.Compile [] 0 [] [] (build.Link lkind.LExe [] [0] (build.Done [(0, 0)])) (build.Done []))
    (build.Done [])

def object_build : build :=
  build.Read rkind.RSource src_c (build.Compile [] 0 [] [] (build.Done [(0, 0)]) (build.Done []))
    (build.Done [])

/-- The hypotheses of soundness_path (through soundness_injective) hold of an actual build. -/
theorem soundness_example : depends exT fsS simple_build 0 src_c := by
  exact soundness_injective exT (fun x => x) fsS simple_build
    [(0, node.Op (op.OLink lkind.LExe []) [node.Op (op.OCompile []) [node.Leaf rkind.RSource src_c [7]]])]
    0 (node.Op (op.OLink lkind.LExe []) [node.Op (op.OCompile []) [node.Leaf rkind.RSource src_c [7]]])
    src_c exT_posinj rfl rfl rfl (fun _ _ H => False.elim H)

/-- The hypotheses of soundness_direct hold of an actual build, with a toolchain that is only
sensitive (not injective). -/
theorem soundness_direct_example : depends exU fsS object_build 0 src_c := by
  exact soundness_direct exU (fun x => x) fsS object_build
    [(0, node.Op (op.OCompile []) [node.Leaf rkind.RSource src_c [7]])] 0 (op.OCompile [])
    [node.Leaf rkind.RSource src_c [7]] 0 rkind.RSource src_c [7]
    (sensitive_op exU (op.OCompile []) exU_sensitive) rfl rfl rfl rfl (fun _ _ H => False.elim H)

/-- migration_needs_trace has instances. -/
theorem needs_trace_example : ∃ b,
    trace (real exT (fun p => cond (path_eqb p src_c) (some [8]) none) b) ≠
      trace (real exT fsS b) ∧
    outs (real exT (fun p => cond (path_eqb p src_c) (some [8]) none) b) ≠
      Option.map (msnd (realize exT (fun p => cond (path_eqb p src_c) (some [8]) none)))
        (outs (confess exT (fun x => x) fsS b)) := by
  cases migration_needs_trace exT (fun x => x) okind.OCat fsS
      (fun p => cond (path_eqb p src_c) (some [8]) none) src_c
      (exT_observe_injective okind.OCat) (by decide) with
  | intro b Hb => exact ⟨b, Hb.1, Hb.2.1⟩

/-! ## T6: phases are terms -/

local notation "srcdir" => 1
local notation "sysdir" => 2
local notation "blddir" => 3
local notation "conftest_c" => ((1, 10) : path)
local notation "foo_h" => 11
local notation "config_h" => 12
local notation "main_c" => ((1, 13) : path)

def config_yes : content := [1]
def config_no : content := [0]

def after_configure (hv : Bool) : build :=
  build.Lit (cond hv config_yes config_no)
    (build.Write (blddir, config_h) 0
      (build.Read rkind.RSource main_c
        (build.Compile [] 0 [config_h] [blddir, srcdir]
          (build.Link lkind.LExe [] [0] (build.Done [(0, 0)]))
          (build.Done []))
        (build.Done [])))

def configure_example : build :=
  build.Read rkind.RSource conftest_c
    (build.Compile [] 0 [foo_h] [sysdir]
      (build.Observe okind.OExit 0 (fun v => after_configure (obs_eqb v [0])))
      (after_configure false))
    (after_configure false)

theorem configure_graph : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS)
    (tc fh mc : content),
    fs conftest_c = some tc → fs (sysdir, foo_h) = some fh → fs main_c = some mc →
    observe T okind.OExit (cc T [] tc [fh]) = [0] →
    confess T hash fs configure_example =
      mkRes [event.EExists conftest_c true, event.EExists (sysdir, foo_h) true,
             event.EObs okind.OExit [0], event.EExists main_c true]
            [(okind.OExit, node.Op (op.OCompile []) [node.Leaf rkind.RSource conftest_c (hash tc),
                                       node.Leaf rkind.RHeader (sysdir, foo_h) (hash fh)])]
            (some [(0, node.Op (op.OLink lkind.LExe [])
                         [node.Op (op.OCompile []) [node.Leaf rkind.RSource main_c (hash mc),
                                                    node.LitN config_yes]])]) := by
  intro T hash fs tc fh mc H1 H2 H3 Hobs
  have Hr : realize T fs (node.Op (op.OCompile []) [node.Leaf rkind.RSource conftest_c (hash tc),
      node.Leaf rkind.RHeader (sysdir, foo_h) (hash fh)]) = cc T [] tc [fh] := by
    show cc T [] (Option.getD (fs conftest_c) []) [Option.getD (fs (sysdir, foo_h)) []] =
      cc T [] tc [fh]
    rw [H1, H2] <;> rfl
  have e1 : obs_eqb [0] [0] = true := rfl
  have e2 : path_eqb main_c (blddir, config_h) = false := rfl
  have e3 : path_eqb (blddir, config_h) (blddir, config_h) = true := rfl
  simp only [confess, configure_example, run, probe, lookup, find1, search, nth_error, tokD,
    after_configure, cond_true, cond_false, H1, H2, H3, Hr, Hobs, e1, e2, e3] <;> rfl

/-- The build phase after a configure that observed "foo.h usable" is valid for every file
system whose configure observes the same. -/
theorem configure_phase : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs fs' : FS)
    (tc fh mc tc' fh' mc' : content),
    fs conftest_c = some tc → fs (sysdir, foo_h) = some fh → fs main_c = some mc →
    observe T okind.OExit (cc T [] tc [fh]) = [0] →
    fs' conftest_c = some tc' → fs' (sysdir, foo_h) = some fh' → fs' main_c = some mc' →
    observe T okind.OExit (cc T [] tc' [fh']) = [0] →
    real T fs' configure_example = mapres (realize T fs') (confess T hash fs configure_example) ∧
    outs (real T fs' configure_example) =
      some [(0, ld T lkind.LExe [] [cc T [] mc' [config_yes]])] := by
  intro T hash fs fs' tc fh mc tc' fh' mc' H1 H2 H3 Ho H1' H2' H3' Ho'
  have Ht : trace (real T fs' configure_example) = trace (real T fs configure_example) := by
    rw [factorisation_trace T hash fs' configure_example,
      factorisation_trace T hash fs configure_example,
      configure_graph T hash fs' tc' fh' mc' H1' H2' H3' Ho',
      configure_graph T hash fs tc fh mc H1 H2 H3 Ho] <;> rfl
  have M := migration T hash fs fs' configure_example Ht
  refine ⟨M, ?_⟩
  have Er : realize T fs' (node.Op (op.OLink lkind.LExe [])
      [node.Op (op.OCompile []) [node.Leaf rkind.RSource main_c (hash mc), node.LitN config_yes]]) =
      ld T lkind.LExe [] [cc T [] mc' [config_yes]] := by
    show ld T lkind.LExe [] [cc T [] (Option.getD (fs' main_c) []) [config_yes]] =
      ld T lkind.LExe [] [cc T [] mc' [config_yes]]
    rw [H3'] <;> rfl
  rw [M, configure_graph T hash fs tc fh mc H1 H2 H3 Ho]
  exact congrArg (fun x => some [((0 : Nat), x)]) Er

local notation "gen_c" => ((1, 20) : path)
local notation "spec_txt" => ((1, 21) : path)
local notation "gen_h" => 22
local notation "app_c" => ((1, 23) : path)

/-- Build a generator, run it on a spec to write gen.h, compile app.c against it. -/
def codegen_example : build :=
  build.Read rkind.RSource gen_c
    (build.Compile [] 0 [] []
      (build.Link lkind.LExe [] [0]
        (build.Read rkind.RSource spec_txt
          (build.Gen [] 1 [0]
            (build.Write (blddir, gen_h) 0
              (build.Read rkind.RSource app_c
                (build.Compile [] 0 [gen_h] [blddir, srcdir]
                  (build.Link lkind.LExe [] [0] (build.Done [(0, 0)]))
                  (build.Done []))
                (build.Done []))))
          (build.Done [])))
      (build.Done []))
    (build.Done [])

def codegen_node (hash : List Nat → List Nat) (gc sc mc : content) : node :=
  node.Op (op.OLink lkind.LExe [])
    [node.Op (op.OCompile [])
       [node.Leaf rkind.RSource app_c (hash mc),
        node.Op (op.OGen [])
          [node.Op (op.OLink lkind.LExe []) [node.Op (op.OCompile []) [node.Leaf rkind.RSource gen_c (hash gc)]],
           node.Leaf rkind.RSource spec_txt (hash sc)]]]

theorem codegen_graph : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS)
    (gc sc mc : content),
    fs gen_c = some gc → fs spec_txt = some sc → fs app_c = some mc →
    confess T hash fs codegen_example =
      mkRes [event.EExists gen_c true, event.EExists spec_txt true, event.EExists app_c true] []
            (some [(0, codegen_node hash gc sc mc)]) := by
  intro T hash fs gc sc mc H1 H2 H3
  have e2 : path_eqb app_c (blddir, gen_h) = false := rfl
  have e3 : path_eqb (blddir, gen_h) (blddir, gen_h) = true := rfl
  have n1 : ∀ (a b : node) (l : List node), nth_error (a :: b :: l) 1 = some b :=
    fun _ _ _ => rfl
  simp only [confess, codegen_example, run, probe, lookup, find1, search, nth_error, regs, tokD,
    cond_true, cond_false, H1, H2, H3, e2, e3, n1] <;> rfl

/-- The generated header is a node of the graph, the generator program is its input, and no
observation is needed. -/
theorem codegen_phase : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs fs' : FS)
    (gc sc mc gc' sc' mc' : content),
    fs gen_c = some gc → fs spec_txt = some sc → fs app_c = some mc →
    fs' gen_c = some gc' → fs' spec_txt = some sc' → fs' app_c = some mc' →
    real T fs' codegen_example = mapres (realize T fs') (confess T hash fs codegen_example) ∧
    outs (real T fs' codegen_example) =
      some [(0, ld T lkind.LExe [] [cc T [] mc' [gen T [] (ld T lkind.LExe [] [cc T [] gc' []]) [sc']]])] := by
  intro T hash fs fs' gc sc mc gc' sc' mc' H1 H2 H3 H1' H2' H3'
  have Ht : trace (real T fs' codegen_example) = trace (real T fs codegen_example) := by
    rw [factorisation_trace T hash fs' codegen_example,
      factorisation_trace T hash fs codegen_example,
      codegen_graph T hash fs' gc' sc' mc' H1' H2' H3',
      codegen_graph T hash fs gc sc mc H1 H2 H3] <;> rfl
  have M := migration T hash fs fs' codegen_example Ht
  refine ⟨M, ?_⟩
  have Er : realize T fs' (codegen_node hash gc sc mc) =
      ld T lkind.LExe [] [cc T [] mc' [gen T [] (ld T lkind.LExe [] [cc T [] gc' []]) [sc']]] := by
    show ld T lkind.LExe [] [cc T [] (Option.getD (fs' app_c) [])
        [gen T [] (ld T lkind.LExe [] [cc T [] (Option.getD (fs' gen_c) []) []])
          [Option.getD (fs' spec_txt) []]]] =
      ld T lkind.LExe [] [cc T [] mc' [gen T [] (ld T lkind.LExe [] [cc T [] gc' []]) [sc']]]
    rw [H1', H2', H3'] <;> rfl
  rw [M, codegen_graph T hash fs gc sc mc H1 H2 H3]
  exact congrArg (fun x => some [((0 : Nat), x)]) Er

/-- The kinds of the codegen graph's nodes. -/
theorem codegen_kinds : ∀ (hash : List Nat → List Nat) (gc sc mc : content),
    match codegen_node hash gc sc mc with
    | out@(node.Op _ [node.Op _ [_, genh@(node.Op _ (prog :: _))]]) =>
        kind_of out = kind.KExe ∧ kind_of genh = kind.KGenerated ∧ kind_of prog = kind.KExe
    | _ => False := by
  intro hash gc sc mc
  exact ⟨rfl, rfl, rfl⟩

/-- Include scanning is an observation. -/
def compile_scanned (fl : List Nat) (p : path) (dirs : List Nat) (ok missing : build) : build :=
  build.Read rkind.RSource p
    (build.Observe okind.OScan 0 (fun incs => build.Compile fl 0 incs dirs ok missing))
    missing

theorem compile_scanned_trace : ∀ (T : Toolchain) (hash : List Nat → List Nat) (fs : FS)
    (fl : List Nat) (p : path) (dirs : List Nat) (ok missing : build) (c : content),
    fs p = some c →
    ∃ rest,
      trace (confess T hash fs (compile_scanned fl p dirs ok missing)) =
        event.EExists p true :: event.EObs okind.OScan (observe T okind.OScan c) :: rest := by
  intro T hash fs fl p dirs ok missing c H
  have Er : realize T fs (node.Leaf rkind.RSource p (hash c)) = c := by
    show Option.getD (fs p) [] = c
    rw [H] <;> rfl
  refine ⟨trace (run (tokD T hash fs) fs [node.Leaf rkind.RSource p (hash c)] []
    (build.Compile fl 0 (observe T okind.OScan c) dirs ok missing)), ?_⟩
  simp only [confess, compile_scanned, run, probe, lookup, H, nth_error, tokD, Er, pre]
    <;> rfl

end Confess.Builds
