/-
The parametricity theorems of confess, in core Lean 4 (no Mathlib).

This file is the twin of coq/Parametricity.v: the same definitions and theorems under the same
names, each proof a transliteration of the Coq proof (which coqc and coqchk check in CI). No
`sorry`, no `axiom`; scripts/check-proofs.sh checks both files.

Model.
- Sources are named by numbers; an assignment `rho : Nat → A` gives each its artifact.
- An artifact algebra `Alg A` has the three operations builds perform: compile a source with
  flags, archive members, link inputs into an executable or a shared library.
- A build is polymorphic in the artifact type: `∀ A, Alg A → (Nat → A) → List A` (the list is
  the build's outputs). Parametricity is a hypothesis: the build commutes with every algebra
  homomorphism.
- Terms are the free algebra (the graph as a tree); GraphNode ids are the image of a term under
  the algebra whose carrier is ids, each id the hash of a node's code (kind, flags or source,
  the ids of its inputs). The hash is a parameter; where a theorem needs that different codes
  have different ids, injectivity is a hypothesis of that theorem.
-/

namespace Confess

/-! ## Artifact algebras -/

inductive Kind : Type where
  | Exe : Kind
  | Shared : Kind

abbrev Flags : Type := List Nat

structure Alg (A : Type) where
  compile : Flags → A → A
  archive : List A → A
  link : Kind → Flags → List A → A

/-- A homomorphism of artifact algebras. -/
def Hom {A B : Type} (a : Alg A) (b : Alg B) (h : A → B) : Prop :=
  (∀ f x, h (a.compile f x) = b.compile f (h x)) ∧
  (∀ xs, h (a.archive xs) = b.archive (List.map h xs)) ∧
  (∀ k f xs, h (a.link k f xs) = b.link k f (List.map h xs))

/-- A build system: polymorphic in the artifact type. -/
abbrev Build : Type 1 := ∀ (A : Type), Alg A → (Nat → A) → List A

/-- Parametricity, as a hypothesis: the build commutes with every homomorphism. -/
def Parametric (bs : Build) : Prop :=
  ∀ (A B : Type) (a : Alg A) (b : Alg B) (h : A → B),
    Hom a b h → ∀ rho : Nat → A, bs B b (fun n => h (rho n)) = List.map h (bs A a rho)

/-! ## The free algebra: terms -/

mutual
inductive Term : Type where
  | src : Nat → Term
  | comp : Flags → Term → Term
  | arch : Args → Term
  | lnk : Kind → Flags → Args → Term
inductive Args : Type where
  | anil : Args
  | acons : Term → Args → Args
end

def toArgs : List Term → Args
  | [] => Args.anil
  | t :: l' => Args.acons t (toArgs l')

def free : Alg Term :=
  { compile := Term.comp
    archive := fun ms => Term.arch (toArgs ms)
    link := fun k f ins => Term.lnk k f (toArgs ins) }

mutual
/-- Interpretation of a term in an algebra, sources given by `rho`. -/
def eval {A : Type} (a : Alg A) (rho : Nat → A) : Term → A
  | Term.src n => rho n
  | Term.comp f u => a.compile f (eval a rho u)
  | Term.arch ms => a.archive (evals a rho ms)
  | Term.lnk k f ins => a.link k f (evals a rho ins)
def evals {A : Type} (a : Alg A) (rho : Nat → A) : Args → List A
  | Args.anil => []
  | Args.acons u us => eval a rho u :: evals a rho us
end

/-- The extracted graph: the build run in the free algebra, each source standing for itself. -/
def extract (bs : Build) : List Term := bs Term free Term.src

mutual
/-- Where a source occurs. -/
def occurs (s : Nat) : Term → Prop
  | Term.src n => n = s
  | Term.comp _ u => occurs s u
  | Term.arch ms => occursA s ms
  | Term.lnk _ _ ins => occursA s ins
def occursA (s : Nat) : Args → Prop
  | Args.anil => False
  | Args.acons u us => occurs s u ∨ occursA s us
end

def occursL (s : Nat) : List Term → Prop
  | [] => False
  | t :: l' => occurs s t ∨ occursL s l'

/-! ## Interpretation is the homomorphism out of the free algebra -/

theorem evals_toArgs {A : Type} (a : Alg A) (rho : Nat → A) (l : List Term) :
    evals a rho (toArgs l) = List.map (eval a rho) l := by
  induction l with
  | nil => simp only [toArgs, evals, List.map]
  | cons t l ih => simp only [toArgs, evals, List.map, ih]

theorem eval_is_hom {A : Type} (a : Alg A) (rho : Nat → A) : Hom free a (eval a rho) := by
  unfold Hom
  refine ⟨?_, ?_, ?_⟩
  · intro f x
    simp only [free, eval]
  · intro xs
    simp only [free, eval, evals_toArgs]
  · intro k f xs
    simp only [free, eval, evals_toArgs]

mutual
theorem eval_hom {A B : Type} (a : Alg A) (b : Alg B) (h : A → B) (hh : Hom a b h)
    (rho : Nat → A) : (t : Term) → h (eval a rho t) = eval b (fun n => h (rho n)) t
  | Term.src n => by simp only [eval]
  | Term.comp f u => by
      simp only [eval]
      rw [hh.1 f (eval a rho u), eval_hom a b h hh rho u]
  | Term.arch ms => by
      simp only [eval]
      rw [hh.2.1 (evals a rho ms), evals_hom a b h hh rho ms]
  | Term.lnk k f ins => by
      simp only [eval]
      rw [hh.2.2 k f (evals a rho ins), evals_hom a b h hh rho ins]
theorem evals_hom {A B : Type} (a : Alg A) (b : Alg B) (h : A → B) (hh : Hom a b h)
    (rho : Nat → A) : (ts : Args) → List.map h (evals a rho ts) = evals b (fun n => h (rho n)) ts
  | Args.anil => by simp only [evals, List.map]
  | Args.acons u us => by
      simp only [evals, List.map]
      rw [eval_hom a b h hh rho u, evals_hom a b h hh rho us]
end

mutual
theorem eval_free : (t : Term) → eval free Term.src t = t
  | Term.src n => by simp only [eval]
  | Term.comp f u => by
      simp only [eval]
      exact congrArg (Term.comp f) (eval_free u)
  | Term.arch ms => by
      simp only [eval]
      exact congrArg Term.arch (evals_free ms)
  | Term.lnk k f ins => by
      simp only [eval]
      exact congrArg (Term.lnk k f) (evals_free ins)
theorem evals_free : (ts : Args) → toArgs (evals free Term.src ts) = ts
  | Args.anil => by simp only [evals, toArgs]
  | Args.acons u us => by
      simp only [evals, toArgs]
      rw [eval_free u, evals_free us]
end

mutual
/-- Any homomorphism out of the free algebra that agrees with `rho` on sources is `eval`: the
interpretation is unique, so the term determines every interpretation. -/
theorem hom_unique {A : Type} (a : Alg A) (rho : Nat → A) (h : Term → A)
    (hh : Hom free a h) (hs : ∀ n, h (Term.src n) = rho n) :
    (t : Term) → h t = eval a rho t
  | Term.src n => by
      simp only [eval]
      exact hs n
  | Term.comp f u => by
      simp only [eval]
      exact Eq.trans (hh.1 f u) (congrArg (a.compile f) (hom_unique a rho h hh hs u))
  | Term.arch ms => by
      simp only [eval]
      exact Eq.trans (congrArg (fun x => h (Term.arch x)) (evals_free ms).symm)
        (Eq.trans (hh.2.1 (evals free Term.src ms))
          (congrArg a.archive (homs_unique a rho h hh hs ms)))
  | Term.lnk k f ins => by
      simp only [eval]
      exact Eq.trans (congrArg (fun x => h (Term.lnk k f x)) (evals_free ins).symm)
        (Eq.trans (hh.2.2 k f (evals free Term.src ins))
          (congrArg (a.link k f) (homs_unique a rho h hh hs ins)))
theorem homs_unique {A : Type} (a : Alg A) (rho : Nat → A) (h : Term → A)
    (hh : Hom free a h) (hs : ∀ n, h (Term.src n) = rho n) :
    (ts : Args) → List.map h (evals free Term.src ts) = evals a rho ts
  | Args.anil => by simp only [evals, List.map]
  | Args.acons u us => by
      simp only [evals, List.map]
      rw [eval_free u, hom_unique a rho h hh hs u, homs_unique a rho h hh hs us]
end

/-! ## Theorem 1: factorisation -/

/-- For every algebra and every assignment of sources, the build equals the interpretation of
the extracted terms. -/
theorem factorisation (bs : Build) (hp : Parametric bs) (A : Type) (a : Alg A)
    (rho : Nat → A) : bs A a rho = List.map (eval a rho) (extract bs) := by
  have e := hp Term A free a (eval a rho) (eval_is_hom a rho) Term.src
  have hr : (fun n => eval a rho (Term.src n)) = rho := funext (fun n => by simp only [eval])
  exact Eq.trans (congrArg (bs A a) hr.symm) e

/-! ## Theorem 2: soundness -/

mutual
theorem eval_agree {A : Type} (a : Alg A) (r1 r2 : Nat → A) :
    (t : Term) → (∀ s, occurs s t → r1 s = r2 s) → eval a r1 t = eval a r2 t
  | Term.src n, hag => by
      simp only [eval]
      exact hag n (by simp only [occurs])
  | Term.comp f u, hag => by
      simp only [eval]
      rw [eval_agree a r1 r2 u (fun s hs => hag s (by simp only [occurs]; exact hs))]
  | Term.arch ms, hag => by
      simp only [eval]
      rw [evals_agree a r1 r2 ms (fun s hs => hag s (by simp only [occurs]; exact hs))]
  | Term.lnk k f ins, hag => by
      simp only [eval]
      rw [evals_agree a r1 r2 ins (fun s hs => hag s (by simp only [occurs]; exact hs))]
theorem evals_agree {A : Type} (a : Alg A) (r1 r2 : Nat → A) :
    (ts : Args) → (∀ s, occursA s ts → r1 s = r2 s) → evals a r1 ts = evals a r2 ts
  | Args.anil, _ => by simp only [evals]
  | Args.acons u us, hag => by
      simp only [evals]
      rw [eval_agree a r1 r2 u (fun s hs => hag s (by simp only [occursA]; exact Or.inl hs)),
        evals_agree a r1 r2 us (fun s hs => hag s (by simp only [occursA]; exact Or.inr hs))]
end

theorem map_eval_agree {A : Type} (a : Alg A) (r1 r2 : Nat → A) (l : List Term) :
    (∀ s, occursL s l → r1 s = r2 s) → List.map (eval a r1) l = List.map (eval a r2) l := by
  induction l with
  | nil => intro _; rfl
  | cons t l ih =>
      intro hag
      simp only [List.map]
      rw [eval_agree a r1 r2 t (fun s hs => hag s (by simp only [occursL]; exact Or.inl hs)),
        ih (fun s hs => hag s (by simp only [occursL]; exact Or.inr hs))]

/-- Two assignments that agree on every source of the extracted graph give the same outputs. -/
theorem soundness (bs : Build) (hp : Parametric bs) (A : Type) (a : Alg A) (r1 r2 : Nat → A)
    (hag : ∀ s, occursL s (extract bs) → r1 s = r2 s) : bs A a r1 = bs A a r2 := by
  rw [factorisation bs hp A a r1, factorisation bs hp A a r2]
  exact map_eval_agree a r1 r2 (extract bs) hag

/-! ## Theorem 3: completeness -/

def eqn : Nat → Nat → Bool
  | 0, 0 => true
  | 0, _ + 1 => false
  | _ + 1, 0 => false
  | m + 1, n + 1 => eqn m n

theorem eqn_refl (n : Nat) : eqn n n = true := by
  induction n with
  | zero => rfl
  | succ n ih => exact ih

theorem eqn_true : (m n : Nat) → eqn m n = true → m = n
  | 0, 0, _ => rfl
  | 0, _ + 1, h => by cases h
  | _ + 1, 0, h => by cases h
  | m + 1, n + 1, h => congrArg (· + 1) (eqn_true m n h)

theorem bool_cases (b : Bool) : b = true ∨ b = false := by
  cases b with
  | true => exact Or.inl rfl
  | false => exact Or.inr rfl

theorem orb_true_r' (b : Bool) : (b || true) = true := by
  cases b <;> rfl

theorem orb_false_r' (b : Bool) : (b || false) = (false || b) := by
  cases b <;> rfl

theorem orb_assoc' (a b c : Bool) : (a || (b || c)) = ((a || b) || c) := by
  cases a <;> rfl

theorem orb_elim (b c : Bool) (h : (b || c) = true) (hb : b = false) : c = true := by
  rw [hb] at h
  exact h

theorem eqn_false (m n : Nat) (hne : m ≠ n) : eqn m n = false := by
  cases bool_cases (eqn m n) with
  | inl h => exact absurd (eqn_true m n h) hne
  | inr h => exact h

def anyb : List Bool → Bool
  | [] => false
  | x :: l' => x || anyb l'

/-- The algebra that tracks whether a marked source went in. -/
def occAlg : Alg Bool :=
  { compile := fun _ x => x
    archive := anyb
    link := fun _ _ xs => anyb xs }

mutual
theorem eval_occ_none : (t : Term) → eval occAlg (fun _ => false) t = false
  | Term.src n => by simp only [eval]
  | Term.comp f u => by
      simp only [eval]
      exact eval_occ_none u
  | Term.arch ms => by
      simp only [eval]
      exact evals_occ_none ms
  | Term.lnk k f ins => by
      simp only [eval]
      exact evals_occ_none ins
theorem evals_occ_none : (ts : Args) → anyb (evals occAlg (fun _ => false) ts) = false
  | Args.anil => by simp only [evals]; rfl
  | Args.acons u us => by
      simp only [evals]
      show (eval occAlg (fun _ => false) u || anyb (evals occAlg (fun _ => false) us)) = false
      rw [eval_occ_none u, evals_occ_none us] <;> rfl
end

mutual
theorem eval_occ_mark (s : Nat) : (t : Term) → occurs s t → eval occAlg (fun n => eqn n s) t = true
  | Term.src n, ho => by
      simp only [eval]
      simp only [occurs] at ho
      rw [ho]
      exact eqn_refl s
  | Term.comp f u, ho => by
      simp only [eval]
      exact eval_occ_mark s u (by simp only [occurs] at ho; exact ho)
  | Term.arch ms, ho => by
      simp only [eval]
      exact evals_occ_mark s ms (by simp only [occurs] at ho; exact ho)
  | Term.lnk k f ins, ho => by
      simp only [eval]
      exact evals_occ_mark s ins (by simp only [occurs] at ho; exact ho)
theorem evals_occ_mark (s : Nat) :
    (ts : Args) → occursA s ts → anyb (evals occAlg (fun n => eqn n s) ts) = true
  | Args.anil, ho => by
      simp only [occursA] at ho
  | Args.acons u us, ho => by
      simp only [evals]
      show (eval occAlg (fun n => eqn n s) u || anyb (evals occAlg (fun n => eqn n s) us)) = true
      simp only [occursA] at ho
      cases ho with
      | inl hu =>
          rw [eval_occ_mark s u hu] <;> rfl
      | inr hus =>
          rw [evals_occ_mark s us hus]
          exact orb_true_r' _
end

theorem map_occ_none (l : List Term) :
    anyb (List.map (eval occAlg (fun _ => false)) l) = false := by
  induction l with
  | nil => rfl
  | cons t l ih =>
      show (eval occAlg (fun _ => false) t || anyb (List.map (eval occAlg (fun _ => false)) l))
        = false
      rw [eval_occ_none t]
      exact ih

theorem map_occ_mark (s : Nat) (l : List Term) :
    occursL s l → anyb (List.map (eval occAlg (fun n => eqn n s)) l) = true := by
  induction l with
  | nil => intro ho; exact False.elim ho
  | cons t l ih =>
      intro ho
      show (eval occAlg (fun n => eqn n s) t || anyb (List.map (eval occAlg (fun n => eqn n s)) l))
        = true
      cases ho with
      | inl ht =>
          rw [eval_occ_mark s t ht] <;> rfl
      | inr hl =>
          rw [ih hl]
          exact orb_true_r' _

/-- The concrete witness: marking one source of the extracted graph changes the outputs of the
build in the occurrence algebra. -/
theorem completeness_witness (bs : Build) (hp : Parametric bs) (s : Nat)
    (ho : occursL s (extract bs)) :
    bs Bool occAlg (fun _ => false) ≠ bs Bool occAlg (fun n => eqn n s) := by
  intro heq
  rw [factorisation bs hp Bool occAlg (fun _ => false),
    factorisation bs hp Bool occAlg (fun n => eqn n s)] at heq
  have h0 := map_occ_none (extract bs)
  rw [heq, map_occ_mark s (extract bs) ho] at h0
  cases h0

/-- Every source of the extracted graph matters: there is an algebra and two assignments that
differ only at that source and give different outputs. -/
theorem completeness (bs : Build) (hp : Parametric bs) (s : Nat)
    (ho : occursL s (extract bs)) :
    ∃ (A : Type) (a : Alg A) (r1 r2 : Nat → A),
      (∀ n, n ≠ s → r1 n = r2 n) ∧ bs A a r1 ≠ bs A a r2 :=
  ⟨Bool, occAlg, fun _ => false, fun n => eqn n s,
    fun n hne => (eqn_false n s hne).symm, completeness_witness bs hp s ho⟩

/-! ## Theorem 4: GraphNode ids -/

/-- A node's code: its kind, its flags or source, and the ids of its inputs. -/
inductive Code : Type where
  | CSrc : Nat → Code
  | CComp : Flags → Nat → Code
  | CArch : List Nat → Code
  | CLink : Kind → Flags → List Nat → Code

def Injective {X Y : Type} (f : X → Y) : Prop := ∀ x y, f x = f y → x = y

/-- The GraphNode algebra: the carrier is ids; each operation hashes the node's code. -/
def gnAlg (hash : Code → Nat) : Alg Nat :=
  { compile := fun f i => hash (Code.CComp f i)
    archive := fun ns => hash (Code.CArch ns)
    link := fun k f ns => hash (Code.CLink k f ns) }

def gsrc (hash : Code → Nat) (s : Nat) : Nat := hash (Code.CSrc s)

def gid (hash : Code → Nat) (t : Term) : Nat := eval (gnAlg hash) (gsrc hash) t

def gids (hash : Code → Nat) (ts : Args) : List Nat := evals (gnAlg hash) (gsrc hash) ts

/-- The code of a term's root node. -/
def codeOf (hash : Code → Nat) : Term → Code
  | Term.src n => Code.CSrc n
  | Term.comp f u => Code.CComp f (gid hash u)
  | Term.arch ms => Code.CArch (gids hash ms)
  | Term.lnk k f ins => Code.CLink k f (gids hash ins)

theorem gid_code (hash : Code → Nat) (t : Term) : gid hash t = hash (codeOf hash t) := by
  cases t <;> first
    | rfl
    | simp only [gid, gids, codeOf, eval, gnAlg, gsrc]

/-- GraphNode extraction is the image of the term under a homomorphism. -/
theorem gid_is_hom (hash : Code → Nat) : Hom free (gnAlg hash) (gid hash) :=
  eval_is_hom (gnAlg hash) (gsrc hash)

/-- Running the build on GraphNodes gives the ids of the extracted terms. -/
theorem gn_extraction (bs : Build) (hp : Parametric bs) (hash : Code → Nat) :
    bs Nat (gnAlg hash) (gsrc hash) = List.map (gid hash) (extract bs) :=
  factorisation bs hp Nat (gnAlg hash) (gsrc hash)

theorem gids_cons (hash : Code → Nat) (u : Term) (us : Args) :
    gids hash (Args.acons u us) = gid hash u :: gids hash us := by
  first
    | rfl
    | simp only [gids, gid, evals]

theorem gids_anil (hash : Code → Nat) : gids hash Args.anil = [] := by
  first
    | rfl
    | simp only [gids, evals]

theorem code_eq (hash : Code → Nat) (hinj : Injective hash) (t u : Term)
    (heq : gid hash t = gid hash u) : codeOf hash t = codeOf hash u := by
  apply hinj
  rw [← gid_code hash t, ← gid_code hash u]
  exact heq

mutual
theorem gid_injective (hash : Code → Nat) (hinj : Injective hash) :
    (t u : Term) → gid hash t = gid hash u → t = u
  | Term.src n, Term.src n2, heq => by
      have hc := code_eq hash hinj _ _ heq
      injection hc with hn
      rw [hn]
  | Term.src _, Term.comp _ _, heq => by cases code_eq hash hinj _ _ heq
  | Term.src _, Term.arch _, heq => by cases code_eq hash hinj _ _ heq
  | Term.src _, Term.lnk _ _ _, heq => by cases code_eq hash hinj _ _ heq
  | Term.comp _ _, Term.src _, heq => by cases code_eq hash hinj _ _ heq
  | Term.comp f t', Term.comp f2 u', heq => by
      have hc := code_eq hash hinj _ _ heq
      injection hc with hf hi
      rw [hf, gid_injective hash hinj t' u' hi]
  | Term.comp _ _, Term.arch _, heq => by cases code_eq hash hinj _ _ heq
  | Term.comp _ _, Term.lnk _ _ _, heq => by cases code_eq hash hinj _ _ heq
  | Term.arch _, Term.src _, heq => by cases code_eq hash hinj _ _ heq
  | Term.arch _, Term.comp _ _, heq => by cases code_eq hash hinj _ _ heq
  | Term.arch ms, Term.arch ms2, heq => by
      have hc := code_eq hash hinj _ _ heq
      injection hc with hi
      rw [gids_injective hash hinj ms ms2 hi]
  | Term.arch _, Term.lnk _ _ _, heq => by cases code_eq hash hinj _ _ heq
  | Term.lnk _ _ _, Term.src _, heq => by cases code_eq hash hinj _ _ heq
  | Term.lnk _ _ _, Term.comp _ _, heq => by cases code_eq hash hinj _ _ heq
  | Term.lnk _ _ _, Term.arch _, heq => by cases code_eq hash hinj _ _ heq
  | Term.lnk k f ins, Term.lnk k2 f2 ins2, heq => by
      have hc := code_eq hash hinj _ _ heq
      injection hc with hk hf hi
      rw [hk, hf, gids_injective hash hinj ins ins2 hi]
theorem gids_injective (hash : Code → Nat) (hinj : Injective hash) :
    (ts us : Args) → gids hash ts = gids hash us → ts = us
  | Args.anil, Args.anil, _ => rfl
  | Args.anil, Args.acons u us', heq => by
      rw [gids_anil hash, gids_cons hash u us'] at heq
      cases heq
  | Args.acons t ts', Args.anil, heq => by
      rw [gids_cons hash t ts', gids_anil hash] at heq
      cases heq
  | Args.acons t ts', Args.acons u us', heq => by
      rw [gids_cons hash t ts', gids_cons hash u us'] at heq
      injection heq with h1 h2
      rw [gid_injective hash hinj t u h1, gids_injective hash hinj ts' us' h2]
end

/-- Equal terms get equal ids and, when the hash is injective on codes, different terms get
different ids: identity is preserved and a shared node keeps one id. -/
theorem gid_eq_iff (hash : Code → Nat) (hinj : Injective hash) (t u : Term) :
    gid hash t = gid hash u ↔ t = u :=
  ⟨gid_injective hash hinj t u, fun h => by rw [h]⟩

/-! ## Theorem 5: migration -/

/-- A manifest: targets named by id, each with its code (what it is made of), and the outputs.
The engine runs the entries in order, each input looked up among the targets already built,
in the real algebra. -/
structure Manifest : Type where
  entries : List (Nat × Code)
  outs : List Nat

abbrev Env (A : Type) : Type := Nat → Option A

def upd {A : Type} (env : Env A) (i : Nat) (v : A) : Env A :=
  fun j => match eqn j i with
    | true => some v
    | false => env j

/-- Option's bind: the engine stops at the first target it cannot build. -/
def bindO {X Y : Type} (o : Option X) (f : X → Option Y) : Option Y :=
  match o with
  | some x => f x
  | none => none

theorem bindO_some {X Y : Type} (x : X) (f : X → Option Y) : bindO (some x) f = f x := rfl

def lookups {A : Type} (env : Env A) : List Nat → Option (List A)
  | [] => some []
  | i :: ns' => bindO (env i) (fun v => bindO (lookups env ns') (fun vs => some (v :: vs)))

def runCode {A : Type} (a : Alg A) (rho : Nat → A) (env : Env A) : Code → Option A
  | Code.CSrc s => some (rho s)
  | Code.CComp f i => bindO (env i) (fun v => some (a.compile f v))
  | Code.CArch ns => bindO (lookups env ns) (fun vs => some (a.archive vs))
  | Code.CLink k f ns => bindO (lookups env ns) (fun vs => some (a.link k f vs))

def runEntries {A : Type} (a : Alg A) (rho : Nat → A) :
    Env A → List (Nat × Code) → Option (Env A)
  | env, [] => some env
  | env, (i, c) :: m' => bindO (runCode a rho env c) (fun v => runEntries a rho (upd env i v) m')

def emptyEnv {A : Type} : Env A := fun _ => none

/-- The engine. -/
def runManifest {A : Type} (a : Alg A) (rho : Nat → A) (mf : Manifest) : Option (List A) :=
  bindO (runEntries a rho emptyEnv mf.entries) (fun env => lookups env mf.outs)

def has (i : Nat) : List (Nat × Code) → Bool
  | [] => false
  | (j, _) :: m' => eqn j i || has i m'

def addE (i : Nat) (c : Code) (m : List (Nat × Code)) : List (Nat × Code) :=
  match has i m with
  | true => m
  | false => m ++ [(i, c)]

theorem addE_has (i : Nat) (c : Code) (m : List (Nat × Code)) (h : has i m = true) :
    addE i c m = m := by
  simp only [addE, h]

theorem addE_new (i : Nat) (c : Code) (m : List (Nat × Code)) (h : has i m = false) :
    addE i c m = m ++ [(i, c)] := by
  simp only [addE, h]

theorem upd_hit {A : Type} (env : Env A) (i j : Nat) (v : A) (h : eqn j i = true) :
    upd env i v j = some v := by
  simp only [upd, h]

theorem upd_miss {A : Type} (env : Env A) (i j : Nat) (v : A) (h : eqn j i = false) :
    upd env i v j = env j := by
  simp only [upd, h]

mutual
/-- Reading the manifest off the graph: each node once (by id), after its inputs. -/
def emit (hash : Code → Nat) : Term → List (Nat × Code) → List (Nat × Code)
  | Term.src n, m => addE (gid hash (Term.src n)) (codeOf hash (Term.src n)) m
  | Term.comp f u, m => addE (gid hash (Term.comp f u)) (codeOf hash (Term.comp f u)) (emit hash u m)
  | Term.arch ms, m => addE (gid hash (Term.arch ms)) (codeOf hash (Term.arch ms)) (emitA hash ms m)
  | Term.lnk k f ins, m =>
      addE (gid hash (Term.lnk k f ins)) (codeOf hash (Term.lnk k f ins)) (emitA hash ins m)
def emitA (hash : Code → Nat) : Args → List (Nat × Code) → List (Nat × Code)
  | Args.anil, m => m
  | Args.acons u us, m => emitA hash us (emit hash u m)
end

def emitL (hash : Code → Nat) : List Term → List (Nat × Code) → List (Nat × Code)
  | [], m => m
  | t :: l', m => emitL hash l' (emit hash t m)

def manifest (hash : Code → Nat) (bs : Build) : Manifest :=
  { entries := emitL hash (extract bs) [], outs := List.map (gid hash) (extract bs) }

/-- Invariants of the engine's state while the manifest is read. -/
def SoundEnv {A : Type} (hash : Code → Nat) (a : Alg A) (rho : Nat → A) (env : Env A) : Prop :=
  ∀ i v, env i = some v → ∃ u, gid hash u = i ∧ v = eval a rho u

def Covers {A : Type} (m : List (Nat × Code)) (env : Env A) : Prop :=
  ∀ i, has i m = true → ∃ v, env i = some v

def Good {A : Type} (hash : Code → Nat) (a : Alg A) (rho : Nat → A) (m : List (Nat × Code)) :
    Prop :=
  ∃ env, runEntries a rho emptyEnv m = some env ∧ SoundEnv hash a rho env ∧ Covers m env

def Mono (m m' : List (Nat × Code)) : Prop := ∀ i, has i m = true → has i m' = true

def allHas : List Nat → List (Nat × Code) → Prop
  | [], _ => True
  | i :: ns', m => has i m = true ∧ allHas ns' m

theorem runEntries_snoc {A : Type} (a : Alg A) (rho : Nat → A) (m : List (Nat × Code)) :
    ∀ (env : Env A) (i : Nat) (c : Code),
    runEntries a rho env (m ++ [(i, c)]) =
      bindO (runEntries a rho env m)
        (fun e => bindO (runCode a rho e c) (fun v => some (upd e i v))) := by
  induction m with
  | nil =>
      intro env i c
      rfl
  | cons p m ih =>
      intro env i c
      cases p with
      | mk j d =>
          show bindO (runCode a rho env d) (fun v => runEntries a rho (upd env j v) (m ++ [(i, c)]))
            = bindO (bindO (runCode a rho env d) (fun v => runEntries a rho (upd env j v) m))
                (fun e => bindO (runCode a rho e c) (fun v => some (upd e i v)))
          cases runCode a rho env d with
          | some v => exact ih (upd env j v) i c
          | none => rfl

theorem has_snoc (m : List (Nat × Code)) :
    ∀ (i j : Nat) (c : Code), has j (m ++ [(i, c)]) = (has j m || eqn i j) := by
  induction m with
  | nil =>
      intro i j c
      exact orb_false_r' (eqn i j)
  | cons p m ih =>
      intro i j c
      cases p with
      | mk k d =>
          show (eqn k j || has j (m ++ [(i, c)])) = ((eqn k j || has j m) || eqn i j)
          rw [ih i j c]
          exact orb_assoc' (eqn k j) (has j m) (eqn i j)

theorem mono_refl (m : List (Nat × Code)) : Mono m m := fun _ h => h

theorem mono_trans (m1 m2 m3 : List (Nat × Code)) (h12 : Mono m1 m2) (h23 : Mono m2 m3) :
    Mono m1 m3 := fun i h => h23 i (h12 i h)

theorem good_lookup {A : Type} (hash : Code → Nat) (a : Alg A) (rho : Nat → A)
    (m : List (Nat × Code)) (env : Env A) (u : Term)
    (hinj : Injective hash) (hs : SoundEnv hash a rho env) (hc : Covers m env)
    (hh : has (gid hash u) m = true) : env (gid hash u) = some (eval a rho u) := by
  cases hc (gid hash u) hh with
  | intro v hv =>
      cases hs (gid hash u) v hv with
      | intro u' hu =>
          rw [gid_injective hash hinj u' u hu.1] at hu
          rw [hv, hu.2]

theorem lookups_gids {A : Type} (hash : Code → Nat) (a : Alg A) (rho : Nat → A)
    (m : List (Nat × Code)) (env : Env A) (hinj : Injective hash)
    (hs : SoundEnv hash a rho env) (hc : Covers m env) :
    (ts : Args) → allHas (gids hash ts) m → lookups env (gids hash ts) = some (evals a rho ts)
  | Args.anil, _ => by
      rw [gids_anil hash]
      simp only [evals, lookups]
  | Args.acons u us, hall => by
      rw [gids_cons hash u us] at hall
      rw [gids_cons hash u us]
      show bindO (env (gid hash u))
          (fun v => bindO (lookups env (gids hash us)) (fun vs => some (v :: vs))) =
        some (evals a rho (Args.acons u us))
      rw [good_lookup hash a rho m env u hinj hs hc hall.1,
        lookups_gids hash a rho m env hinj hs hc us hall.2]
      simp only [bindO_some, evals]

theorem lookups_map {A : Type} (hash : Code → Nat) (a : Alg A) (rho : Nat → A)
    (m : List (Nat × Code)) (env : Env A) (l : List Term)
    (hinj : Injective hash) (hs : SoundEnv hash a rho env) (hc : Covers m env) :
    allHas (List.map (gid hash) l) m →
      lookups env (List.map (gid hash) l) = some (List.map (eval a rho) l) := by
  induction l with
  | nil => intro _; rfl
  | cons u l ih =>
      intro hall
      show bindO (env (gid hash u))
          (fun v => bindO (lookups env (List.map (gid hash) l)) (fun vs => some (v :: vs))) =
        some (eval a rho u :: List.map (eval a rho) l)
      rw [good_lookup hash a rho m env u hinj hs hc hall.1, ih hall.2]
      simp only [bindO_some]

theorem allHas_mono (ns : List Nat) :
    ∀ (m m' : List (Nat × Code)), Mono m m' → allHas ns m → allHas ns m' := by
  induction ns with
  | nil => intro _ _ _ hall; exact hall
  | cons i ns ih =>
      intro m m' hmono hall
      exact ⟨hmono i hall.1, ih m m' hmono hall.2⟩

/-- Adding one node whose inputs are already built keeps the invariant. -/
theorem good_addE {A : Type} (hash : Code → Nat) (a : Alg A) (rho : Nat → A)
    (m : List (Nat × Code)) (u : Term)
    (hinj : Injective hash) (hg : Good hash a rho m)
    (hrun : ∀ env, SoundEnv hash a rho env → Covers m env →
       runCode a rho env (codeOf hash u) = some (eval a rho u)) :
    Good hash a rho (addE (gid hash u) (codeOf hash u) m) ∧
    has (gid hash u) (addE (gid hash u) (codeOf hash u) m) = true ∧
    Mono m (addE (gid hash u) (codeOf hash u) m) := by
  cases bool_cases (has (gid hash u) m) with
  | inl hh =>
      rw [addE_has (gid hash u) (codeOf hash u) m hh]
      exact ⟨hg, hh, mono_refl m⟩
  | inr hh =>
      rw [addE_new (gid hash u) (codeOf hash u) m hh]
      cases hg with
      | intro env henv =>
          have hr := henv.1
          have hs := henv.2.1
          have hc := henv.2.2
          refine ⟨⟨upd env (gid hash u) (eval a rho u), ?_, ?_, ?_⟩, ?_, ?_⟩
          · rw [runEntries_snoc a rho m emptyEnv (gid hash u) (codeOf hash u), hr]
            simp only [bindO_some, hrun env hs hc]
          · intro j v hv
            cases bool_cases (eqn j (gid hash u)) with
            | inl hj =>
                rw [upd_hit env (gid hash u) j (eval a rho u) hj] at hv
                injection hv with hv
                exact ⟨u, (eqn_true j (gid hash u) hj).symm, hv.symm⟩
            | inr hj =>
                rw [upd_miss env (gid hash u) j (eval a rho u) hj] at hv
                exact hs j v hv
          · intro j hj
            rw [has_snoc m (gid hash u) j (codeOf hash u)] at hj
            cases bool_cases (eqn j (gid hash u)) with
            | inl hju => exact ⟨eval a rho u, upd_hit env (gid hash u) j (eval a rho u) hju⟩
            | inr hju =>
                rw [upd_miss env (gid hash u) j (eval a rho u) hju]
                cases bool_cases (has j m) with
                | inl hjm => exact hc j hjm
                | inr hjm =>
                    have hj2 := orb_elim (has j m) (eqn (gid hash u) j) hj hjm
                    rw [eqn_true (gid hash u) j hj2, eqn_refl j] at hju
                    cases hju
          · rw [has_snoc m (gid hash u) (gid hash u) (codeOf hash u), eqn_refl (gid hash u)]
            exact orb_true_r' _
          · intro j hj
            rw [has_snoc m (gid hash u) j (codeOf hash u), hj] <;> rfl

mutual
theorem emit_ok {A : Type} (hash : Code → Nat) (a : Alg A) (rho : Nat → A)
    (hinj : Injective hash) :
    (t : Term) → (m : List (Nat × Code)) → Good hash a rho m →
    Good hash a rho (emit hash t m) ∧ has (gid hash t) (emit hash t m) = true ∧
    Mono m (emit hash t m)
  | Term.src n, m, hg => by
      simp only [emit]
      exact good_addE hash a rho m (Term.src n) hinj hg (fun env _ _ => by
        simp only [codeOf, runCode, eval])
  | Term.comp f u, m, hg => by
      simp only [emit]
      have h1 := emit_ok hash a rho hinj u m hg
      have h2 := good_addE hash a rho (emit hash u m) (Term.comp f u) hinj h1.1 (fun env hs hc => by
        simp only [codeOf, runCode]
        rw [good_lookup hash a rho (emit hash u m) env u hinj hs hc h1.2.1]
        simp only [bindO_some, eval])
      exact ⟨h2.1, h2.2.1, mono_trans _ _ _ h1.2.2 h2.2.2⟩
  | Term.arch ms, m, hg => by
      simp only [emit]
      have h1 := emitA_ok hash a rho hinj ms m hg
      have h2 := good_addE hash a rho (emitA hash ms m) (Term.arch ms) hinj h1.1 (fun env hs hc => by
        simp only [codeOf, runCode]
        rw [lookups_gids hash a rho (emitA hash ms m) env hinj hs hc ms h1.2.1]
        simp only [bindO_some, eval])
      exact ⟨h2.1, h2.2.1, mono_trans _ _ _ h1.2.2 h2.2.2⟩
  | Term.lnk k f ins, m, hg => by
      simp only [emit]
      have h1 := emitA_ok hash a rho hinj ins m hg
      have h2 := good_addE hash a rho (emitA hash ins m) (Term.lnk k f ins) hinj h1.1
        (fun env hs hc => by
          simp only [codeOf, runCode]
          rw [lookups_gids hash a rho (emitA hash ins m) env hinj hs hc ins h1.2.1]
          simp only [bindO_some, eval])
      exact ⟨h2.1, h2.2.1, mono_trans _ _ _ h1.2.2 h2.2.2⟩
theorem emitA_ok {A : Type} (hash : Code → Nat) (a : Alg A) (rho : Nat → A)
    (hinj : Injective hash) :
    (ts : Args) → (m : List (Nat × Code)) → Good hash a rho m →
    Good hash a rho (emitA hash ts m) ∧ allHas (gids hash ts) (emitA hash ts m) ∧
    Mono m (emitA hash ts m)
  | Args.anil, m, hg => by
      simp only [emitA]
      rw [gids_anil hash]
      exact ⟨hg, True.intro, mono_refl m⟩
  | Args.acons u us, m, hg => by
      simp only [emitA]
      have h1 := emit_ok hash a rho hinj u m hg
      have h2 := emitA_ok hash a rho hinj us (emit hash u m) h1.1
      rw [gids_cons hash u us]
      exact ⟨h2.1, ⟨h2.2.2 (gid hash u) h1.2.1, h2.2.1⟩, mono_trans _ _ _ h1.2.2 h2.2.2⟩
end

theorem emitL_mono {A : Type} (hash : Code → Nat) (a : Alg A) (rho : Nat → A)
    (l : List Term) :
    ∀ (m : List (Nat × Code)), Injective hash → Good hash a rho m → Mono m (emitL hash l m) := by
  induction l with
  | nil => intro m _ _; exact mono_refl m
  | cons t l ih =>
      intro m hinj hg
      have h1 := emit_ok hash a rho hinj t m hg
      exact mono_trans _ _ _ h1.2.2 (ih (emit hash t m) hinj h1.1)

theorem emitL_ok {A : Type} (hash : Code → Nat) (a : Alg A) (rho : Nat → A)
    (l : List Term) :
    ∀ (m : List (Nat × Code)), Injective hash → Good hash a rho m →
    Good hash a rho (emitL hash l m) ∧ allHas (List.map (gid hash) l) (emitL hash l m) := by
  induction l with
  | nil => intro m _ hg; exact ⟨hg, True.intro⟩
  | cons t l ih =>
      intro m hinj hg
      have h1 := emit_ok hash a rho hinj t m hg
      have h2 := ih (emit hash t m) hinj h1.1
      exact ⟨h2.1, emitL_mono hash a rho l (emit hash t m) hinj h1.1 (gid hash t) h1.2.1, h2.2⟩

theorem good_empty {A : Type} (hash : Code → Nat) (a : Alg A) (rho : Nat → A) :
    Good hash a rho [] := by
  refine ⟨emptyEnv, rfl, ?_, ?_⟩
  · intro i v hv
    cases hv
  · intro i hi
    cases hi

/-- The manifest read off the extracted graph, run by the engine in the real algebra, gives the
real build's outputs. -/
theorem migration (bs : Build) (hash : Code → Nat) (hp : Parametric bs) (hinj : Injective hash)
    (A : Type) (a : Alg A) (rho : Nat → A) :
    runManifest a rho (manifest hash bs) = some (bs A a rho) := by
  rw [factorisation bs hp A a rho]
  have h := emitL_ok hash a rho (extract bs) [] hinj (good_empty hash a rho)
  cases h.1 with
  | intro env henv =>
      show bindO (runEntries a rho emptyEnv (emitL hash (extract bs) []))
          (fun env => lookups env (List.map (gid hash) (extract bs))) =
        some (List.map (eval a rho) (extract bs))
      rw [henv.1]
      simp only [bindO_some]
      exact lookups_map hash a rho (emitL hash (extract bs) []) env (extract bs) hinj
        henv.2.1 henv.2.2 h.2

/-- Each id is one entry of the manifest: a shared node is one target. -/
def uniq : List (Nat × Code) → Prop
  | [] => True
  | (i, _) :: m' => has i m' = false ∧ uniq m'

theorem eqn_sym : (m n : Nat) → eqn m n = eqn n m
  | 0, 0 => rfl
  | 0, _ + 1 => rfl
  | _ + 1, 0 => rfl
  | m + 1, n + 1 => eqn_sym m n

theorem uniq_snoc (m : List (Nat × Code)) :
    ∀ (i : Nat) (c : Code), uniq m → has i m = false → uniq (m ++ [(i, c)]) := by
  induction m with
  | nil => intro i c _ _; exact ⟨rfl, True.intro⟩
  | cons p m ih =>
      cases p with
      | mk j d =>
          intro i c hu hh
          have hj : has j m = false := hu.1
          have hh' : (eqn j i || has i m) = false := hh
          cases bool_cases (eqn j i) with
          | inl hji =>
              rw [hji] at hh'
              cases hh'
          | inr hji =>
              rw [hji] at hh'
              refine ⟨?_, ih i c hu.2 hh'⟩
              show has j (m ++ [(i, c)]) = false
              rw [has_snoc m i j c, hj, eqn_sym i j, hji] <;> rfl

theorem uniq_addE (m : List (Nat × Code)) (i : Nat) (c : Code) (hu : uniq m) :
    uniq (addE i c m) := by
  cases bool_cases (has i m) with
  | inl hh =>
      rw [addE_has i c m hh]
      exact hu
  | inr hh =>
      rw [addE_new i c m hh]
      exact uniq_snoc m i c hu hh

mutual
theorem uniq_emit (hash : Code → Nat) :
    (t : Term) → (m : List (Nat × Code)) → uniq m → uniq (emit hash t m)
  | Term.src n, m, hu => by
      simp only [emit]
      exact uniq_addE m _ _ hu
  | Term.comp f u, m, hu => by
      simp only [emit]
      exact uniq_addE _ _ _ (uniq_emit hash u m hu)
  | Term.arch ms, m, hu => by
      simp only [emit]
      exact uniq_addE _ _ _ (uniq_emitA hash ms m hu)
  | Term.lnk k f ins, m, hu => by
      simp only [emit]
      exact uniq_addE _ _ _ (uniq_emitA hash ins m hu)
theorem uniq_emitA (hash : Code → Nat) :
    (ts : Args) → (m : List (Nat × Code)) → uniq m → uniq (emitA hash ts m)
  | Args.anil, m, hu => by
      simp only [emitA]
      exact hu
  | Args.acons u us, m, hu => by
      simp only [emitA]
      exact uniq_emitA hash us (emit hash u m) (uniq_emit hash u m hu)
end

theorem uniq_emitL (hash : Code → Nat) (l : List Term) :
    ∀ (m : List (Nat × Code)), uniq m → uniq (emitL hash l m) := by
  induction l with
  | nil => intro m hu; exact hu
  | cons t l ih =>
      intro m hu
      exact ih (emit hash t m) (uniq_emit hash t m hu)

theorem manifest_uniq (hash : Code → Nat) (bs : Build) : uniq (manifest hash bs).entries :=
  uniq_emitL hash (extract bs) [] True.intro

/-! ## Theorem 6: phases -/

/-- A phased build: a configure phase that may inspect real artifacts (any function of the real
algebra and the real sources), whose result fixes a build phase. Only the build phase is
assumed parametric. -/
structure Phased (C R : Type) : Type 1 where
  configure : Alg R → (Nat → R) → C
  buildPhase : C → Build

def runPhased {C R : Type} (p : Phased C R) (real : Alg R) (rho : Nat → R) : List R :=
  p.buildPhase (p.configure real rho) R real rho

def PhaseParametric {C R : Type} (p : Phased C R) : Prop :=
  ∀ c : C, Parametric (p.buildPhase c)

/-- The confession: configure for real, then run the build phase on GraphNodes. -/
def confessPhased {C R : Type} (p : Phased C R) (real : Alg R) (rho : Nat → R) : List Term :=
  extract (p.buildPhase (p.configure real rho))

theorem phase_factorisation {C R : Type} (p : Phased C R) (hp : PhaseParametric p)
    (real : Alg R) (rho : Nat → R) :
    runPhased p real rho = List.map (eval real rho) (confessPhased p real rho) :=
  factorisation (p.buildPhase (p.configure real rho)) (hp _) R real rho

/-- Given the configure results, sources outside the confessed graph do not matter. -/
theorem phase_soundness {C R : Type} (p : Phased C R) (hp : PhaseParametric p)
    (real : Alg R) (r1 r2 : Nat → R)
    (hc : p.configure real r1 = p.configure real r2)
    (hag : ∀ s, occursL s (confessPhased p real r1) → r1 s = r2 s) :
    runPhased p real r1 = runPhased p real r2 := by
  unfold runPhased
  rw [← hc]
  exact soundness (p.buildPhase (p.configure real r1)) (hp _) R real r1 r2 hag

theorem phase_completeness {C R : Type} (p : Phased C R) (hp : PhaseParametric p)
    (c : C) (s : Nat) (ho : occursL s (extract (p.buildPhase c))) :
    ∃ (A : Type) (a : Alg A) (r1 r2 : Nat → A),
      (∀ n, n ≠ s → r1 n = r2 n) ∧ p.buildPhase c A a r1 ≠ p.buildPhase c A a r2 :=
  completeness (p.buildPhase c) (hp c) s ho

theorem phase_gn_extraction {C R : Type} (p : Phased C R) (hp : PhaseParametric p)
    (c : C) (hash : Code → Nat) :
    p.buildPhase c Nat (gnAlg hash) (gsrc hash) =
      List.map (gid hash) (extract (p.buildPhase c)) :=
  gn_extraction (p.buildPhase c) (hp c) hash

theorem phase_migration {C R : Type} (p : Phased C R) (hash : Code → Nat)
    (hp : PhaseParametric p) (hinj : Injective hash) (real : Alg R) (rho : Nat → R) :
    runManifest real rho (manifest hash (p.buildPhase (p.configure real rho))) =
      some (runPhased p real rho) :=
  migration (p.buildPhase (p.configure real rho)) hash (hp _) hinj R real rho

end Confess
