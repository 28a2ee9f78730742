(* The parametricity theorems of confess, checked by coqc and coqchk.

   This file is the twin of lean/Confess/Parametricity.lean: the same definitions and theorems
   under the same names, each Lean proof a transliteration of the proof here. No axioms, no
   admitted proofs; scripts/check-proofs.sh checks both, and Print Assumptions at the end of
   coq/Assumptions.v lists what the main theorems rest on (nothing).

   Model.
   - Sources are named by numbers; an assignment [rho : nat -> A] gives each its artifact.
   - An artifact algebra [Alg A] has the three operations builds perform: compile a source with
     flags, archive members, link inputs into an executable or a shared library.
   - A build is polymorphic in the artifact type: [forall A, Alg A -> (nat -> A) -> list A]
     (the list is the build's outputs). Parametricity is a hypothesis: the build commutes with
     every algebra homomorphism.
   - Terms are the free algebra (the graph as a tree); GraphNode ids are the image of a term
     under the algebra whose carrier is ids, each id the hash of a node's code (kind, flags or
     source, the ids of its inputs). The hash is a parameter; where a theorem needs that
     different codes have different ids, injectivity is a hypothesis of that theorem. *)

Require Import List.
Import ListNotations.

(* ---------------------------------------------------------------------------------------- *)
(* Artifact algebras *)

Inductive Kind : Set :=
| Exe : Kind
| Shared : Kind.

Definition Flags : Set := list nat.

Record Alg (A : Type) : Type := mkAlg {
  compile : Flags -> A -> A;
  archive : list A -> A;
  link : Kind -> Flags -> list A -> A
}.

Arguments mkAlg {A}.
Arguments compile {A}.
Arguments archive {A}.
Arguments link {A}.

(* A homomorphism of artifact algebras. *)
Definition Hom {A B : Type} (a : Alg A) (b : Alg B) (h : A -> B) : Prop :=
  (forall f x, h (compile a f x) = compile b f (h x)) /\
  (forall xs, h (archive a xs) = archive b (map h xs)) /\
  (forall k f xs, h (link a k f xs) = link b k f (map h xs)).

(* A build system: polymorphic in the artifact type. *)
Definition Build : Type := forall A : Type, Alg A -> (nat -> A) -> list A.

(* Parametricity, as a hypothesis: the build commutes with every homomorphism. *)
Definition Parametric (bs : Build) : Prop :=
  forall (A B : Type) (a : Alg A) (b : Alg B) (h : A -> B),
    Hom a b h -> forall rho : nat -> A, bs B b (fun n => h (rho n)) = map h (bs A a rho).

(* ---------------------------------------------------------------------------------------- *)
(* The free algebra: terms *)

Inductive Term : Set :=
| src : nat -> Term
| comp : Flags -> Term -> Term
| arch : Args -> Term
| lnk : Kind -> Flags -> Args -> Term
with Args : Set :=
| anil : Args
| acons : Term -> Args -> Args.

Fixpoint toArgs (l : list Term) : Args :=
  match l with
  | [] => anil
  | t :: l' => acons t (toArgs l')
  end.

Definition free : Alg Term :=
  mkAlg comp (fun ms => arch (toArgs ms)) (fun k f ins => lnk k f (toArgs ins)).

(* Interpretation of a term in an algebra, sources given by rho. *)
Fixpoint eval {A : Type} (a : Alg A) (rho : nat -> A) (t : Term) : A :=
  match t with
  | src n => rho n
  | comp f u => compile a f (eval a rho u)
  | arch ms => archive a (evals a rho ms)
  | lnk k f ins => link a k f (evals a rho ins)
  end
with evals {A : Type} (a : Alg A) (rho : nat -> A) (ts : Args) : list A :=
  match ts with
  | anil => []
  | acons u us => eval a rho u :: evals a rho us
  end.

(* The extracted graph: the build run in the free algebra, each source standing for itself. *)
Definition extract (bs : Build) : list Term := bs Term free src.

(* Where a source occurs. *)
Fixpoint occurs (s : nat) (t : Term) : Prop :=
  match t with
  | src n => n = s
  | comp _ u => occurs s u
  | arch ms => occursA s ms
  | lnk _ _ ins => occursA s ins
  end
with occursA (s : nat) (ts : Args) : Prop :=
  match ts with
  | anil => False
  | acons u us => occurs s u \/ occursA s us
  end.

Fixpoint occursL (s : nat) (l : list Term) : Prop :=
  match l with
  | [] => False
  | t :: l' => occurs s t \/ occursL s l'
  end.

(* ---------------------------------------------------------------------------------------- *)
(* Interpretation is the homomorphism out of the free algebra *)

Lemma evals_toArgs : forall {A : Type} (a : Alg A) (rho : nat -> A) (l : list Term),
    evals a rho (toArgs l) = map (eval a rho) l.
Proof.
  intros A a rho l. induction l as [| t l IH].
  - reflexivity.
  - simpl. rewrite IH. reflexivity.
Qed.

Theorem eval_is_hom : forall {A : Type} (a : Alg A) (rho : nat -> A), Hom free a (eval a rho).
Proof.
  intros A a rho. split; [| split].
  - intros f x. reflexivity.
  - intros xs. simpl. rewrite evals_toArgs. reflexivity.
  - intros k f xs. simpl. rewrite evals_toArgs. reflexivity.
Qed.

Fixpoint eval_hom {A B : Type} (a : Alg A) (b : Alg B) (h : A -> B) (hh : Hom a b h)
    (rho : nat -> A) (t : Term) {struct t} :
    h (eval a rho t) = eval b (fun n => h (rho n)) t
with evals_hom {A B : Type} (a : Alg A) (b : Alg B) (h : A -> B) (hh : Hom a b h)
    (rho : nat -> A) (ts : Args) {struct ts} :
    map h (evals a rho ts) = evals b (fun n => h (rho n)) ts.
Proof.
  - destruct t as [n | f u | ms | k f ins].
    + reflexivity.
    + simpl. destruct hh as [hc [ha hl]]. rewrite hc.
      rewrite (eval_hom A B a b h (conj hc (conj ha hl)) rho u). reflexivity.
    + simpl. destruct hh as [hc [ha hl]]. rewrite ha.
      rewrite (evals_hom A B a b h (conj hc (conj ha hl)) rho ms). reflexivity.
    + simpl. destruct hh as [hc [ha hl]]. rewrite hl.
      rewrite (evals_hom A B a b h (conj hc (conj ha hl)) rho ins). reflexivity.
  - destruct ts as [| u us].
    + reflexivity.
    + simpl. rewrite (eval_hom A B a b h hh rho u). rewrite (evals_hom A B a b h hh rho us).
      reflexivity.
Qed.

Fixpoint eval_free (t : Term) {struct t} : eval free src t = t
with evals_free (ts : Args) {struct ts} : toArgs (evals free src ts) = ts.
Proof.
  - destruct t as [n | f u | ms | k f ins].
    + reflexivity.
    + simpl. rewrite (eval_free u). reflexivity.
    + simpl. rewrite (evals_free ms). reflexivity.
    + simpl. rewrite (evals_free ins). reflexivity.
  - destruct ts as [| u us].
    + reflexivity.
    + simpl. rewrite (eval_free u). rewrite (evals_free us). reflexivity.
Qed.

(* Any homomorphism out of the free algebra that agrees with rho on sources is eval: the
   interpretation is unique, so the term determines every interpretation. *)
Fixpoint hom_unique {A : Type} (a : Alg A) (rho : nat -> A) (h : Term -> A)
    (hh : Hom free a h) (hs : forall n, h (src n) = rho n) (t : Term) {struct t} :
    h t = eval a rho t
with homs_unique {A : Type} (a : Alg A) (rho : nat -> A) (h : Term -> A)
    (hh : Hom free a h) (hs : forall n, h (src n) = rho n) (ts : Args) {struct ts} :
    map h (evals free src ts) = evals a rho ts.
Proof.
  - destruct t as [n | f u | ms | k f ins].
    + simpl. apply hs.
    + simpl. destruct hh as [hc [ha hl]].
      exact (eq_trans (hc f u)
               (f_equal (compile a f) (hom_unique A a rho h (conj hc (conj ha hl)) hs u))).
    + simpl. destruct hh as [hc [ha hl]].
      exact (eq_trans (f_equal (fun x => h (arch x)) (eq_sym (evals_free ms)))
               (eq_trans (ha (evals free src ms))
                  (f_equal (archive a) (homs_unique A a rho h (conj hc (conj ha hl)) hs ms)))).
    + simpl. destruct hh as [hc [ha hl]].
      exact (eq_trans (f_equal (fun x => h (lnk k f x)) (eq_sym (evals_free ins)))
               (eq_trans (hl k f (evals free src ins))
                  (f_equal (link a k f)
                     (homs_unique A a rho h (conj hc (conj ha hl)) hs ins)))).
  - destruct ts as [| u us].
    + reflexivity.
    + simpl. rewrite (eval_free u). rewrite (hom_unique A a rho h hh hs u).
      rewrite (homs_unique A a rho h hh hs us). reflexivity.
Qed.

(* ---------------------------------------------------------------------------------------- *)
(* Theorem 1: factorisation *)

(* For every algebra and every assignment of sources, the build equals the interpretation of
   the extracted terms. *)
Theorem factorisation : forall bs : Build, Parametric bs ->
  forall (A : Type) (a : Alg A) (rho : nat -> A), bs A a rho = map (eval a rho) (extract bs).
Proof.
  intros bs hp A a rho.
  exact (hp Term A free a (eval a rho) (eval_is_hom a rho) src).
Qed.

(* ---------------------------------------------------------------------------------------- *)
(* Theorem 2: soundness *)

Fixpoint eval_agree {A : Type} (a : Alg A) (r1 r2 : nat -> A) (t : Term)
    (hag : forall s, occurs s t -> r1 s = r2 s) {struct t} :
    eval a r1 t = eval a r2 t
with evals_agree {A : Type} (a : Alg A) (r1 r2 : nat -> A) (ts : Args)
    (hag : forall s, occursA s ts -> r1 s = r2 s) {struct ts} :
    evals a r1 ts = evals a r2 ts.
Proof.
  - destruct t as [n | f u | ms | k f ins].
    + simpl. apply hag. reflexivity.
    + simpl. rewrite (eval_agree A a r1 r2 u hag). reflexivity.
    + simpl. rewrite (evals_agree A a r1 r2 ms hag). reflexivity.
    + simpl. rewrite (evals_agree A a r1 r2 ins hag). reflexivity.
  - destruct ts as [| u us].
    + reflexivity.
    + simpl.
      rewrite (eval_agree A a r1 r2 u (fun s hs => hag s (or_introl hs))).
      rewrite (evals_agree A a r1 r2 us (fun s hs => hag s (or_intror hs))).
      reflexivity.
Qed.

Lemma map_eval_agree : forall {A : Type} (a : Alg A) (r1 r2 : nat -> A) (l : list Term),
    (forall s, occursL s l -> r1 s = r2 s) -> map (eval a r1) l = map (eval a r2) l.
Proof.
  intros A a r1 r2 l. induction l as [| t l IH]; intros hag.
  - reflexivity.
  - simpl.
    rewrite (eval_agree a r1 r2 t (fun s hs => hag s (or_introl hs))).
    rewrite (IH (fun s hs => hag s (or_intror hs))).
    reflexivity.
Qed.

(* Two assignments that agree on every source of the extracted graph give the same outputs. *)
Theorem soundness : forall bs : Build, Parametric bs ->
  forall (A : Type) (a : Alg A) (r1 r2 : nat -> A),
    (forall s, occursL s (extract bs) -> r1 s = r2 s) -> bs A a r1 = bs A a r2.
Proof.
  intros bs hp A a r1 r2 hag.
  rewrite (factorisation bs hp A a r1). rewrite (factorisation bs hp A a r2).
  exact (map_eval_agree a r1 r2 (extract bs) hag).
Qed.

(* ---------------------------------------------------------------------------------------- *)
(* Theorem 3: completeness *)

Fixpoint eqn (m n : nat) : bool :=
  match m, n with
  | O, O => true
  | O, S _ => false
  | S _, O => false
  | S m', S n' => eqn m' n'
  end.

Lemma eqn_refl : forall n, eqn n n = true.
Proof.
  intros n. induction n as [| n IH].
  - reflexivity.
  - simpl. exact IH.
Qed.

Lemma eqn_true : forall m n, eqn m n = true -> m = n.
Proof.
  intros m. induction m as [| m IH]; intros n h.
  - destruct n as [| n].
    + reflexivity.
    + simpl in h. discriminate h.
  - destruct n as [| n].
    + simpl in h. discriminate h.
    + simpl in h. rewrite (IH n h). reflexivity.
Qed.

Lemma bool_cases : forall b : bool, b = true \/ b = false.
Proof.
  intros b. destruct b.
  - left. reflexivity.
  - right. reflexivity.
Qed.

Lemma orb_true_r' : forall b : bool, orb b true = true.
Proof.
  intros b. destruct b; reflexivity.
Qed.

Lemma orb_false_r' : forall b : bool, orb b false = orb false b.
Proof.
  intros b. destruct b; reflexivity.
Qed.

Lemma orb_assoc' : forall a b c : bool, orb a (orb b c) = orb (orb a b) c.
Proof.
  intros a b c. destruct a; reflexivity.
Qed.

Lemma orb_elim : forall b c : bool, orb b c = true -> b = false -> c = true.
Proof.
  intros b c h hb. rewrite hb in h. exact h.
Qed.

Lemma eqn_false : forall m n, m <> n -> eqn m n = false.
Proof.
  intros m n hne. destruct (bool_cases (eqn m n)) as [h | h].
  - exfalso. exact (hne (eqn_true m n h)).
  - exact h.
Qed.

Fixpoint anyb (l : list bool) : bool :=
  match l with
  | [] => false
  | x :: l' => orb x (anyb l')
  end.

(* The algebra that tracks whether a marked source went in. *)
Definition occAlg : Alg bool := mkAlg (fun _ x => x) anyb (fun _ _ xs => anyb xs).

Fixpoint eval_occ_none (t : Term) {struct t} : eval occAlg (fun _ => false) t = false
with evals_occ_none (ts : Args) {struct ts} : anyb (evals occAlg (fun _ => false) ts) = false.
Proof.
  - destruct t as [n | f u | ms | k f ins].
    + reflexivity.
    + simpl. exact (eval_occ_none u).
    + simpl. exact (evals_occ_none ms).
    + simpl. exact (evals_occ_none ins).
  - destruct ts as [| u us].
    + reflexivity.
    + simpl. rewrite (eval_occ_none u). rewrite (evals_occ_none us). reflexivity.
Qed.

Fixpoint eval_occ_mark (s : nat) (t : Term) (ho : occurs s t) {struct t} :
    eval occAlg (fun n => eqn n s) t = true
with evals_occ_mark (s : nat) (ts : Args) (ho : occursA s ts) {struct ts} :
    anyb (evals occAlg (fun n => eqn n s) ts) = true.
Proof.
  - destruct t as [n | f u | ms | k f ins].
    + simpl. simpl in ho. rewrite ho. exact (eqn_refl s).
    + simpl. exact (eval_occ_mark s u ho).
    + simpl. exact (evals_occ_mark s ms ho).
    + simpl. exact (evals_occ_mark s ins ho).
  - destruct ts as [| u us].
    + simpl in ho. destruct ho.
    + simpl. simpl in ho. destruct ho as [hu | hus].
      * rewrite (eval_occ_mark s u hu). reflexivity.
      * rewrite (evals_occ_mark s us hus). exact (orb_true_r' _).
Qed.

Lemma map_occ_none : forall l : list Term, anyb (map (eval occAlg (fun _ => false)) l) = false.
Proof.
  intros l. induction l as [| t l IH].
  - reflexivity.
  - simpl. rewrite (eval_occ_none t). exact IH.
Qed.

Lemma map_occ_mark : forall (s : nat) (l : list Term),
    occursL s l -> anyb (map (eval occAlg (fun n => eqn n s)) l) = true.
Proof.
  intros s l. induction l as [| t l IH]; intros ho.
  - simpl in ho. destruct ho.
  - simpl. simpl in ho. destruct ho as [ht | hl].
    + rewrite (eval_occ_mark s t ht). reflexivity.
    + rewrite (IH hl). exact (orb_true_r' _).
Qed.

(* The concrete witness: marking one source of the extracted graph changes the outputs of the
   build in the occurrence algebra. *)
Theorem completeness_witness : forall bs : Build, Parametric bs ->
  forall s, occursL s (extract bs) ->
    bs bool occAlg (fun _ => false) <> bs bool occAlg (fun n => eqn n s).
Proof.
  intros bs hp s ho heq.
  rewrite (factorisation bs hp bool occAlg (fun _ => false)) in heq.
  rewrite (factorisation bs hp bool occAlg (fun n => eqn n s)) in heq.
  pose proof (map_occ_none (extract bs)) as h0.
  rewrite heq in h0. rewrite (map_occ_mark s (extract bs) ho) in h0.
  discriminate h0.
Qed.

(* Every source of the extracted graph matters: there is an algebra and two assignments that
   differ only at that source and give different outputs. *)
Theorem completeness : forall bs : Build, Parametric bs ->
  forall s, occursL s (extract bs) ->
    exists (A : Type) (a : Alg A) (r1 r2 : nat -> A),
      (forall n, n <> s -> r1 n = r2 n) /\ bs A a r1 <> bs A a r2.
Proof.
  intros bs hp s ho.
  exists bool, occAlg, (fun _ => false), (fun n => eqn n s). split.
  - intros n hne. rewrite (eqn_false n s hne). reflexivity.
  - exact (completeness_witness bs hp s ho).
Qed.

(* ---------------------------------------------------------------------------------------- *)
(* Theorem 4: GraphNode ids *)

(* A node's code: its kind, its flags or source, and the ids of its inputs. *)
Inductive Code : Set :=
| CSrc : nat -> Code
| CComp : Flags -> nat -> Code
| CArch : list nat -> Code
| CLink : Kind -> Flags -> list nat -> Code.

Definition Injective {X Y : Type} (f : X -> Y) : Prop := forall x y, f x = f y -> x = y.

(* The GraphNode algebra: the carrier is ids; each operation hashes the node's code. *)
Definition gnAlg (hash : Code -> nat) : Alg nat :=
  mkAlg (fun f i => hash (CComp f i)) (fun is => hash (CArch is))
    (fun k f is => hash (CLink k f is)).

Definition gsrc (hash : Code -> nat) (s : nat) : nat := hash (CSrc s).

Definition gid (hash : Code -> nat) (t : Term) : nat := eval (gnAlg hash) (gsrc hash) t.

Definition gids (hash : Code -> nat) (ts : Args) : list nat := evals (gnAlg hash) (gsrc hash) ts.

(* The code of a term's root node. *)
Definition codeOf (hash : Code -> nat) (t : Term) : Code :=
  match t with
  | src n => CSrc n
  | comp f u => CComp f (gid hash u)
  | arch ms => CArch (gids hash ms)
  | lnk k f ins => CLink k f (gids hash ins)
  end.

Lemma gid_code : forall (hash : Code -> nat) (t : Term), gid hash t = hash (codeOf hash t).
Proof.
  intros hash t. destruct t as [n | f u | ms | k f ins]; reflexivity.
Qed.

(* GraphNode extraction is the image of the term under a homomorphism. *)
Theorem gid_is_hom : forall hash : Code -> nat, Hom free (gnAlg hash) (gid hash).
Proof.
  intros hash. exact (eval_is_hom (gnAlg hash) (gsrc hash)).
Qed.

(* Running the build on GraphNodes gives the ids of the extracted terms. *)
Theorem gn_extraction : forall bs : Build, Parametric bs ->
  forall hash : Code -> nat, bs nat (gnAlg hash) (gsrc hash) = map (gid hash) (extract bs).
Proof.
  intros bs hp hash. exact (factorisation bs hp nat (gnAlg hash) (gsrc hash)).
Qed.

Lemma code_eq : forall (hash : Code -> nat), Injective hash ->
    forall t u : Term, gid hash t = gid hash u -> codeOf hash t = codeOf hash u.
Proof.
  intros hash hinj t u heq. apply hinj.
  rewrite <- (gid_code hash t). rewrite <- (gid_code hash u). exact heq.
Qed.

Fixpoint gid_injective (hash : Code -> nat) (hinj : Injective hash) (t u : Term)
    (heq : gid hash t = gid hash u) {struct t} : t = u
with gids_injective (hash : Code -> nat) (hinj : Injective hash) (ts us : Args)
    (heq : gids hash ts = gids hash us) {struct ts} : ts = us.
Proof.
  - pose proof (code_eq hash hinj t u heq) as hc.
    destruct t as [n | f t' | ms | k f ins]; destruct u as [n2 | f2 u' | ms2 | k2 f2 ins2];
      simpl in hc; try discriminate hc.
    + injection hc as hn. rewrite hn. reflexivity.
    + injection hc as hf hi. rewrite hf. rewrite (gid_injective hash hinj t' u' hi). reflexivity.
    + injection hc as hi. rewrite (gids_injective hash hinj ms ms2 hi). reflexivity.
    + injection hc as hk hf hi. rewrite hk. rewrite hf.
      rewrite (gids_injective hash hinj ins ins2 hi). reflexivity.
  - destruct ts as [| t ts']; destruct us as [| u us'].
    + reflexivity.
    + unfold gids in heq. simpl in heq. discriminate heq.
    + unfold gids in heq. simpl in heq. discriminate heq.
    + unfold gids in heq. simpl in heq. injection heq as h1 h2.
      rewrite (gid_injective hash hinj t u h1).
      rewrite (gids_injective hash hinj ts' us' h2). reflexivity.
Qed.

(* Equal terms get equal ids and, when the hash is injective on codes, different terms get
   different ids: identity is preserved and a shared node keeps one id. *)
Theorem gid_eq_iff : forall hash : Code -> nat, Injective hash ->
  forall t u : Term, gid hash t = gid hash u <-> t = u.
Proof.
  intros hash hinj t u. split.
  - exact (gid_injective hash hinj t u).
  - intros h. rewrite h. reflexivity.
Qed.

(* ---------------------------------------------------------------------------------------- *)
(* Theorem 5: migration *)

(* A manifest: targets named by id, each with its code (what it is made of), and the outputs.
   The engine runs the entries in order, each input looked up among the targets already
   built, in the real algebra. *)
Record Manifest : Set := mkManifest {
  entries : list (nat * Code);
  outs : list nat
}.

Definition Env (A : Type) : Type := nat -> option A.

Definition upd {A : Type} (env : Env A) (i : nat) (v : A) : Env A :=
  fun j => if eqn j i then Some v else env j.

(* Option's bind: the engine stops at the first target it cannot build. *)
Definition bindO {X Y : Type} (o : option X) (f : X -> option Y) : option Y :=
  match o with
  | Some x => f x
  | None => None
  end.

Lemma bindO_some : forall {X Y : Type} (x : X) (f : X -> option Y), bindO (Some x) f = f x.
Proof.
  intros X Y x f. reflexivity.
Qed.

Fixpoint lookups {A : Type} (env : Env A) (is : list nat) : option (list A) :=
  match is with
  | [] => Some []
  | i :: is' => bindO (env i) (fun v => bindO (lookups env is') (fun vs => Some (v :: vs)))
  end.

Definition runCode {A : Type} (a : Alg A) (rho : nat -> A) (env : Env A) (c : Code) : option A :=
  match c with
  | CSrc s => Some (rho s)
  | CComp f i => bindO (env i) (fun v => Some (compile a f v))
  | CArch is => bindO (lookups env is) (fun vs => Some (archive a vs))
  | CLink k f is => bindO (lookups env is) (fun vs => Some (link a k f vs))
  end.

Fixpoint runEntries {A : Type} (a : Alg A) (rho : nat -> A) (env : Env A)
    (m : list (nat * Code)) : option (Env A) :=
  match m with
  | [] => Some env
  | (i, c) :: m' => bindO (runCode a rho env c) (fun v => runEntries a rho (upd env i v) m')
  end.

Definition emptyEnv {A : Type} : Env A := fun _ => None.

(* The engine. *)
Definition runManifest {A : Type} (a : Alg A) (rho : nat -> A) (mf : Manifest) :
    option (list A) :=
  bindO (runEntries a rho emptyEnv (entries mf)) (fun env => lookups env (outs mf)).

Fixpoint has (i : nat) (m : list (nat * Code)) : bool :=
  match m with
  | [] => false
  | (j, _) :: m' => orb (eqn j i) (has i m')
  end.

Definition addE (i : nat) (c : Code) (m : list (nat * Code)) : list (nat * Code) :=
  if has i m then m else m ++ [(i, c)].

Lemma addE_has : forall (i : nat) (c : Code) (m : list (nat * Code)),
    has i m = true -> addE i c m = m.
Proof.
  intros i c m h. unfold addE. rewrite h. reflexivity.
Qed.

Lemma addE_new : forall (i : nat) (c : Code) (m : list (nat * Code)),
    has i m = false -> addE i c m = m ++ [(i, c)].
Proof.
  intros i c m h. unfold addE. rewrite h. reflexivity.
Qed.

Lemma upd_hit : forall {A : Type} (env : Env A) (i j : nat) (v : A),
    eqn j i = true -> upd env i v j = Some v.
Proof.
  intros A env i j v h. unfold upd. rewrite h. reflexivity.
Qed.

Lemma upd_miss : forall {A : Type} (env : Env A) (i j : nat) (v : A),
    eqn j i = false -> upd env i v j = env j.
Proof.
  intros A env i j v h. unfold upd. rewrite h. reflexivity.
Qed.

(* Reading the manifest off the graph: each node once (by id), after its inputs. *)
Fixpoint emit (hash : Code -> nat) (t : Term) (m : list (nat * Code)) : list (nat * Code) :=
  match t with
  | src n => addE (gid hash t) (codeOf hash t) m
  | comp f u => addE (gid hash t) (codeOf hash t) (emit hash u m)
  | arch ms => addE (gid hash t) (codeOf hash t) (emitA hash ms m)
  | lnk k f ins => addE (gid hash t) (codeOf hash t) (emitA hash ins m)
  end
with emitA (hash : Code -> nat) (ts : Args) (m : list (nat * Code)) : list (nat * Code) :=
  match ts with
  | anil => m
  | acons u us => emitA hash us (emit hash u m)
  end.

Fixpoint emitL (hash : Code -> nat) (l : list Term) (m : list (nat * Code)) :
    list (nat * Code) :=
  match l with
  | [] => m
  | t :: l' => emitL hash l' (emit hash t m)
  end.

Definition manifest (hash : Code -> nat) (bs : Build) : Manifest :=
  mkManifest (emitL hash (extract bs) []) (map (gid hash) (extract bs)).

(* Invariants of the engine's state while the manifest is read. *)
Definition SoundEnv {A : Type} (hash : Code -> nat) (a : Alg A) (rho : nat -> A) (env : Env A) :
    Prop :=
  forall i v, env i = Some v -> exists u, gid hash u = i /\ v = eval a rho u.

Definition Covers {A : Type} (m : list (nat * Code)) (env : Env A) : Prop :=
  forall i, has i m = true -> exists v, env i = Some v.

Definition Good {A : Type} (hash : Code -> nat) (a : Alg A) (rho : nat -> A)
    (m : list (nat * Code)) : Prop :=
  exists env, runEntries a rho emptyEnv m = Some env /\ SoundEnv hash a rho env /\ Covers m env.

Definition Mono (m m' : list (nat * Code)) : Prop := forall i, has i m = true -> has i m' = true.

Fixpoint allHas (is : list nat) (m : list (nat * Code)) : Prop :=
  match is with
  | [] => True
  | i :: is' => has i m = true /\ allHas is' m
  end.

Lemma runEntries_snoc : forall {A : Type} (a : Alg A) (rho : nat -> A) (m : list (nat * Code))
    (env : Env A) (i : nat) (c : Code),
    runEntries a rho env (m ++ [(i, c)]) =
      bindO (runEntries a rho env m)
        (fun e => bindO (runCode a rho e c) (fun v => Some (upd e i v))).
Proof.
  intros A a rho m. induction m as [| [j d] m IH]; intros env i c.
  - reflexivity.
  - simpl. destruct (runCode a rho env d) as [v |].
    + exact (IH (upd env j v) i c).
    + reflexivity.
Qed.

Lemma has_snoc : forall (m : list (nat * Code)) (i j : nat) (c : Code),
    has j (m ++ [(i, c)]) = orb (has j m) (eqn i j).
Proof.
  intros m. induction m as [| [k d] m IH]; intros i j c.
  - exact (orb_false_r' (eqn i j)).
  - simpl. rewrite (IH i j c). exact (orb_assoc' (eqn k j) (has j m) (eqn i j)).
Qed.

Lemma mono_refl : forall m, Mono m m.
Proof.
  intros m i h. exact h.
Qed.

Lemma mono_trans : forall m1 m2 m3, Mono m1 m2 -> Mono m2 m3 -> Mono m1 m3.
Proof.
  intros m1 m2 m3 h12 h23 i h. exact (h23 i (h12 i h)).
Qed.

Lemma good_lookup : forall {A : Type} (hash : Code -> nat) (a : Alg A) (rho : nat -> A)
    (m : list (nat * Code)) (env : Env A) (u : Term),
    Injective hash -> SoundEnv hash a rho env -> Covers m env -> has (gid hash u) m = true ->
    env (gid hash u) = Some (eval a rho u).
Proof.
  intros A hash a rho m env u hinj hs hc hh.
  destruct (hc (gid hash u) hh) as [v hv].
  destruct (hs (gid hash u) v hv) as [u' [hu' hv']].
  rewrite (gid_injective hash hinj u' u hu') in hv'.
  rewrite hv. rewrite hv'. reflexivity.
Qed.

Lemma gids_anil : forall (hash : Code -> nat), gids hash anil = [].
Proof.
  intros hash. reflexivity.
Qed.

Lemma gids_cons : forall (hash : Code -> nat) (u : Term) (us : Args),
    gids hash (acons u us) = gid hash u :: gids hash us.
Proof.
  intros hash u us. reflexivity.
Qed.

Fixpoint lookups_gids {A : Type} (hash : Code -> nat) (a : Alg A) (rho : nat -> A)
    (m : list (nat * Code)) (env : Env A) (hinj : Injective hash)
    (hs : SoundEnv hash a rho env) (hc : Covers m env) (ts : Args)
    (hall : allHas (gids hash ts) m) {struct ts} :
    lookups env (gids hash ts) = Some (evals a rho ts).
Proof.
  destruct ts as [| u us].
  - reflexivity.
  - rewrite (gids_cons hash u us) in hall. destruct hall as [hu hus].
    rewrite (gids_cons hash u us). simpl lookups.
    rewrite (good_lookup hash a rho m env u hinj hs hc hu). rewrite bindO_some.
    rewrite (lookups_gids A hash a rho m env hinj hs hc us hus). rewrite bindO_some.
    reflexivity.
Qed.

Lemma lookups_map : forall {A : Type} (hash : Code -> nat) (a : Alg A) (rho : nat -> A)
    (m : list (nat * Code)) (env : Env A) (l : list Term),
    Injective hash -> SoundEnv hash a rho env -> Covers m env -> allHas (map (gid hash) l) m ->
    lookups env (map (gid hash) l) = Some (map (eval a rho) l).
Proof.
  intros A hash a rho m env l hinj hs hc. induction l as [| u l IH]; intros hall.
  - reflexivity.
  - simpl in hall. destruct hall as [hu hl]. simpl.
    rewrite (good_lookup hash a rho m env u hinj hs hc hu). rewrite bindO_some.
    rewrite (IH hl). rewrite bindO_some. reflexivity.
Qed.

Lemma allHas_mono : forall (is : list nat) (m m' : list (nat * Code)),
    Mono m m' -> allHas is m -> allHas is m'.
Proof.
  intros is. induction is as [| i is IH]; intros m m' hmono hall.
  - exact hall.
  - simpl in hall. destruct hall as [hi his]. simpl. split.
    + exact (hmono i hi).
    + exact (IH m m' hmono his).
Qed.

(* Adding one node whose inputs are already built keeps the invariant. *)
Lemma good_addE : forall {A : Type} (hash : Code -> nat) (a : Alg A) (rho : nat -> A)
    (m : list (nat * Code)) (u : Term),
    Injective hash -> Good hash a rho m ->
    (forall env, SoundEnv hash a rho env -> Covers m env ->
       runCode a rho env (codeOf hash u) = Some (eval a rho u)) ->
    Good hash a rho (addE (gid hash u) (codeOf hash u) m) /\
    has (gid hash u) (addE (gid hash u) (codeOf hash u) m) = true /\
    Mono m (addE (gid hash u) (codeOf hash u) m).
Proof.
  intros A hash a rho m u hinj hg hrun.
  destruct (bool_cases (has (gid hash u) m)) as [hh | hh].
  - rewrite (addE_has (gid hash u) (codeOf hash u) m hh).
    split; [exact hg | split; [exact hh | exact (mono_refl m)]].
  - rewrite (addE_new (gid hash u) (codeOf hash u) m hh).
    destruct hg as [env [hr [hs hc]]].
    split; [| split].
    + exists (upd env (gid hash u) (eval a rho u)). split; [| split].
      * rewrite (runEntries_snoc a rho m emptyEnv (gid hash u) (codeOf hash u)).
        rewrite hr. rewrite bindO_some. rewrite (hrun env hs hc). rewrite bindO_some.
        reflexivity.
      * intros j v hv. destruct (bool_cases (eqn j (gid hash u))) as [hj | hj].
        -- rewrite (upd_hit env (gid hash u) j (eval a rho u) hj) in hv.
           injection hv as hv. exists u. split.
           ++ symmetry. exact (eqn_true j (gid hash u) hj).
           ++ symmetry. exact hv.
        -- rewrite (upd_miss env (gid hash u) j (eval a rho u) hj) in hv. exact (hs j v hv).
      * intros j hj. rewrite (has_snoc m (gid hash u) j (codeOf hash u)) in hj.
        destruct (bool_cases (eqn j (gid hash u))) as [hju | hju].
        -- exists (eval a rho u). exact (upd_hit env (gid hash u) j (eval a rho u) hju).
        -- rewrite (upd_miss env (gid hash u) j (eval a rho u) hju).
           destruct (bool_cases (has j m)) as [hjm | hjm].
           ++ exact (hc j hjm).
           ++ pose proof (orb_elim (has j m) (eqn (gid hash u) j) hj hjm) as hj2.
              rewrite (eqn_true (gid hash u) j hj2) in hju.
              rewrite (eqn_refl j) in hju. discriminate hju.
    + rewrite (has_snoc m (gid hash u) (gid hash u) (codeOf hash u)).
      rewrite (eqn_refl (gid hash u)). exact (orb_true_r' _).
    + intros j hj. rewrite (has_snoc m (gid hash u) j (codeOf hash u)). rewrite hj.
      reflexivity.
Qed.

Fixpoint emit_ok {A : Type} (hash : Code -> nat) (a : Alg A) (rho : nat -> A)
    (hinj : Injective hash) (t : Term) (m : list (nat * Code)) (hg : Good hash a rho m)
    {struct t} :
    Good hash a rho (emit hash t m) /\ has (gid hash t) (emit hash t m) = true /\
    Mono m (emit hash t m)
with emitA_ok {A : Type} (hash : Code -> nat) (a : Alg A) (rho : nat -> A)
    (hinj : Injective hash) (ts : Args) (m : list (nat * Code)) (hg : Good hash a rho m)
    {struct ts} :
    Good hash a rho (emitA hash ts m) /\ allHas (gids hash ts) (emitA hash ts m) /\
    Mono m (emitA hash ts m).
Proof.
  - destruct t as [n | f u | ms | k f ins].
    + simpl. apply (good_addE hash a rho m (src n) hinj hg).
      intros env hs hc. reflexivity.
    + simpl. destruct (emit_ok A hash a rho hinj u m hg) as [hg1 [hh1 hm1]].
      destruct (good_addE hash a rho (emit hash u m) (comp f u) hinj hg1) as [hg2 [hh2 hm2]].
      * intros env hs hc. unfold codeOf. unfold runCode.
        rewrite (good_lookup hash a rho (emit hash u m) env u hinj hs hc hh1).
        rewrite bindO_some. reflexivity.
      * split; [exact hg2 | split; [exact hh2 | exact (mono_trans _ _ _ hm1 hm2)]].
    + simpl. destruct (emitA_ok A hash a rho hinj ms m hg) as [hg1 [hh1 hm1]].
      destruct (good_addE hash a rho (emitA hash ms m) (arch ms) hinj hg1) as [hg2 [hh2 hm2]].
      * intros env hs hc. unfold codeOf. unfold runCode.
        rewrite (lookups_gids hash a rho (emitA hash ms m) env hinj hs hc ms hh1).
        rewrite bindO_some. reflexivity.
      * split; [exact hg2 | split; [exact hh2 | exact (mono_trans _ _ _ hm1 hm2)]].
    + simpl. destruct (emitA_ok A hash a rho hinj ins m hg) as [hg1 [hh1 hm1]].
      destruct (good_addE hash a rho (emitA hash ins m) (lnk k f ins) hinj hg1)
        as [hg2 [hh2 hm2]].
      * intros env hs hc. unfold codeOf. unfold runCode.
        rewrite (lookups_gids hash a rho (emitA hash ins m) env hinj hs hc ins hh1).
        rewrite bindO_some. reflexivity.
      * split; [exact hg2 | split; [exact hh2 | exact (mono_trans _ _ _ hm1 hm2)]].
  - destruct ts as [| u us].
    + simpl. split; [exact hg | split; [exact I | exact (mono_refl m)]].
    + simpl. destruct (emit_ok A hash a rho hinj u m hg) as [hg1 [hh1 hm1]].
      destruct (emitA_ok A hash a rho hinj us (emit hash u m) hg1) as [hg2 [hh2 hm2]].
      split; [exact hg2 | split; [| exact (mono_trans _ _ _ hm1 hm2)]].
      unfold gids. simpl. split.
      * exact (hm2 (gid hash u) hh1).
      * exact hh2.
Qed.

Lemma emitL_mono : forall {A : Type} (hash : Code -> nat) (a : Alg A) (rho : nat -> A)
    (l : list Term) (m : list (nat * Code)),
    Injective hash -> Good hash a rho m -> Mono m (emitL hash l m).
Proof.
  intros A hash a rho l. induction l as [| t l IH]; intros m hinj hg.
  - exact (mono_refl m).
  - simpl. destruct (emit_ok hash a rho hinj t m hg) as [hg1 [_ hm1]].
    exact (mono_trans _ _ _ hm1 (IH (emit hash t m) hinj hg1)).
Qed.

Lemma emitL_ok : forall {A : Type} (hash : Code -> nat) (a : Alg A) (rho : nat -> A)
    (l : list Term) (m : list (nat * Code)),
    Injective hash -> Good hash a rho m ->
    Good hash a rho (emitL hash l m) /\ allHas (map (gid hash) l) (emitL hash l m).
Proof.
  intros A hash a rho l. induction l as [| t l IH]; intros m hinj hg.
  - simpl. split; [exact hg | exact I].
  - simpl. destruct (emit_ok hash a rho hinj t m hg) as [hg1 [hh1 _]].
    destruct (IH (emit hash t m) hinj hg1) as [hg2 hall2].
    split; [exact hg2 | split; [| exact hall2]].
    exact (emitL_mono hash a rho l (emit hash t m) hinj hg1 (gid hash t) hh1).
Qed.

Lemma good_empty : forall {A : Type} (hash : Code -> nat) (a : Alg A) (rho : nat -> A),
    Good hash a rho [].
Proof.
  intros A hash a rho. exists emptyEnv. split; [| split].
  - reflexivity.
  - intros i v hv. unfold emptyEnv in hv. discriminate hv.
  - intros i hi. simpl in hi. discriminate hi.
Qed.

(* The manifest read off the extracted graph, run by the engine in the real algebra, gives the
   real build's outputs. *)
Theorem migration : forall (bs : Build) (hash : Code -> nat), Parametric bs -> Injective hash ->
  forall (A : Type) (a : Alg A) (rho : nat -> A),
    runManifest a rho (manifest hash bs) = Some (bs A a rho).
Proof.
  intros bs hash hp hinj A a rho.
  rewrite (factorisation bs hp A a rho).
  destruct (emitL_ok hash a rho (extract bs) [] hinj (good_empty hash a rho))
    as [[env [hr [hs hc]]] hall].
  unfold runManifest. unfold manifest. unfold entries. unfold outs. rewrite hr.
  rewrite bindO_some.
  exact (lookups_map hash a rho (emitL hash (extract bs) []) env (extract bs) hinj hs hc hall).
Qed.

(* Each id is one entry of the manifest: a shared node is one target. *)
Fixpoint uniq (m : list (nat * Code)) : Prop :=
  match m with
  | [] => True
  | (i, _) :: m' => has i m' = false /\ uniq m'
  end.

Lemma eqn_sym : forall m n, eqn m n = eqn n m.
Proof.
  intros m. induction m as [| m IH]; intros n; destruct n as [| n]; simpl.
  - reflexivity.
  - reflexivity.
  - reflexivity.
  - exact (IH n).
Qed.

Lemma uniq_snoc : forall (m : list (nat * Code)) (i : nat) (c : Code),
    uniq m -> has i m = false -> uniq (m ++ [(i, c)]).
Proof.
  intros m. induction m as [| [j d] m IH]; intros i c hu hh.
  - simpl. split; reflexivity.
  - simpl in hu. destruct hu as [hj hu]. simpl in hh.
    destruct (bool_cases (eqn j i)) as [hji | hji].
    + rewrite hji in hh. discriminate hh.
    + rewrite hji in hh. simpl. split.
      * rewrite (has_snoc m i j c). rewrite hj. rewrite (eqn_sym i j). rewrite hji.
        reflexivity.
      * exact (IH i c hu hh).
Qed.

Lemma uniq_addE : forall (m : list (nat * Code)) (i : nat) (c : Code),
    uniq m -> uniq (addE i c m).
Proof.
  intros m i c hu. destruct (bool_cases (has i m)) as [hh | hh].
  - rewrite (addE_has i c m hh). exact hu.
  - rewrite (addE_new i c m hh). exact (uniq_snoc m i c hu hh).
Qed.

Fixpoint uniq_emit (hash : Code -> nat) (t : Term) (m : list (nat * Code)) (hu : uniq m)
    {struct t} : uniq (emit hash t m)
with uniq_emitA (hash : Code -> nat) (ts : Args) (m : list (nat * Code)) (hu : uniq m)
    {struct ts} : uniq (emitA hash ts m).
Proof.
  - destruct t as [n | f u | ms | k f ins]; simpl.
    + exact (uniq_addE m _ _ hu).
    + exact (uniq_addE _ _ _ (uniq_emit hash u m hu)).
    + exact (uniq_addE _ _ _ (uniq_emitA hash ms m hu)).
    + exact (uniq_addE _ _ _ (uniq_emitA hash ins m hu)).
  - destruct ts as [| u us]; simpl.
    + exact hu.
    + exact (uniq_emitA hash us (emit hash u m) (uniq_emit hash u m hu)).
Qed.

Lemma uniq_emitL : forall (hash : Code -> nat) (l : list Term) (m : list (nat * Code)),
    uniq m -> uniq (emitL hash l m).
Proof.
  intros hash l. induction l as [| t l IH]; intros m hu.
  - exact hu.
  - simpl. exact (IH (emit hash t m) (uniq_emit hash t m hu)).
Qed.

Theorem manifest_uniq : forall (hash : Code -> nat) (bs : Build),
    uniq (entries (manifest hash bs)).
Proof.
  intros hash bs. exact (uniq_emitL hash (extract bs) [] I).
Qed.

(* ---------------------------------------------------------------------------------------- *)
(* Theorem 6: phases *)

(* A phased build: a configure phase that may inspect real artifacts (any function of the real
   algebra and the real sources), whose result fixes a build phase. Only the build phase is
   assumed parametric. *)
Record Phased (C R : Type) : Type := mkPhased {
  configure : Alg R -> (nat -> R) -> C;
  buildPhase : C -> Build
}.

Arguments mkPhased {C R}.
Arguments configure {C R}.
Arguments buildPhase {C R}.

Definition runPhased {C R : Type} (p : Phased C R) (real : Alg R) (rho : nat -> R) : list R :=
  buildPhase p (configure p real rho) R real rho.

Definition PhaseParametric {C R : Type} (p : Phased C R) : Prop :=
  forall c : C, Parametric (buildPhase p c).

(* The confession: configure for real, then run the build phase on GraphNodes. *)
Definition confessPhased {C R : Type} (p : Phased C R) (real : Alg R) (rho : nat -> R) :
    list Term :=
  extract (buildPhase p (configure p real rho)).

Theorem phase_factorisation : forall {C R : Type} (p : Phased C R), PhaseParametric p ->
  forall (real : Alg R) (rho : nat -> R),
    runPhased p real rho = map (eval real rho) (confessPhased p real rho).
Proof.
  intros C R p hp real rho.
  exact (factorisation (buildPhase p (configure p real rho)) (hp _) R real rho).
Qed.

(* Given the configure results, sources outside the confessed graph do not matter. *)
Theorem phase_soundness : forall {C R : Type} (p : Phased C R), PhaseParametric p ->
  forall (real : Alg R) (r1 r2 : nat -> R),
    configure p real r1 = configure p real r2 ->
    (forall s, occursL s (confessPhased p real r1) -> r1 s = r2 s) ->
    runPhased p real r1 = runPhased p real r2.
Proof.
  intros C R p hp real r1 r2 hc hag.
  unfold runPhased. rewrite <- hc.
  exact (soundness (buildPhase p (configure p real r1)) (hp _) R real r1 r2 hag).
Qed.

Theorem phase_completeness : forall {C R : Type} (p : Phased C R), PhaseParametric p ->
  forall (c : C) (s : nat), occursL s (extract (buildPhase p c)) ->
    exists (A : Type) (a : Alg A) (r1 r2 : nat -> A),
      (forall n, n <> s -> r1 n = r2 n) /\ buildPhase p c A a r1 <> buildPhase p c A a r2.
Proof.
  intros C R p hp c s ho. exact (completeness (buildPhase p c) (hp c) s ho).
Qed.

Theorem phase_gn_extraction : forall {C R : Type} (p : Phased C R), PhaseParametric p ->
  forall (c : C) (hash : Code -> nat),
    buildPhase p c nat (gnAlg hash) (gsrc hash) = map (gid hash) (extract (buildPhase p c)).
Proof.
  intros C R p hp c hash. exact (gn_extraction (buildPhase p c) (hp c) hash).
Qed.

Theorem phase_migration : forall {C R : Type} (p : Phased C R) (hash : Code -> nat),
  PhaseParametric p -> Injective hash ->
  forall (real : Alg R) (rho : nat -> R),
    runManifest real rho (manifest hash (buildPhase p (configure p real rho))) =
      Some (runPhased p real rho).
Proof.
  intros C R p hash hp hinj real rho.
  exact (migration (buildPhase p (configure p real rho)) hash (hp _) hinj R real rho).
Qed.
