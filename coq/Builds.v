(* Builds.v: a model of builds that look inside their artifacts, and the theorems confess rests
   on, checked by coqc and coqchk. Standard library only; no axioms, no admitted proofs, no
   section variables: everything abstract (the toolchain, the hash, the input files) is an
   explicit argument of each theorem.

   The model.
   - Contents are [list nat]; a file system [FS] maps a path (directory, name) to [Some content]
     or [None] (no such file). It is the source tree plus system files.
   - A build is a term of the inductive type [build]. Artifacts live in registers (a de Bruijn
     environment: index 0 is the newest). The constructs: read a file (the build sees whether it
     exists, and branches), write a literal file, compile a source with the headers an include
     search finds (ordered include directories; the first directory holding the file wins; if
     an include is not found the compile fails and the build takes its [missing] branch),
     archive ordered members, link ordered inputs (executable, shared library, or [ld -r]),
     run a program artifact on input artifacts to generate a file (codegen), write an artifact
     to a path (so later reads and include searches find it), OBSERVE an artifact (run it, nm
     it, take its exit code, scan it, cat it) and continue with a function of what was seen,
     and finish with named outputs. [Observe] is the only construct whose continuation depends
     on an artifact's content.
   - [run D fs env ws b] interprets a term in a domain [D] of artifacts. Two domains:
       [realD T]: artifacts are real contents computed by the toolchain [T];
       [tokD T hash fs]: artifacts are GraphNodes (tokens); an observation is answered by
         REALIZING the node ([realize T fs n], its real content) and observing that, which
         is what confess does.
     [real T fs b] and [confess T hash fs b] are the two runs of the same term. Each returns
     the trace (file existence seen by probes, observation values), the observed artifacts,
     and the outputs (or [None] if the term refers to a register that does not exist).
   - A GraphNode is a leaf (a file read from [fs]: kind, path and the HASH of its content), a
     literal written by the build, or a tool application (operation and ORDERED inputs).
     Node ids are Merkle hashes ([mid]), as confess's token ids are: the hash of a code made of
     the node's own fields and its inputs' ids. [encode] is the full serialization (the code
     with the identity as hash) and is injective. The hash is an arbitrary function
     [list nat -> list nat]; nothing assumes it injective.
   - [depends T fs b o f] (the real dependency relation) is defined from [real] alone: some
     edit of file [f] that leaves the build's trace unchanged changes output [o].

   The theorems (docs/theorems-builds-draft.md says each in words, with what it leaves out).
   T1 factorisation, factorisation_trace, factorisation_output.
   T2 soundness_edge, soundness_leaf_edge, soundness_direct (direct edges, [SensitiveOp]);
      soundness_path, soundness_injective (reachability, injectivity along the path).
   T3 completeness, completeness_dep (no hypothesis on the toolchain).
   T4 encode_injective, id_collision, id_eq_cases, flat_id_collision, encode_leaf_content,
      leaf_id_content, encode_order, id_content, confess_id_content.
   T5 migration, migration_checkable, migration_checkable_trace, graph_stable,
      migration_needs_trace.
   T6 configure_graph, configure_phase, codegen_graph, codegen_phase, compile_scanned_trace.
   Non-vacuity: exT_posinj, exT_sensitive, exU_sensitive, exU_not_posinj,
      unused_member_example, soundness_example, soundness_direct_example,
      needs_trace_example. *)

Require Import List Arith Bool.
Import ListNotations.

(* ======================================================================================== *)
(* Contents, files, artifacts, the toolchain *)

Definition content : Set := list nat.
Definition path : Set := (nat * nat)%type.       (* (directory, name) *)
Definition FS : Type := path -> option content.
Definition obs : Set := list nat.

(* How a file read from the file system is used. *)
Inductive rkind : Set := RSource | RHeader.
(* What a link produces: an executable, a shared library, or a relocatable object (ld -r). *)
Inductive lkind : Set := LExe | LShared | LPartial.
(* Ways a build looks inside an artifact. *)
Inductive okind : Set := ORun | ONm | OExit | OScan | OCat.

(* Tool operations. *)
Inductive op : Set :=
| OCompile (fl : list nat)             (* inputs: source, then found headers in order *)
| OArchive                             (* inputs: members in order *)
| OLink (k : lkind) (fl : list nat)    (* inputs: objects, archives, shared libs in order *)
| OGen (args : list nat).              (* inputs: the program, then its input files *)

(* GraphNodes. *)
Inductive node : Set :=
| Leaf (k : rkind) (p : path) (h : list nat)   (* a file of fs: kind, path, content hash *)
| LitN (c : content)                           (* a file the build writes from its own data *)
| Op (o : op) (ins : list node).               (* a tool run on ordered inputs *)

Inductive kind : Set :=
| KSource | KHeader | KObject | KArchive | KSharedLib | KExe | KGenerated.

Definition kind_of (n : node) : kind :=
  match n with
  | Leaf RSource _ _ => KSource
  | Leaf RHeader _ _ => KHeader
  | LitN _ => KGenerated
  | Op (OCompile _) _ => KObject
  | Op OArchive _ => KArchive
  | Op (OLink LExe _) _ => KExe
  | Op (OLink LShared _) _ => KSharedLib
  | Op (OLink LPartial _) _ => KObject
  | Op (OGen _) _ => KGenerated
  end.

(* The real toolchain: an arbitrary record of functions. *)
Record Toolchain : Type := mkToolchain {
  cc : list nat -> content -> list content -> content;   (* flags, source, headers found *)
  ar : list content -> content;                          (* members in order *)
  ld : lkind -> list nat -> list content -> content;     (* kind, flags, inputs in order *)
  gen : list nat -> content -> list content -> content;  (* args, program, inputs *)
  observe : okind -> content -> obs                      (* run, nm, exit code, ... *)
}.

Definition apply_op (T : Toolchain) (o : op) (xs : list content) : content :=
  match o with
  | OCompile fl => cc T fl (hd [] xs) (tl xs)
  | OArchive => ar T xs
  | OLink k fl => ld T k fl xs
  | OGen a => gen T a (hd [] xs) (tl xs)
  end.

(* The real content of a node: leaves are read from fs, tools are run for real. *)
Fixpoint realize (T : Toolchain) (fs : FS) (n : node) : content :=
  match n with
  | Leaf _ p _ => match fs p with Some c => c | None => [] end
  | LitN c => c
  | Op o ins => apply_op T o (map (realize T fs) ins)
  end.

(* ======================================================================================== *)
(* Build terms *)

Inductive build : Type :=
| Read (k : rkind) (p : path) (present absent : build)
| Lit (c : content) (next : build)
| Compile (fl : list nat) (src : nat) (incs dirs : list nat) (ok missing : build)
| Archive (members : list nat) (next : build)
| Link (k : lkind) (fl : list nat) (inputs : list nat) (next : build)
| Gen (args : list nat) (prog : nat) (inputs : list nat) (next : build)
| Write (p : path) (r : nat) (next : build)
| Observe (o : okind) (r : nat) (k : obs -> build)
| Done (outs : list (nat * nat)).          (* (output name, register) *)

(* What a build sees of the world: whether a file exists (probes answered by fs), and the
   values of its observations. *)
Inductive event : Set :=
| EExists (p : path) (b : bool)
| EObs (o : okind) (v : obs).

(* A domain of artifacts: how to make a leaf, a literal, a tool application, and how to
   answer an observation. *)
Record Dom (A : Type) : Type := mkDom {
  dleaf : rkind -> path -> content -> A;
  dlit : content -> A;
  dop : op -> list A -> A;
  dlook : okind -> A -> obs
}.
Arguments mkDom {A}.
Arguments dleaf {A}.
Arguments dlit {A}.
Arguments dop {A}.
Arguments dlook {A}.

Record Res (A : Type) : Type := mkRes {
  trace : list event;
  looked : list (okind * A);
  outs : option (list (nat * A))
}.
Arguments mkRes {A}.
Arguments trace {A}.
Arguments looked {A}.
Arguments outs {A}.

Definition path_eqb (p q : path) : bool := Nat.eqb (fst p) (fst q) && Nat.eqb (snd p) (snd q).

Fixpoint lookup {K X : Type} (eqb : K -> K -> bool) (k : K) (l : list (K * X)) : option X :=
  match l with
  | [] => None
  | (k', x) :: l' => if eqb k k' then Some x else lookup eqb k l'
  end.

Fixpoint regs {A : Type} (env : list A) (rs : list nat) : option (list A) :=
  match rs with
  | [] => Some []
  | r :: rs' =>
      match nth_error env r with
      | None => None
      | Some a => match regs env rs' with None => None | Some xs => Some (a :: xs) end
      end
  end.

(* A probe: is there a file at p? Files the build wrote itself (ws) answer without an event;
   files of fs answer with an event the build sees. *)
Definition probe {A : Type} (D : Dom A) (fs : FS) (ws : list (path * A)) (k : rkind) (p : path)
    : list event * option A :=
  match lookup path_eqb p ws with
  | Some a => ([], Some a)
  | None =>
      match fs p with
      | Some c => ([EExists p true], Some (dleaf D k p c))
      | None => ([EExists p false], None)
      end
  end.

(* Include search for one include: the first directory holding the file. *)
Fixpoint find1 {A : Type} (D : Dom A) (fs : FS) (ws : list (path * A)) (i : nat)
    (ds : list nat) : list event * option A :=
  match ds with
  | [] => ([], None)
  | d :: ds' =>
      match probe D fs ws RHeader (d, i) with
      | (e, Some a) => (e, Some a)
      | (e, None) => match find1 D fs ws i ds' with (e', r) => (e ++ e', r) end
      end
  end.

(* Include search for each include in order; stops at the first include not found. *)
Fixpoint search {A : Type} (D : Dom A) (fs : FS) (ws : list (path * A)) (incs ds : list nat)
    : list event * option (list A) :=
  match incs with
  | [] => ([], Some [])
  | i :: is =>
      match find1 D fs ws i ds with
      | (e, None) => (e, None)
      | (e, Some a) =>
          match search D fs ws is ds with
          | (e', None) => (e ++ e', None)
          | (e', Some hs) => (e ++ e', Some (a :: hs))
          end
      end
  end.

Definition fail {A : Type} : Res A := mkRes [] [] None.

Definition pre {A : Type} (e : list event) (r : Res A) : Res A :=
  mkRes (e ++ trace r) (looked r) (outs r).

(* The interpreter, generic in the artifact domain. *)
Fixpoint run {A : Type} (D : Dom A) (fs : FS) (env : list A) (ws : list (path * A)) (b : build)
    {struct b} : Res A :=
  match b with
  | Read k p bp ba =>
      match probe D fs ws k p with
      | (e, Some a) => pre e (run D fs (a :: env) ws bp)
      | (e, None) => pre e (run D fs env ws ba)
      end
  | Lit c nx => run D fs (dlit D c :: env) ws nx
  | Compile fl s incs ds bok bmiss =>
      match nth_error env s with
      | None => fail
      | Some sa =>
          match search D fs ws incs ds with
          | (e, Some hs) => pre e (run D fs (dop D (OCompile fl) (sa :: hs) :: env) ws bok)
          | (e, None) => pre e (run D fs env ws bmiss)
          end
      end
  | Archive ms nx =>
      match regs env ms with
      | None => fail
      | Some xs => run D fs (dop D OArchive xs :: env) ws nx
      end
  | Link k fl is nx =>
      match regs env is with
      | None => fail
      | Some xs => run D fs (dop D (OLink k fl) xs :: env) ws nx
      end
  | Gen a pr is nx =>
      match regs env (pr :: is) with
      | None => fail
      | Some xs => run D fs (dop D (OGen a) xs :: env) ws nx
      end
  | Write p r nx =>
      match nth_error env r with
      | None => fail
      | Some a => run D fs env ((p, a) :: ws) nx
      end
  | Observe o r k =>
      match nth_error env r with
      | None => fail
      | Some a =>
          let v := dlook D o a in
          let rr := run D fs env ws (k v) in
          mkRes (EObs o v :: trace rr) ((o, a) :: looked rr) (outs rr)
      end
  | Done os =>
      match regs env (map snd os) with
      | None => fail
      | Some xs => mkRes [] [] (Some (combine (map fst os) xs))
      end
  end.

(* The real build. *)
Definition realD (T : Toolchain) : Dom content :=
  mkDom (fun _ _ c => c) (fun c => c) (apply_op T) (observe T).

(* The confession: tokens, with observations answered by realizing. *)
Definition tokD (T : Toolchain) (hash : list nat -> list nat) (fs : FS) : Dom node :=
  mkDom (fun k p c => Leaf k p (hash c)) LitN Op (fun o n => observe T o (realize T fs n)).

Definition real (T : Toolchain) (fs : FS) (b : build) : Res content := run (realD T) fs [] [] b.

Definition confess (T : Toolchain) (hash : list nat -> list nat) (fs : FS) (b : build)
    : Res node := run (tokD T hash fs) fs [] [] b.

(* Output o of a run. *)
Definition output {A : Type} (r : Res A) (o : nat) : option A :=
  match outs r with
  | Some G => lookup Nat.eqb o G
  | None => None
  end.

(* Files of a node: the paths of its leaves (with multiplicity), and with their hashes. *)
Fixpoint lvs (n : node) : list (path * list nat) :=
  match n with
  | Leaf _ p h => [(p, h)]
  | LitN _ => []
  | Op _ ins => flat_map lvs ins
  end.

Definition leaves (n : node) : list path := map fst (lvs n).

(* A node is well formed for fs and hash: each leaf's file exists and its hash is the hash of
   the file's content. *)
Definition WF (hash : list nat -> list nat) (fs : FS) (n : node) : Prop :=
  forall p h, In (p, h) (lvs n) -> exists c, fs p = Some c /\ h = hash c.

(* Editing one file. *)
Definition upd (fs : FS) (f : path) (v : option content) : FS :=
  fun p => if path_eqb p f then v else fs p.

(* ======================================================================================== *)
(* The real dependency relation, defined from the real build alone: output o depends on file
   f when some edit of f that leaves everything the build sees (existence probes and
   observations) unchanged changes output o. *)
Definition depends (T : Toolchain) (fs : FS) (b : build) (o : nat) (f : path) : Prop :=
  exists v : option content,
    trace (real T (upd fs f v) b) = trace (real T fs b) /\
    output (real T (upd fs f v) b) o <> output (real T fs b) o.

(* ======================================================================================== *)
(* Basic lemmas *)

Definition isS {X : Type} (o : option X) : bool := match o with Some _ => true | None => false end.

Definition msnd {X A B : Type} (h : A -> B) (l : list (X * A)) : list (X * B) :=
  map (fun xa => (fst xa, h (snd xa))) l.

Definition mapres {A B : Type} (h : A -> B) (r : Res A) : Res B :=
  mkRes (trace r) (msnd h (looked r)) (option_map (msnd h) (outs r)).

Lemma path_eqb_true : forall p q, path_eqb p q = true <-> p = q.
Proof.
  intros [a b] [c d]. unfold path_eqb. simpl. rewrite andb_true_iff.
  rewrite !Nat.eqb_eq. split.
  - intros [-> ->]. reflexivity.
  - intros H. injection H as -> ->. split; reflexivity.
Qed.

Lemma path_eqb_refl : forall p, path_eqb p p = true.
Proof. intros p. apply path_eqb_true. reflexivity. Qed.

Lemma path_eqb_false : forall p q, p <> q -> path_eqb p q = false.
Proof.
  intros p q H. destruct (path_eqb p q) eqn:E.
  - apply path_eqb_true in E. contradiction.
  - reflexivity.
Qed.

Definition path_eq_dec (p q : path) : {p = q} + {p <> q}.
Proof.
  destruct (path_eqb p q) eqn:E.
  - left. apply path_eqb_true. exact E.
  - right. intros H. apply path_eqb_true in H. rewrite H in E. discriminate.
Defined.

Lemma upd_same : forall fs f v, upd fs f v f = v.
Proof. intros fs f v. unfold upd. rewrite path_eqb_refl. reflexivity. Qed.

Lemma upd_other : forall fs f v p, p <> f -> upd fs f v p = fs p.
Proof. intros fs f v p H. unfold upd. rewrite (path_eqb_false p f H). reflexivity. Qed.

Lemma lookup_msnd : forall {K A B : Type} (eqb : K -> K -> bool) (h : A -> B) k
    (l : list (K * A)),
    lookup eqb k (msnd h l) = option_map h (lookup eqb k l).
Proof.
  intros K A B eqb h k l. induction l as [| [k' a] l IH]; simpl.
  - reflexivity.
  - destruct (eqb k k'); [reflexivity | exact IH].
Qed.

Lemma nth_error_map' : forall {A B : Type} (h : A -> B) (l : list A) n,
    nth_error (map h l) n = option_map h (nth_error l n).
Proof.
  intros A B h l. induction l as [| x l IH]; intros n; destruct n; simpl; auto.
Qed.

Lemma regs_map : forall {A B : Type} (h : A -> B) (env : list A) rs,
    regs (map h env) rs = option_map (map h) (regs env rs).
Proof.
  intros A B h env rs. induction rs as [| r rs IH]; simpl.
  - reflexivity.
  - rewrite nth_error_map'. destruct (nth_error env r); simpl; [| reflexivity].
    rewrite IH. destruct (regs env rs); reflexivity.
Qed.

Lemma combine_msnd : forall {X A B : Type} (h : A -> B) (l : list X) (xs : list A),
    combine l (map h xs) = msnd h (combine l xs).
Proof.
  intros X A B h l. induction l as [| x l IH]; intros xs; destruct xs; simpl; auto.
  rewrite IH. reflexivity.
Qed.

(* ======================================================================================== *)
(* Simulation: the same term run in two domains related by a map h. *)

(* h maps leaves read from files that exist in both file systems, literals and tool
   applications of domain A to those of domain B. *)
Definition Sim {A B : Type} (DA : Dom A) (DB : Dom B) (h : A -> B) (fsA fsB : FS) : Prop :=
  (forall k p cA cB, fsA p = Some cA -> fsB p = Some cB -> h (dleaf DA k p cA) = dleaf DB k p cB) /\
  (forall c, h (dlit DA c) = dlit DB c) /\
  (forall o xs, h (dop DA o xs) = dop DB o (map h xs)).


Lemma probe_agree : forall {A B : Type} (DA : Dom A) (DB : Dom B) h fsA fsB ws k p eA oA,
    Sim DA DB h fsA fsB ->
    probe DA fsA ws k p = (eA, oA) ->
    (forall q e, In (EExists q e) eA -> isS (fsA q) = isS (fsB q)) ->
    probe DB fsB (msnd h ws) k p = (eA, option_map h oA).
Proof.
  intros A B DA DB h fsA fsB ws k p eA oA [HL _] HA Hq. unfold probe in *.
  rewrite lookup_msnd. destruct (lookup path_eqb p ws) as [a |]; simpl.
  - injection HA as <- <-. reflexivity.
  - destruct (fsA p) as [cA |] eqn:EA; destruct (fsB p) as [cB |] eqn:EB;
      injection HA as <- <-.
    + simpl. rewrite (HL k p cA cB EA EB). reflexivity.
    + specialize (Hq p true (or_introl eq_refl)). rewrite EA, EB in Hq. discriminate.
    + specialize (Hq p false (or_introl eq_refl)). rewrite EA, EB in Hq. discriminate.
    + reflexivity.
Qed.

Lemma probe_split : forall {A B : Type} (DA : Dom A) (DB : Dom B) h fsA fsB ws k p eA oA eB oB
    (tA tB : list event),
    Sim DA DB h fsA fsB ->
    probe DA fsA ws k p = (eA, oA) -> probe DB fsB (msnd h ws) k p = (eB, oB) ->
    eB ++ tB = eA ++ tA ->
    eB = eA /\ oB = option_map h oA /\ tB = tA.
Proof.
  intros A B DA DB h fsA fsB ws k p eA oA eB oB tA tB [HL _] HA HB Ht. unfold probe in *.
  rewrite lookup_msnd in HB. destruct (lookup path_eqb p ws) as [a |]; simpl in HB.
  - injection HA as <- <-. injection HB as <- <-. simpl in Ht. auto.
  - destruct (fsA p) as [cA |] eqn:EA; destruct (fsB p) as [cB |] eqn:EB;
      injection HA as <- <-; injection HB as <- <-; simpl in Ht; injection Ht as Ht.
    + simpl. rewrite (HL k p cA cB EA EB). auto.
    + discriminate.
    + discriminate.
    + auto.
Qed.

Lemma find1_agree : forall {A B : Type} (DA : Dom A) (DB : Dom B) h fsA fsB ws i ds eA oA,
    Sim DA DB h fsA fsB ->
    find1 DA fsA ws i ds = (eA, oA) ->
    (forall q e, In (EExists q e) eA -> isS (fsA q) = isS (fsB q)) ->
    find1 DB fsB (msnd h ws) i ds = (eA, option_map h oA).
Proof.
  intros A B DA DB h fsA fsB ws i ds. induction ds as [| d ds IH]; intros eA oA HS HA Hq.
  - simpl in *. injection HA as <- <-. reflexivity.
  - simpl in *. destruct (probe DA fsA ws RHeader (d, i)) as [e1 [a1 |]] eqn:P.
    + injection HA as <- <-. rewrite (probe_agree DA DB h fsA fsB ws RHeader (d, i) e1 (Some a1)
        HS P Hq). reflexivity.
    + destruct (find1 DA fsA ws i ds) as [e2 r2] eqn:F. injection HA as <- <-.
      rewrite (probe_agree DA DB h fsA fsB ws RHeader (d, i) e1 None HS P
        (fun q e H => Hq q e (in_or_app _ _ _ (or_introl H)))).
      rewrite (IH e2 r2 HS eq_refl (fun q e H => Hq q e (in_or_app _ _ _ (or_intror H)))).
      reflexivity.
Qed.

Lemma find1_split : forall {A B : Type} (DA : Dom A) (DB : Dom B) h fsA fsB ws i ds eA oA eB oB
    (tA tB : list event),
    Sim DA DB h fsA fsB ->
    find1 DA fsA ws i ds = (eA, oA) -> find1 DB fsB (msnd h ws) i ds = (eB, oB) ->
    eB ++ tB = eA ++ tA ->
    eB = eA /\ oB = option_map h oA /\ tB = tA.
Proof.
  intros A B DA DB h fsA fsB ws i ds. induction ds as [| d ds IH];
    intros eA oA eB oB tA tB HS HA HB Ht.
  - simpl in *. injection HA as <- <-. injection HB as <- <-. simpl in Ht. auto.
  - simpl in *.
    destruct (probe DA fsA ws RHeader (d, i)) as [e1 r1] eqn:P.
    destruct (probe DB fsB (msnd h ws) RHeader (d, i)) as [e1' r1'] eqn:P'.
    destruct r1 as [a1 |]; destruct r1' as [b1 |].
    + injection HA as <- <-. injection HB as <- <-.
      exact (probe_split DA DB h fsA fsB ws RHeader (d, i) _ _ _ _ tA tB HS P P' Ht).
    + destruct (find1 DB fsB (msnd h ws) i ds) as [e2' r2'] eqn:F'.
      injection HA as <- <-. injection HB as <- <-. rewrite <- app_assoc in Ht.
      destruct (probe_split DA DB h fsA fsB ws RHeader (d, i) _ _ _ _ tA _ HS P P' Ht)
        as [_ [Hc _]]. discriminate.
    + destruct (find1 DA fsA ws i ds) as [e2 r2] eqn:F.
      injection HA as <- <-. injection HB as <- <-. rewrite <- app_assoc in Ht.
      destruct (probe_split DA DB h fsA fsB ws RHeader (d, i) _ _ _ _ _ tB HS P P' Ht)
        as [_ [Hc _]]. discriminate.
    + destruct (find1 DA fsA ws i ds) as [e2 r2] eqn:F.
      destruct (find1 DB fsB (msnd h ws) i ds) as [e2' r2'] eqn:F'.
      injection HA as <- <-. injection HB as <- <-. rewrite <- !app_assoc in Ht.
      destruct (probe_split DA DB h fsA fsB ws RHeader (d, i) _ _ _ _ _ _ HS P P' Ht)
        as [-> [_ Ht2]].
      destruct (IH e2 r2 e2' r2' tA tB HS eq_refl eq_refl Ht2) as [-> [-> ->]]. auto.
Qed.

Lemma search_agree : forall {A B : Type} (DA : Dom A) (DB : Dom B) h fsA fsB ws ds incs eA oA,
    Sim DA DB h fsA fsB ->
    search DA fsA ws incs ds = (eA, oA) ->
    (forall q e, In (EExists q e) eA -> isS (fsA q) = isS (fsB q)) ->
    search DB fsB (msnd h ws) incs ds = (eA, option_map (map h) oA).
Proof.
  intros A B DA DB h fsA fsB ws ds incs. induction incs as [| i incs IH]; intros eA oA HS HA Hq.
  - simpl in *. injection HA as <- <-. reflexivity.
  - simpl in *. destruct (find1 DA fsA ws i ds) as [e1 [a1 |]] eqn:F.
    + destruct (search DA fsA ws incs ds) as [e2 r2] eqn:S.
      assert (Hq1 : forall q e, In (EExists q e) e1 -> isS (fsA q) = isS (fsB q)).
      { intros q e H. apply (Hq q e). destruct r2; injection HA as <- <-;
          apply in_or_app; left; exact H. }
      assert (Hq2 : forall q e, In (EExists q e) e2 -> isS (fsA q) = isS (fsB q)).
      { intros q e H. apply (Hq q e). destruct r2; injection HA as <- <-;
          apply in_or_app; right; exact H. }
      rewrite (find1_agree DA DB h fsA fsB ws i ds e1 (Some a1) HS F Hq1).
      rewrite (IH e2 r2 HS eq_refl Hq2).
      destruct r2; injection HA as <- <-; reflexivity.
    + injection HA as <- <-.
      rewrite (find1_agree DA DB h fsA fsB ws i ds e1 None HS F Hq). reflexivity.
Qed.

Lemma search_split : forall {A B : Type} (DA : Dom A) (DB : Dom B) h fsA fsB ws ds incs
    eA oA eB oB (tA tB : list event),
    Sim DA DB h fsA fsB ->
    search DA fsA ws incs ds = (eA, oA) -> search DB fsB (msnd h ws) incs ds = (eB, oB) ->
    eB ++ tB = eA ++ tA ->
    eB = eA /\ oB = option_map (map h) oA /\ tB = tA.
Proof.
  intros A B DA DB h fsA fsB ws ds incs. induction incs as [| i incs IH];
    intros eA oA eB oB tA tB HS HA HB Ht.
  - simpl in *. injection HA as <- <-. injection HB as <- <-. simpl in Ht. auto.
  - simpl in *.
    destruct (find1 DA fsA ws i ds) as [e1 r1] eqn:F.
    destruct (find1 DB fsB (msnd h ws) i ds) as [e1' r1'] eqn:F'.
    destruct r1 as [a1 |]; destruct r1' as [b1 |].
    + destruct (search DA fsA ws incs ds) as [e2 r2] eqn:S.
      destruct (search DB fsB (msnd h ws) incs ds) as [e2' r2'] eqn:S'.
      assert (Ht' : e1' ++ (e2' ++ tB) = e1 ++ (e2 ++ tA)).
      { rewrite !app_assoc. destruct r2; destruct r2'; injection HA as <- <-;
          injection HB as <- <-; exact Ht. }
      destruct (find1_split DA DB h fsA fsB ws i ds _ _ _ _ _ _ HS F F' Ht')
        as [-> [Hb Ht2]].
      injection Hb as ->.
      destruct (IH e2 r2 e2' r2' tA tB HS eq_refl eq_refl Ht2) as [-> [-> ->]].
      destruct r2; injection HA as <- <-; injection HB as <- <-; auto.
    + injection HB as <- <-.
      destruct (search DA fsA ws incs ds) as [e2 r2] eqn:S.
      assert (Ht' : e1' ++ tB = e1 ++ (e2 ++ tA)).
      { rewrite app_assoc. destruct r2; injection HA as <- <-; exact Ht. }
      destruct (find1_split DA DB h fsA fsB ws i ds _ _ _ _ _ _ HS F F' Ht')
        as [_ [Hc _]]. discriminate.
    + injection HA as <- <-.
      destruct (search DB fsB (msnd h ws) incs ds) as [e2' r2'] eqn:S'.
      assert (Ht' : e1' ++ (e2' ++ tB) = e1 ++ tA).
      { rewrite app_assoc. destruct r2'; injection HB as <- <-; exact Ht. }
      destruct (find1_split DA DB h fsA fsB ws i ds _ _ _ _ _ _ HS F F' Ht')
        as [_ [Hc _]]. discriminate.
    + injection HA as <- <-. injection HB as <- <-.
      destruct (find1_split DA DB h fsA fsB ws i ds _ _ _ _ _ _ HS F F' Ht)
        as [-> [_ ->]]. auto.
Qed.

Lemma pre_mapres : forall {A B : Type} (h : A -> B) e (r : Res A),
    pre e (mapres h r) = mapres h (pre e r).
Proof. reflexivity. Qed.

(* If the two runs agree on every probe A makes and every observation A makes, then the run
   in B is the image under h of the run in A. *)
Lemma sim_agree : forall {A B : Type} (DA : Dom A) (DB : Dom B) h fsA fsB,
    Sim DA DB h fsA fsB ->
    forall b env ws,
    (forall q e, In (EExists q e) (trace (run DA fsA env ws b)) -> isS (fsA q) = isS (fsB q)) ->
    (forall o a, In (o, a) (looked (run DA fsA env ws b)) -> dlook DB o (h a) = dlook DA o a) ->
    run DB fsB (map h env) (msnd h ws) b = mapres h (run DA fsA env ws b).
Proof.
  intros A B DA DB h fsA fsB HS. pose proof HS as [HL [HT HO]].
  induction b as [k p bp IHp ba IHa | c nx IH | fl s incs ds bok IHok bmiss IHmiss
                 | ms nx IH | k fl is nx IH | a pr is nx IH | p r nx IH | o r k IH | os];
    intros env ws Hq Hl; simpl in *.
  - (* Read *)
    destruct (probe DA fsA ws k p) as [e [a |]] eqn:P; unfold pre in Hq, Hl; simpl in Hq, Hl;
      rewrite (probe_agree DA DB h fsA fsB ws k p e _ HS P
                 (fun q b H => Hq q b (in_or_app _ _ _ (or_introl H)))); simpl;
      rewrite <- pre_mapres; f_equal.
    + exact (IHp (a :: env) ws (fun q b H => Hq q b (in_or_app _ _ _ (or_intror H))) Hl).
    + exact (IHa env ws (fun q b H => Hq q b (in_or_app _ _ _ (or_intror H))) Hl).
  - (* Lit *)
    replace (dlit DB c) with (h (dlit DA c)) by (rewrite HT; reflexivity).
    exact (IH (dlit DA c :: env) ws Hq Hl).
  - (* Compile *)
    rewrite nth_error_map'. destruct (nth_error env s) as [sa |]; simpl; [| reflexivity].
    destruct (search DA fsA ws incs ds) as [e [hs |]] eqn:S; unfold pre in Hq, Hl;
      simpl in Hq, Hl;
      rewrite (search_agree DA DB h fsA fsB ws ds incs e _ HS S
                 (fun q b H => Hq q b (in_or_app _ _ _ (or_introl H)))); simpl;
      rewrite <- pre_mapres; f_equal.
    + replace (dop DB (OCompile fl) (h sa :: map h hs))
        with (h (dop DA (OCompile fl) (sa :: hs))) by (rewrite HO; reflexivity).
      exact (IHok (dop DA (OCompile fl) (sa :: hs) :: env) ws
               (fun q b H => Hq q b (in_or_app _ _ _ (or_intror H))) Hl).
    + exact (IHmiss env ws (fun q b H => Hq q b (in_or_app _ _ _ (or_intror H))) Hl).
  - (* Archive *)
    rewrite regs_map. destruct (regs env ms) as [xs |]; simpl; [| reflexivity].
    replace (dop DB OArchive (map h xs)) with (h (dop DA OArchive xs)) by (rewrite HO; reflexivity).
    exact (IH (dop DA OArchive xs :: env) ws Hq Hl).
  - (* Link *)
    rewrite regs_map. destruct (regs env is) as [xs |]; simpl; [| reflexivity].
    replace (dop DB (OLink k fl) (map h xs)) with (h (dop DA (OLink k fl) xs))
      by (rewrite HO; reflexivity).
    exact (IH (dop DA (OLink k fl) xs :: env) ws Hq Hl).
  - (* Gen *)
    rewrite nth_error_map'. destruct (nth_error env pr) as [x |]; simpl; [| reflexivity].
    rewrite regs_map. destruct (regs env is) as [xs |]; simpl; [| reflexivity].
    replace (dop DB (OGen a) (h x :: map h xs)) with (h (dop DA (OGen a) (x :: xs)))
      by (rewrite HO; reflexivity).
    exact (IH (dop DA (OGen a) (x :: xs) :: env) ws Hq Hl).
  - (* Write *)
    rewrite nth_error_map'. destruct (nth_error env r) as [x |]; simpl; [| reflexivity].
    exact (IH env ((p, x) :: ws) Hq Hl).
  - (* Observe *)
    rewrite nth_error_map'. destruct (nth_error env r) as [x |]; simpl; [| reflexivity].
    simpl in Hq, Hl.
    rewrite (Hl o x (or_introl eq_refl)).
    rewrite (IH (dlook DA o x) env ws (fun q b H => Hq q b (or_intror H))
               (fun o' a' H => Hl o' a' (or_intror H))).
    reflexivity.
  - (* Done *)
    rewrite regs_map. destruct (regs env (map snd os)) as [xs |]; simpl; [| reflexivity].
    rewrite combine_msnd. reflexivity.
Qed.

(* If the two runs produce the same trace, the run in B is the image under h of the run in A:
   they took the same branches, so they built the same graph. *)
Lemma sim_trace : forall {A B : Type} (DA : Dom A) (DB : Dom B) h fsA fsB,
    Sim DA DB h fsA fsB ->
    forall b env ws,
    trace (run DB fsB (map h env) (msnd h ws) b) = trace (run DA fsA env ws b) ->
    run DB fsB (map h env) (msnd h ws) b = mapres h (run DA fsA env ws b).
Proof.
  intros A B DA DB h fsA fsB HS. pose proof HS as [HL [HT HO]].
  induction b as [k p bp IHp ba IHa | c nx IH | fl s incs ds bok IHok bmiss IHmiss
                 | ms nx IH | k fl is nx IH | a pr is nx IH | p r nx IH | o r k IH | os];
    intros env ws Ht; simpl in *.
  - (* Read *)
    destruct (probe DA fsA ws k p) as [eA oA] eqn:PA.
    destruct (probe DB fsB (msnd h ws) k p) as [eB oB] eqn:PB.
    assert (Hsp : forall tA tB, eB ++ tB = eA ++ tA ->
                  eB = eA /\ oB = option_map h oA /\ tB = tA)
      by (intros tA tB; exact (probe_split DA DB h fsA fsB ws k p eA oA eB oB tA tB HS PA PB)).
    destruct oA as [a |]; destruct oB as [b' |]; unfold pre in Ht; simpl in Ht;
      destruct (Hsp _ _ Ht) as [-> [Ho Ht2]]; try discriminate Ho;
      rewrite <- pre_mapres; f_equal.
    + injection Ho as ->. exact (IHp (a :: env) ws Ht2).
    + exact (IHa env ws Ht2).
  - (* Lit *)
    replace (dlit DB c) with (h (dlit DA c)) in * by (rewrite HT; reflexivity).
    exact (IH (dlit DA c :: env) ws Ht).
  - (* Compile *)
    rewrite nth_error_map' in *. destruct (nth_error env s) as [sa |]; simpl in *;
      [| reflexivity].
    destruct (search DA fsA ws incs ds) as [eA oA] eqn:SA.
    destruct (search DB fsB (msnd h ws) incs ds) as [eB oB] eqn:SB.
    assert (Hsp : forall tA tB, eB ++ tB = eA ++ tA ->
                  eB = eA /\ oB = option_map (map h) oA /\ tB = tA)
      by (intros tA tB;
          exact (search_split DA DB h fsA fsB ws ds incs eA oA eB oB tA tB HS SA SB)).
    destruct oA as [hs |]; destruct oB as [hs' |]; unfold pre in Ht; simpl in Ht;
      destruct (Hsp _ _ Ht) as [-> [Ho Ht2]]; try discriminate Ho;
      rewrite <- pre_mapres; f_equal.
    + injection Ho as ->.
      replace (dop DB (OCompile fl) (h sa :: map h hs))
        with (h (dop DA (OCompile fl) (sa :: hs))) in * by (rewrite HO; reflexivity).
      exact (IHok (dop DA (OCompile fl) (sa :: hs) :: env) ws Ht2).
    + exact (IHmiss env ws Ht2).
  - (* Archive *)
    rewrite regs_map in *. destruct (regs env ms) as [xs |]; simpl in *; [| reflexivity].
    replace (dop DB OArchive (map h xs)) with (h (dop DA OArchive xs)) in *
      by (rewrite HO; reflexivity).
    exact (IH (dop DA OArchive xs :: env) ws Ht).
  - (* Link *)
    rewrite regs_map in *. destruct (regs env is) as [xs |]; simpl in *; [| reflexivity].
    replace (dop DB (OLink k fl) (map h xs)) with (h (dop DA (OLink k fl) xs)) in *
      by (rewrite HO; reflexivity).
    exact (IH (dop DA (OLink k fl) xs :: env) ws Ht).
  - (* Gen *)
    rewrite nth_error_map' in *. destruct (nth_error env pr) as [x |]; simpl in *;
      [| reflexivity].
    rewrite regs_map in *. destruct (regs env is) as [xs |]; simpl in *; [| reflexivity].
    replace (dop DB (OGen a) (h x :: map h xs)) with (h (dop DA (OGen a) (x :: xs))) in *
      by (rewrite HO; reflexivity).
    exact (IH (dop DA (OGen a) (x :: xs) :: env) ws Ht).
  - (* Write *)
    rewrite nth_error_map' in *. destruct (nth_error env r) as [x |]; simpl in *;
      [| reflexivity].
    exact (IH env ((p, x) :: ws) Ht).
  - (* Observe *)
    rewrite nth_error_map' in *. destruct (nth_error env r) as [x |]; simpl in *;
      [| reflexivity].
    injection Ht as Hv Ht2. rewrite Hv in *.
    rewrite (IH (dlook DA o x) env ws Ht2). reflexivity.
  - (* Done *)
    rewrite regs_map. destruct (regs env (map snd os)) as [xs |]; simpl; [| reflexivity].
    rewrite combine_msnd. reflexivity.
Qed.

(* ======================================================================================== *)
(* Nodes: induction, leaves, realization *)

Fixpoint node_ind2 (P : node -> Prop)
    (HL : forall k p h, P (Leaf k p h)) (HT : forall c, P (LitN c))
    (HO : forall o ins, Forall P ins -> P (Op o ins)) (n : node) {struct n} : P n :=
  match n with
  | Leaf k p h => HL k p h
  | LitN c => HT c
  | Op o ins =>
      HO o ins
        ((fix go (l : list node) : Forall P l :=
            match l with
            | [] => @Forall_nil node P
            | m :: l' => @Forall_cons node P m l' (node_ind2 P HL HT HO m) (go l')
            end) ins)
  end.

Lemma map_ext_F : forall {A B : Type} (f g : A -> B) (l : list A),
    Forall (fun x => f x = g x) l -> map f l = map g l.
Proof.
  intros A B f g l H. induction H as [| x l Hx _ IH]; simpl; [reflexivity |].
  rewrite Hx, IH. reflexivity.
Qed.

Lemma leaves_leaf : forall k p h, leaves (Leaf k p h) = [p].
Proof. reflexivity. Qed.

Lemma leaves_op : forall o ins, leaves (Op o ins) = flat_map leaves ins.
Proof.
  intros o ins. unfold leaves. simpl. induction ins as [| m ins IH]; simpl; [reflexivity |].
  rewrite map_app, IH. reflexivity.
Qed.

Lemma in_leaves_lvs : forall p n, In p (leaves n) -> exists h, In (p, h) (lvs n).
Proof.
  intros p n H. unfold leaves in H. apply in_map_iff in H. destruct H as [[p' h] [E H]].
  simpl in E. subst p'. exists h. exact H.
Qed.

Lemma in_lvs_leaves : forall p h n, In (p, h) (lvs n) -> In p (leaves n).
Proof.
  intros p h n H. unfold leaves. apply in_map_iff. exists (p, h). auto.
Qed.

(* The real content of a node depends only on the files at its leaves. *)
Lemma realize_agree : forall T fs1 fs2 n,
    (forall p, In p (leaves n) -> fs1 p = fs2 p) -> realize T fs1 n = realize T fs2 n.
Proof.
  intros T fs1 fs2 n. induction n as [k p h | c | o ins IH] using node_ind2; intros Hag.
  - simpl. rewrite (Hag p (or_introl eq_refl)). reflexivity.
  - reflexivity.
  - simpl. f_equal. apply map_ext_F. rewrite leaves_op in Hag.
    induction IH as [| m ins Hm _ IHins]; [constructor |].
    simpl in Hag. constructor.
    + apply Hm. intros p H. apply Hag. apply in_or_app. left. exact H.
    + apply IHins. intros p H. apply Hag. apply in_or_app. right. exact H.
Qed.

(* Re-reading the leaves of a node from a file system. *)
Fixpoint rehash (hash : list nat -> list nat) (fs : FS) (n : node) : node :=
  match n with
  | Leaf k p h => match fs p with Some c => Leaf k p (hash c) | None => LitN [] end
  | LitN c => LitN c
  | Op o ins => Op o (map (rehash hash fs) ins)
  end.

Lemma realize_rehash : forall T hash fs n, realize T fs (rehash hash fs n) = realize T fs n.
Proof.
  intros T hash fs n. induction n as [k p h | c | o ins IH] using node_ind2.
  - simpl. destruct (fs p) as [c |] eqn:E; simpl; [rewrite E |]; reflexivity.
  - reflexivity.
  - simpl. f_equal. rewrite map_map. apply map_ext_F. exact IH.
Qed.

Lemma map_fixed : forall {A : Type} (f : A -> A) (l : list A),
    map f l = l -> forall x, In x l -> f x = x.
Proof.
  intros A f l. induction l as [| y l IH]; intros E x Hx; [destruct Hx |].
  simpl in E. injection E as E1 E2. destruct Hx as [<- | Hx]; auto.
Qed.

Lemma rehash_fixed_WF : forall hash fs n, rehash hash fs n = n -> WF hash fs n.
Proof.
  intros hash fs n. induction n as [k p h | c | o ins IH] using node_ind2; intros E.
  - simpl in E. destruct (fs p) as [c |] eqn:Ep; [| discriminate E].
    injection E as Eh. intros p' h' H. simpl in H. destruct H as [H | []].
    injection H as <- <-. exists c. auto.
  - intros p h H. destruct H.
  - simpl in E. injection E as E. intros p h H. simpl in H. apply in_flat_map in H.
    destruct H as [m [Hm Hin]]. rewrite Forall_forall in IH.
    exact (IH m Hm (map_fixed _ _ E m Hm) p h Hin).
Qed.

Lemma rehash_id : forall hash fs fs' n, WF hash fs n ->
    (forall p, In p (leaves n) -> fs' p = fs p) -> rehash hash fs' n = n.
Proof.
  intros hash fs fs' n. induction n as [k p h | c | o ins IH] using node_ind2; intros Hwf Hag.
  - simpl. rewrite (Hag p (or_introl eq_refl)).
    destruct (Hwf p h (or_introl eq_refl)) as [c [E ->]]. rewrite E. reflexivity.
  - reflexivity.
  - simpl. f_equal. rewrite <- (map_id ins) at 2. apply map_ext_F.
    rewrite Forall_forall in IH |- *. intros m Hm. apply IH; [exact Hm | |].
    + intros p h H. apply Hwf. simpl. apply in_flat_map. exists m. auto.
    + intros p H. apply Hag. rewrite leaves_op. apply in_flat_map. exists m. auto.
Qed.

Lemma msnd_id : forall {X A : Type} (h : A -> A) (l : list (X * A)),
    (forall x a, In (x, a) l -> h a = a) -> msnd h l = l.
Proof.
  intros X A h l. induction l as [| [x a] l IH]; intros H; simpl; [reflexivity |].
  rewrite (H x a (or_introl eq_refl)). f_equal. apply IH. intros x' a' H'. apply (H x' a').
  right. exact H'.
Qed.

Lemma msnd_fixed : forall {X A : Type} (h : A -> A) (l : list (X * A)),
    msnd h l = l -> forall x a, In (x, a) l -> h a = a.
Proof.
  intros X A h l. induction l as [| [x' a'] l IH]; intros E x a Hin; [destruct Hin |].
  simpl in E. injection E as E1 E2. destruct Hin as [H | H].
  - injection H as <- <-. exact E1.
  - exact (IH E2 x a H).
Qed.

(* ======================================================================================== *)
(* The two runs are related *)

Lemma sim_realize : forall T hash fs fs',
    Sim (tokD T hash fs) (realD T) (realize T fs') fs fs'.
Proof.
  intros T hash fs fs'. split; [| split].
  - intros k p cA cB _ EB. simpl. rewrite EB. reflexivity.
  - intros c. reflexivity.
  - intros o xs. reflexivity.
Qed.

Lemma sim_rehash : forall T hash fs fs',
    Sim (tokD T hash fs) (tokD T hash fs') (rehash hash fs') fs fs'.
Proof.
  intros T hash fs fs'. split; [| split].
  - intros k p cA cB _ EB. simpl. rewrite EB. reflexivity.
  - intros c. reflexivity.
  - intros o xs. reflexivity.
Qed.

(* ---------------------------------------------------------------------------------------- *)
(* T1: factorisation. For every build term and every file system, the real build is the
   realization of the confessed graph, and the two runs see the same trace. *)
Theorem factorisation : forall (T : Toolchain) (hash : list nat -> list nat) (fs : FS)
    (b : build),
    real T fs b = mapres (realize T fs) (confess T hash fs b).
Proof.
  intros T hash fs b.
  exact (sim_agree (tokD T hash fs) (realD T) (realize T fs) fs fs (sim_realize T hash fs fs)
           b [] [] (fun q e _ => eq_refl) (fun o a _ => eq_refl)).
Qed.

Corollary factorisation_trace : forall T hash fs b,
    trace (real T fs b) = trace (confess T hash fs b).
Proof. intros T hash fs b. rewrite (factorisation T hash fs b). reflexivity. Qed.

Corollary factorisation_output : forall T hash fs b o,
    output (real T fs b) o = option_map (realize T fs) (output (confess T hash fs b) o).
Proof.
  intros T hash fs b o. rewrite (factorisation T hash fs b). unfold output, mapres. simpl.
  destruct (outs (confess T hash fs b)) as [G |]; simpl; [| reflexivity].
  apply lookup_msnd.
Qed.

(* Every node confess produces is well formed: its leaves are files of fs, with their hashes. *)
Lemma confess_fixed : forall T hash fs b,
    confess T hash fs b = mapres (rehash hash fs) (confess T hash fs b).
Proof.
  intros T hash fs b.
  exact (sim_agree (tokD T hash fs) (tokD T hash fs) (rehash hash fs) fs fs
           (sim_rehash T hash fs fs) b [] [] (fun q e _ => eq_refl)
           (fun o a _ => f_equal (observe T o) (realize_rehash T hash fs a))).
Qed.

Lemma confess_wf_outs : forall T hash fs b G o n,
    outs (confess T hash fs b) = Some G -> In (o, n) G -> WF hash fs n.
Proof.
  intros T hash fs b G o n EG Hin. apply rehash_fixed_WF.
  pose proof (f_equal outs (confess_fixed T hash fs b)) as E. unfold mapres in E. simpl in E.
  rewrite EG in E. simpl in E. injection E as E.
  exact (msnd_fixed (rehash hash fs) G (eq_sym E) o n Hin).
Qed.

Lemma confess_wf_looked : forall T hash fs b o n,
    In (o, n) (looked (confess T hash fs b)) -> WF hash fs n.
Proof.
  intros T hash fs b o n Hin. apply rehash_fixed_WF.
  pose proof (f_equal looked (confess_fixed T hash fs b)) as E. unfold mapres in E.
  simpl in E.
  exact (msnd_fixed (rehash hash fs) _ (eq_sym E) o n Hin).
Qed.

(* ---------------------------------------------------------------------------------------- *)
(* T5: migration. The graph confessed under fs, realized under any fs' on which the build sees
   the same trace, is the real build under fs'. *)
Theorem migration : forall (T : Toolchain) (hash : list nat -> list nat) (fs fs' : FS)
    (b : build),
    trace (real T fs' b) = trace (real T fs b) ->
    real T fs' b = mapres (realize T fs') (confess T hash fs b).
Proof.
  intros T hash fs fs' b Ht.
  apply (sim_trace (tokD T hash fs) (realD T) (realize T fs') fs fs'
           (sim_realize T hash fs fs') b [] []).
  simpl. change (trace (real T fs' b) = trace (confess T hash fs b)).
  rewrite Ht. apply factorisation_trace.
Qed.

(* A checkable sufficient condition, for confess diff: the probes confess recorded see the
   same existence under fs', and the files of every node confess observed are unchanged. *)
Theorem migration_checkable : forall (T : Toolchain) (hash : list nat -> list nat)
    (fs fs' : FS) (b : build),
    (forall q e, In (EExists q e) (trace (confess T hash fs b)) -> isS (fs' q) = isS (fs q)) ->
    (forall o n, In (o, n) (looked (confess T hash fs b)) ->
       forall p, In p (leaves n) -> fs' p = fs p) ->
    real T fs' b = mapres (realize T fs') (confess T hash fs b).
Proof.
  intros T hash fs fs' b Hq Hl.
  exact (sim_agree (tokD T hash fs) (realD T) (realize T fs') fs fs'
           (sim_realize T hash fs fs') b [] []
           (fun q e H => eq_sym (Hq q e H))
           (fun o n H => f_equal (observe T o) (realize_agree T fs' fs n (Hl o n H)))).
Qed.

Corollary migration_checkable_trace : forall T hash fs fs' b,
    (forall q e, In (EExists q e) (trace (confess T hash fs b)) -> isS (fs' q) = isS (fs q)) ->
    (forall o n, In (o, n) (looked (confess T hash fs b)) ->
       forall p, In p (leaves n) -> fs' p = fs p) ->
    trace (real T fs' b) = trace (real T fs b).
Proof.
  intros T hash fs fs' b Hq Hl. rewrite (migration_checkable T hash fs fs' b Hq Hl).
  rewrite (factorisation_trace T hash fs b). reflexivity.
Qed.

(* With the same trace and unchanged leaf files, confess under fs' produces the same graph,
   node for node (so the same ids). *)
Theorem graph_stable : forall (T : Toolchain) (hash : list nat -> list nat) (fs fs' : FS)
    (b : build) (G : list (nat * node)),
    trace (real T fs' b) = trace (real T fs b) ->
    outs (confess T hash fs b) = Some G ->
    (forall o n, In (o, n) G -> forall p, In p (leaves n) -> fs' p = fs p) ->
    outs (confess T hash fs' b) = Some G.
Proof.
  intros T hash fs fs' b G Ht EG Hag.
  assert (E : confess T hash fs' b = mapres (rehash hash fs') (confess T hash fs b)).
  { apply (sim_trace (tokD T hash fs) (tokD T hash fs') (rehash hash fs') fs fs'
             (sim_rehash T hash fs fs') b [] []).
    simpl. change (trace (confess T hash fs' b) = trace (confess T hash fs b)).
    rewrite <- !factorisation_trace. exact Ht. }
  rewrite E. unfold mapres. simpl. rewrite EG. simpl. f_equal.
  apply msnd_id. intros o n Hin.
  exact (rehash_id hash fs fs' n (confess_wf_outs T hash fs b G o n EG Hin) (Hag o n Hin)).
Qed.

(* The trace condition of migration cannot be dropped: for any two file systems that differ at
   some path p, and any toolchain with an injective observation (cat, say), there is a build
   whose trace differs between them and for which realizing the graph confessed under fs
   under fs' gives the wrong outputs. In that build p is not a leaf of the output node, yet
   the output changes with p: the trace, not only the graph's leaves, is what confess diff
   must compare. *)
Fixpoint obs_eqb (v w : list nat) : bool :=
  match v, w with
  | [], [] => true
  | x :: v', y :: w' => Nat.eqb x y && obs_eqb v' w'
  | _, _ => false
  end.

Lemma obs_eqb_true : forall v w, obs_eqb v w = true -> v = w.
Proof.
  intros v. induction v as [| x v IH]; intros w H; destruct w as [| y w]; simpl in H;
    try discriminate H; [reflexivity |].
  apply andb_true_iff in H. destruct H as [H1 H2]. apply Nat.eqb_eq in H1.
  rewrite H1, (IH w H2). reflexivity.
Qed.

Lemma obs_eqb_refl : forall v, obs_eqb v v = true.
Proof.
  intros v. induction v as [| x v IH]; simpl; [reflexivity |]. rewrite Nat.eqb_refl. exact IH.
Qed.

Definition witness_build (o : okind) (v0 : obs) (p : path) : build :=
  Read RSource p
    (Observe o 0 (fun v => Lit (if obs_eqb v v0 then [0] else [1]) (Done [(0, 0)])))
    (Lit [2] (Done [(0, 0)])).

Theorem migration_needs_trace : forall (T : Toolchain) (hash : list nat -> list nat)
    (o : okind) (fs fs' : FS) (p : path),
    (forall c1 c2, observe T o c1 = observe T o c2 -> c1 = c2) ->
    fs' p <> fs p ->
    exists b,
      trace (real T fs' b) <> trace (real T fs b) /\
      outs (real T fs' b) <> option_map (msnd (realize T fs')) (outs (confess T hash fs b)) /\
      output (real T fs' b) 0 <> output (real T fs b) 0 /\
      (forall G n, outs (confess T hash fs b) = Some G -> lookup Nat.eqb 0 G = Some n ->
         ~ In p (leaves n)).
Proof.
  intros T hash o fs fs' p Hinj Hne.
  exists (witness_build o (match fs p with Some c => observe T o c | None => [] end) p).
  unfold real, confess, witness_build. simpl. unfold probe. simpl.
  destruct (fs p) as [c |] eqn:E; destruct (fs' p) as [c' |] eqn:E'; simpl;
    rewrite ?E; unfold output, pre; simpl; rewrite ?obs_eqb_refl.
  - assert (Hc : c' <> c) by (intros ->; apply Hne; reflexivity).
    destruct (obs_eqb (observe T o c') (observe T o c)) eqn:Eq.
    + apply obs_eqb_true in Eq. exfalso. exact (Hc (Hinj _ _ Eq)).
    + split; [| split; [| split]].
      * intros H. injection H as H. apply Hc. apply Hinj. exact H.
      * intros H. discriminate H.
      * intros H. discriminate H.
      * intros G n EG En. injection EG as <-. simpl in En. injection En as <-. intros [].
  - split; [| split; [| split]].
    + intros H. discriminate H.
    + intros H. discriminate H.
    + intros H. discriminate H.
    + intros G n EG En. injection EG as <-. simpl in En.
      injection En as <-. intros [].
  - split; [| split; [| split]].
    + intros H. discriminate H.
    + destruct (obs_eqb (observe T o c') []); intros H; discriminate H.
    + destruct (obs_eqb (observe T o c') []); intros H; discriminate H.
    + intros G n EG En. injection EG as <-. simpl in En. injection En as <-. intros [].
  - exfalso. apply Hne. reflexivity.
Qed.

(* ======================================================================================== *)
(* T3: completeness. A file that is not a leaf of an output's node does not change that
   output, by any edit that leaves the build's trace unchanged. No hypothesis on the
   toolchain. *)

Lemma lookup_In : forall {X : Type} (o : nat) (G : list (nat * X)) n,
    lookup Nat.eqb o G = Some n -> In (o, n) G.
Proof.
  intros X o G. induction G as [| [o' x] G IH]; intros n H; simpl in H; [discriminate H |].
  destruct (Nat.eqb o o') eqn:E.
  - apply Nat.eqb_eq in E. subst o'. injection H as <-. left. reflexivity.
  - right. exact (IH n H).
Qed.

Theorem completeness : forall (T : Toolchain) (hash : list nat -> list nat) (fs fs' : FS)
    (b : build) (G : list (nat * node)) (o : nat) (n : node),
    outs (confess T hash fs b) = Some G -> lookup Nat.eqb o G = Some n ->
    (forall p, In p (leaves n) -> fs' p = fs p) ->
    trace (real T fs' b) = trace (real T fs b) ->
    output (real T fs' b) o = output (real T fs b) o.
Proof.
  intros T hash fs fs' b G o n EG Eo Hag Ht.
  rewrite (migration T hash fs fs' b Ht), (factorisation T hash fs b).
  unfold output, mapres. simpl. rewrite EG. simpl. rewrite !lookup_msnd, Eo. simpl.
  f_equal. exact (realize_agree T fs' fs n Hag).
Qed.

(* In the words of the dependency relation: every real dependency of an output is a leaf of
   that output's node in the confessed graph. *)
Theorem completeness_dep : forall (T : Toolchain) (hash : list nat -> list nat) (fs : FS)
    (b : build) (o : nat) (f : path),
    depends T fs b o f ->
    exists G n, outs (confess T hash fs b) = Some G /\ lookup Nat.eqb o G = Some n /\
                In f (leaves n).
Proof.
  intros T hash fs b o f [v [Ht Hne]].
  destruct (outs (confess T hash fs b)) as [G |] eqn:EG.
  - destruct (lookup Nat.eqb o G) as [n |] eqn:Eo.
    + exists G, n. split; [reflexivity | split; [exact Eo |]].
      destruct (in_dec path_eq_dec f (leaves n)) as [Hin | Hnin]; [exact Hin |].
      exfalso. apply Hne.
      apply (completeness T hash fs (upd fs f v) b G o n EG Eo); [| exact Ht].
      intros p Hp. apply upd_other. intros ->. exact (Hnin Hp).
    + exfalso. apply Hne.
      rewrite (migration T hash fs (upd fs f v) b Ht), (factorisation T hash fs b).
      unfold output, mapres. simpl. rewrite EG. simpl. rewrite !lookup_msnd, Eo. reflexivity.
  - exfalso. apply Hne.
    rewrite (migration T hash fs (upd fs f v) b Ht), (factorisation T hash fs b).
    unfold output, mapres. simpl. rewrite EG. reflexivity.
Qed.

(* ======================================================================================== *)
(* T2: soundness. Which edges of the graph are real dependencies, and under which hypotheses
   on the toolchain.

   Edges are DIRECT: a tool node has an edge to each of its inputs (object <- source and
   headers, archive <- member, executable <- archive, generated file <- generator program),
   and a leaf is a file. Reachability (a leaf below an output's node) is the transitive
   closure. Soundness for direct edges needs only that the node's tool reads each of its
   inputs (some other content at that position changes its output: [SensitiveOp T o]; for
   the whole toolchain, [Sensitive T]). Soundness of
   transitive reachability needs more: a change must propagate through every node on the way,
   which [Sensitive] does not give (an executable need not change when an archive member it
   does not use changes; [unused_member_example] below). It holds when the tools on the path
   are injective in the position the path goes through ([InjPath], implied by
   [PosInjective]); real linkers are not. *)

Fixpoint replace {X : Type} (i : nat) (x : X) (l : list X) : list X :=
  match l, i with
  | [], _ => []
  | _ :: l', O => x :: l'
  | y :: l', S i' => y :: replace i' x l'
  end.

Lemma replace_nth_same : forall {X : Type} (l : list X) i x,
    nth_error l i = Some x -> replace i x l = l.
Proof.
  intros X l. induction l as [| y l IH]; intros i x H; destruct i as [| i]; simpl in *;
    try discriminate H.
  - injection H as ->. reflexivity.
  - rewrite (IH i x H). reflexivity.
Qed.

Lemma map_replace : forall {X Y : Type} (g : X -> Y) (l : list X) i x,
    map g (replace i x l) = replace i (g x) (map g l).
Proof.
  intros X Y g l. induction l as [| y l IH]; intros i x; destruct i as [| i]; simpl;
    try reflexivity.
  rewrite IH. reflexivity.
Qed.

Lemma replace_inj : forall {X : Type} (l : list X) i x y,
    i < length l -> replace i x l = replace i y l -> x = y.
Proof.
  intros X l. induction l as [| z l IH]; intros i x y Hi E; simpl in Hi.
  - exfalso. exact (Nat.nlt_0_r i Hi).
  - destruct i as [| i]; simpl in E.
    + injection E as E. exact E.
    + injection E as E. apply (IH i x y); [apply Nat.succ_lt_mono; exact Hi | exact E].
Qed.

Lemma nth_error_lt : forall {X : Type} (l : list X) i x, nth_error l i = Some x -> i < length l.
Proof.
  intros X l i x H. apply nth_error_Some. rewrite H. discriminate.
Qed.

Definition count (f : path) (l : list path) : nat := length (filter (path_eqb f) l).

Lemma count_app : forall f l1 l2, count f (l1 ++ l2) = count f l1 + count f l2.
Proof. intros f l1 l2. unfold count. rewrite filter_app, app_length. reflexivity. Qed.

Lemma count_zero : forall f l, count f l = 0 -> ~ In f l.
Proof.
  intros f l. induction l as [| p l IH]; intros H Hin; [exact Hin |].
  unfold count in H. simpl in H. destruct Hin as [-> | Hin].
  - rewrite path_eqb_refl in H. discriminate H.
  - destruct (path_eqb f p); [discriminate H | exact (IH H Hin)].
Qed.

Lemma count_pos : forall f l, 0 < count f l -> In f l.
Proof.
  intros f l. induction l as [| p l IH]; intros H; unfold count in H; simpl in H.
  - exact (Nat.lt_irrefl 0 H).
  - destruct (path_eqb f p) eqn:E.
    + left. apply path_eqb_true in E. symmetry. exact E.
    + right. exact (IH H).
Qed.

Lemma count_flat_ge : forall f ins i m, nth_error ins i = Some m ->
    count f (leaves m) <= count f (flat_map leaves ins).
Proof.
  intros f ins. induction ins as [| y ins IH]; intros i m H; destruct i as [| i]; simpl in H;
    try discriminate H; simpl; rewrite count_app.
  - injection H as ->. apply Nat.le_add_r.
  - rewrite (IH i m H). rewrite Nat.add_comm. apply Nat.le_add_r.
Qed.

Lemma count_flat_pos : forall f ins, 0 < count f (flat_map leaves ins) ->
    exists i m, nth_error ins i = Some m /\ 0 < count f (leaves m).
Proof.
  intros f ins. induction ins as [| y ins IH]; intros H; simpl in H.
  - exact (False_ind _ (Nat.lt_irrefl 0 H)).
  - rewrite count_app in H. destruct (count f (leaves y)) as [| k] eqn:Ey.
    + destruct (IH H) as [i [m [Hi Hm]]]. exists (S i), m. auto.
    + exists 0, y. split; [reflexivity | rewrite Ey; apply Nat.lt_0_succ].
Qed.

Lemma realize_upd_zero : forall T fs f v n,
    count f (leaves n) = 0 -> realize T (upd fs f v) n = realize T fs n.
Proof.
  intros T fs f v n H. apply realize_agree. intros p Hp. apply upd_other.
  intros ->. exact (count_zero f (leaves n) H Hp).
Qed.

Lemma map_realize_zero : forall T fs f v l,
    count f (flat_map leaves l) = 0 -> map (realize T (upd fs f v)) l = map (realize T fs) l.
Proof.
  intros T fs f v l. induction l as [| y l IH]; intros H; simpl; [reflexivity |].
  simpl in H. rewrite count_app in H. apply Nat.eq_add_0 in H. destruct H as [H1 H2].
  rewrite (realize_upd_zero T fs f v y H1), (IH H2). reflexivity.
Qed.

(* When file f is read only below input i of a node, editing f changes only input i. *)
Lemma map_realize_replace : forall T fs f v ins i m,
    nth_error ins i = Some m ->
    count f (flat_map leaves ins) = count f (leaves m) ->
    map (realize T (upd fs f v)) ins = replace i (realize T (upd fs f v) m) (map (realize T fs) ins).
Proof.
  intros T fs f v ins. induction ins as [| y ins IH]; intros i m Hm Hc;
    destruct i as [| i]; simpl in Hm; try discriminate Hm; simpl in Hc |- *;
    rewrite count_app in Hc.
  - injection Hm as <-. f_equal. apply map_realize_zero.
    apply (Nat.add_cancel_l _ 0 (count f (leaves y))). rewrite Nat.add_0_r. exact Hc.
  - pose proof (count_flat_ge f ins i m Hm) as Hge.
    assert (Hy : count f (leaves y) = 0).
    { destruct (count f (leaves y)) as [| k]; [reflexivity |]. exfalso.
      rewrite <- Hc in Hge. simpl in Hge. apply (Nat.nle_succ_diag_l (count f (flat_map leaves ins))).
      eapply Nat.le_trans; [| exact Hge]. apply le_n_S. rewrite Nat.add_comm. apply Nat.le_add_r. }
    rewrite Hy in Hc. simpl in Hc.
    rewrite (realize_upd_zero T fs f v y Hy), (IH i m Hm Hc). reflexivity.
Qed.

(* Hypotheses on the toolchain, stated plainly. *)

(* SENSITIVITY: each tool reads each of its inputs: for any arguments and any input position,
   some other content at that position changes the tool's output. *)
Definition Sensitive (T : Toolchain) : Prop :=
  (* cc reads its source *)
  (forall fl s hs, exists s', cc T fl s' hs <> cc T fl s hs) /\
  (* cc reads each header it found *)
  (forall fl s hs i, i < length hs -> exists x, cc T fl s (replace i x hs) <> cc T fl s hs) /\
  (* ar reads each member *)
  (forall ms i, i < length ms -> exists x, ar T (replace i x ms) <> ar T ms) /\
  (* ld reads each input *)
  (forall k fl xs i, i < length xs -> exists x, ld T k fl (replace i x xs) <> ld T k fl xs) /\
  (* running a program depends on the program *)
  (forall a p xs, exists p', gen T a p' xs <> gen T a p xs) /\
  (* and on each of its inputs *)
  (forall a p xs i, i < length xs -> exists x, gen T a p (replace i x xs) <> gen T a p xs).

(* POSITIONAL INJECTIVITY: with the other inputs fixed, different content at one position
   gives a different output. Stronger than Sensitive; true of ar, not of a linker that drops
   unused archive members, nor of a compiler that ignores comments. *)
Definition PosInjective (T : Toolchain) : Prop :=
  (forall fl s s' hs, cc T fl s hs = cc T fl s' hs -> s = s') /\
  (forall fl s hs i x y, i < length hs ->
     cc T fl s (replace i x hs) = cc T fl s (replace i y hs) -> x = y) /\
  (forall ms i x y, i < length ms -> ar T (replace i x ms) = ar T (replace i y ms) -> x = y) /\
  (forall k fl xs i x y, i < length xs ->
     ld T k fl (replace i x xs) = ld T k fl (replace i y xs) -> x = y) /\
  (forall a p p' xs, gen T a p xs = gen T a p' xs -> p = p') /\
  (forall a p xs i x y, i < length xs ->
     gen T a p (replace i x xs) = gen T a p (replace i y xs) -> x = y).

(* The same properties for one operation, over its input list. *)
Definition SensitiveOp (T : Toolchain) (o : op) : Prop :=
  forall xs i, i < length xs -> exists x, apply_op T o (replace i x xs) <> apply_op T o xs.

Definition PosInjOp (T : Toolchain) (o : op) : Prop :=
  forall xs i x y, i < length xs ->
    apply_op T o (replace i x xs) = apply_op T o (replace i y xs) -> x = y.

Lemma sensitive_op : forall T o, Sensitive T -> SensitiveOp T o.
Proof.
  intros T o [Hs [Hh [Ha [Hl [Hp Hi]]]]] xs i Hlt.
  destruct o as [fl | | k fl | a].
  - destruct xs as [| s hs]; [exfalso; exact (Nat.nlt_0_r i Hlt) |].
    destruct i as [| i]; simpl.
    + exact (Hs fl s hs).
    + apply (Hh fl s hs i). simpl in Hlt. apply Nat.succ_lt_mono. exact Hlt.
  - exact (Ha xs i Hlt).
  - exact (Hl k fl xs i Hlt).
  - destruct xs as [| p hs]; [exfalso; exact (Nat.nlt_0_r i Hlt) |].
    destruct i as [| i]; simpl.
    + exact (Hp a p hs).
    + apply (Hi a p hs i). simpl in Hlt. apply Nat.succ_lt_mono. exact Hlt.
Qed.

Lemma posinj_op : forall T o, PosInjective T -> PosInjOp T o.
Proof.
  intros T o [Hs [Hh [Ha [Hl [Hp Hi]]]]] xs i x y Hlt.
  destruct o as [fl | | k fl | a].
  - destruct xs as [| s hs]; [exfalso; exact (Nat.nlt_0_r i Hlt) |].
    destruct i as [| i]; simpl.
    + exact (Hs fl x y hs).
    + apply (Hh fl s hs i). simpl in Hlt. apply Nat.succ_lt_mono. exact Hlt.
  - exact (Ha xs i x y Hlt).
  - exact (Hl k fl xs i x y Hlt).
  - destruct xs as [| p hs]; [exfalso; exact (Nat.nlt_0_r i Hlt) |].
    destruct i as [| i]; simpl.
    + exact (Hp a x y hs).
    + apply (Hi a p hs i). simpl in Hlt. apply Nat.succ_lt_mono. exact Hlt.
Qed.

Lemma cons_neq : forall (x : nat) (l : list nat), x :: l <> l.
Proof.
  intros x l H. apply (f_equal (@length nat)) in H. simpl in H.
  exact (Nat.neq_succ_diag_l _ H).
Qed.

Lemma nth_replace_same : forall {X : Type} (l : list X) i d,
    i < length l -> replace i (nth i l d) l = l.
Proof.
  intros X l. induction l as [| y l IH]; intros i d H; simpl in H.
  - exfalso. exact (Nat.nlt_0_r i H).
  - destruct i as [| i]; simpl; [reflexivity |].
    rewrite IH; [reflexivity | apply Nat.succ_lt_mono; exact H].
Qed.

(* Positional injectivity implies sensitivity (contents are lists, so there is always another
   one). *)
Lemma posinj_sensitive : forall T, PosInjective T -> Sensitive T.
Proof.
  intros T [Hs [Hh [Ha [Hl [Hp Hi]]]]].
  split; [| split; [| split; [| split; [| split]]]].
  - intros fl s hs. exists (0 :: s). intros E. exact (cons_neq 0 s (Hs fl _ _ hs E)).
  - intros fl s hs i Hlt. exists (0 :: nth i hs []). intros E. apply (cons_neq 0 (nth i hs [])).
    apply (Hh fl s hs i _ _ Hlt). rewrite (nth_replace_same hs i [] Hlt). exact E.
  - intros ms i Hlt. exists (0 :: nth i ms []). intros E. apply (cons_neq 0 (nth i ms [])).
    apply (Ha ms i _ _ Hlt). rewrite (nth_replace_same ms i [] Hlt). exact E.
  - intros k fl xs i Hlt. exists (0 :: nth i xs []). intros E. apply (cons_neq 0 (nth i xs [])).
    apply (Hl k fl xs i _ _ Hlt). rewrite (nth_replace_same xs i [] Hlt). exact E.
  - intros a p xs. exists (0 :: p). intros E. exact (cons_neq 0 p (Hp a _ _ xs E)).
  - intros a p xs i Hlt. exists (0 :: nth i xs []). intros E. apply (cons_neq 0 (nth i xs [])).
    apply (Hi a p xs i _ _ Hlt). rewrite (nth_replace_same xs i [] Hlt). exact E.
Qed.

(* Injectivity along the way from a node down to file f: every tool node whose inputs read f
   is injective in each position. *)
Fixpoint InjPath (T : Toolchain) (f : path) (n : node) : Prop :=
  match n with
  | Op o ins =>
      (In f (flat_map leaves ins) -> PosInjOp T o) /\
      (fix all (l : list node) : Prop :=
         match l with
         | [] => True
         | m :: l' => InjPath T f m /\ all l'
         end) ins
  | _ => True
  end.

Lemma InjPath_op : forall T f o ins, InjPath T f (Op o ins) ->
    (In f (flat_map leaves ins) -> PosInjOp T o) /\ (forall m, In m ins -> InjPath T f m).
Proof.
  intros T f o ins [H1 H2]. split; [exact H1 |]. clear H1.
  induction ins as [| y ins IH]; intros m Hm; [destruct Hm |].
  destruct H2 as [Hy Hins]. destruct Hm as [<- | Hm]; [exact Hy | exact (IH Hins m Hm)].
Qed.

Lemma posinj_injpath : forall T f n, PosInjective T -> InjPath T f n.
Proof.
  intros T f n HP. induction n as [k p h | c | o ins IH] using node_ind2; simpl; try exact I.
  split; [intros _; exact (posinj_op T o HP) |].
  induction IH as [| m ins Hm _ IHins]; [exact I | split; [exact Hm | exact IHins]].
Qed.

Lemma posinj_same : forall T o xs i x y, PosInjOp T o -> nth_error xs i = Some y ->
    apply_op T o (replace i x xs) = apply_op T o xs -> x = y.
Proof.
  intros T o xs i x y HP Hy E. apply (HP xs i x y (nth_error_lt xs i y Hy)).
  rewrite (replace_nth_same xs i y Hy). exact E.
Qed.

(* Editing a file read exactly once below a node, along injective tools, changes the node. *)
Lemma path_sensitive : forall T fs f c c' n,
    fs f = Some c -> c' <> c -> InjPath T f n -> count f (leaves n) = 1 ->
    realize T (upd fs f (Some c')) n <> realize T fs n.
Proof.
  intros T fs f c c' n Hf Hc. induction n as [k p h | d | o ins IH] using node_ind2;
    intros HI Hn.
  - rewrite leaves_leaf in Hn. unfold count in Hn. simpl in Hn.
    destruct (path_eqb f p) eqn:E; [| discriminate Hn].
    apply path_eqb_true in E. subst p. simpl. rewrite upd_same, Hf. exact Hc.
  - discriminate Hn.
  - rewrite leaves_op in Hn. destruct (InjPath_op T f o ins HI) as [HIo HIs].
    assert (Hpos : 0 < count f (flat_map leaves ins)) by (rewrite Hn; apply Nat.lt_0_1).
    destruct (count_flat_pos f ins Hpos) as [i [m [Hm Hmpos]]].
    pose proof (count_flat_ge f ins i m Hm) as Hge. rewrite Hn in Hge.
    assert (Hm1 : count f (leaves m) = 1).
    { apply Nat.le_antisymm; [exact Hge | exact Hmpos]. }
    simpl. rewrite (map_realize_replace T fs f (Some c') ins i m Hm (eq_trans Hn (eq_sym Hm1))).
    intros E.
    assert (HIn : In m ins) by exact (nth_error_In ins i Hm).
    rewrite Forall_forall in IH.
    apply (IH m HIn (HIs m HIn) Hm1).
    apply (posinj_same T o (map (realize T fs) ins) i _ _
             (HIo (count_pos f _ Hpos))).
    + rewrite nth_error_map', Hm. reflexivity.
    + exact E.
Qed.

(* An edit of f that no observation sees keeps the trace, and the real build under the edit is
   the old graph realized under the edit. *)
Lemma edit_unseen : forall T hash fs b f c c',
    fs f = Some c ->
    (forall o m, In (o, m) (looked (confess T hash fs b)) -> ~ In f (leaves m)) ->
    real T (upd fs f (Some c')) b = mapres (realize T (upd fs f (Some c'))) (confess T hash fs b).
Proof.
  intros T hash fs b f c c' Hf Hl. apply migration_checkable.
  - intros q e _. destruct (path_eq_dec q f) as [-> | Hne].
    + rewrite upd_same, Hf. reflexivity.
    + rewrite (upd_other fs f (Some c') q Hne). reflexivity.
  - intros o n Hin p Hp. apply upd_other. intros ->. exact (Hl o n Hin Hp).
Qed.

Lemma wf_leaf_exists : forall hash fs n f, WF hash fs n -> In f (leaves n) ->
    exists c, fs f = Some c.
Proof.
  intros hash fs n f Hwf Hin. destruct (in_leaves_lvs f n Hin) as [h Hh].
  destruct (Hwf f h Hh) as [c [E _]]. exists c. exact E.
Qed.

(* Direct edges between nodes: each input of a tool node is read by the tool: some other
   content at that input changes the node's real content. Given [SensitiveOp T o] (the tool
   of this node reads each input position) this is immediate: the statement only says what a
   node-to-node edge means; the file-level theorems below are the substantial ones. *)
Theorem soundness_edge : forall (T : Toolchain) (fs : FS) (o : op) (ins : list node)
    (i : nat) (m : node),
    SensitiveOp T o -> nth_error ins i = Some m ->
    exists x, apply_op T o (replace i x (map (realize T fs) ins)) <> realize T fs (Op o ins).
Proof.
  intros T fs o ins i m HS Hm.
  apply (HS (map (realize T fs) ins) i).
  rewrite map_length. exact (nth_error_lt ins i m Hm).
Qed.

(* Direct edges to files, for any node (an object inside an archive, say): if file f is read
   at input i of a tool node and nowhere else below it, and the node's tool reads each input
   position ([SensitiveOp], implied for every tool by [Sensitive]), some edit of f changes the
   node's real content. *)
Theorem soundness_leaf_edge : forall (T : Toolchain) (fs : FS) (o : op) (ins : list node)
    (i : nat) (k : rkind) (f : path) (h : list nat),
    SensitiveOp T o -> nth_error ins i = Some (Leaf k f h) -> count f (leaves (Op o ins)) = 1 ->
    exists c', realize T (upd fs f (Some c')) (Op o ins) <> realize T fs (Op o ins).
Proof.
  intros T fs o ins i k f h HS Hm Hc.
  destruct (HS (map (realize T fs) ins) i) as [x Hx].
  { rewrite map_length. exact (nth_error_lt ins i _ Hm). }
  exists x. simpl.
  rewrite leaves_op in Hc.
  assert (Hc' : count f (flat_map leaves ins) = count f (leaves (Leaf k f h))).
  { rewrite Hc, leaves_leaf. unfold count. simpl. rewrite path_eqb_refl. reflexivity. }
  rewrite (map_realize_replace T fs f (Some x) ins i _ Hm Hc'). simpl.
  rewrite upd_same. exact Hx.
Qed.

(* Direct edges from an output to a file, in the sense of [depends]: if output o's node is a
   tool run that reads file f at one input (and nowhere else below it), its tool reads each
   input position ([SensitiveOp]), and no observation of the build looks at a node reading f,
   then output o really depends on f. *)
Theorem soundness_direct : forall (T : Toolchain) (hash : list nat -> list nat) (fs : FS)
    (b : build) (G : list (nat * node)) (o : nat) (opn : op) (ins : list node) (i : nat)
    (k : rkind) (f : path) (h : list nat),
    SensitiveOp T opn ->
    outs (confess T hash fs b) = Some G -> lookup Nat.eqb o G = Some (Op opn ins) ->
    nth_error ins i = Some (Leaf k f h) -> count f (leaves (Op opn ins)) = 1 ->
    (forall o' m, In (o', m) (looked (confess T hash fs b)) -> ~ In f (leaves m)) ->
    depends T fs b o f.
Proof.
  intros T hash fs b G o opn ins i k f h HS EG Eo Hm Hc Hl.
  assert (Hin : In f (leaves (Op opn ins))).
  { apply count_pos. rewrite Hc. apply Nat.lt_0_1. }
  destruct (wf_leaf_exists hash fs _ f (confess_wf_outs T hash fs b G o _ EG (lookup_In o G _ Eo))
              Hin) as [c Hf].
  destruct (soundness_leaf_edge T fs opn ins i k f h HS Hm Hc) as [c' Hc'].
  exists (Some c'). rewrite (edit_unseen T hash fs b f c c' Hf Hl). split.
  - simpl. symmetry. apply factorisation_trace.
  - rewrite (factorisation T hash fs b). unfold output, mapres. simpl. rewrite EG. simpl.
    rewrite !lookup_msnd, Eo. simpl. intros E. injection E as E. exact (Hc' E).
Qed.

(* Transitive reachability, in the sense of [depends]: if file f is read exactly once below
   output o's node, the tools on the way are injective in the position the way goes through,
   and no observation looks at a node reading f, then output o really depends on f. *)
Theorem soundness_path : forall (T : Toolchain) (hash : list nat -> list nat) (fs : FS)
    (b : build) (G : list (nat * node)) (o : nat) (n : node) (f : path),
    outs (confess T hash fs b) = Some G -> lookup Nat.eqb o G = Some n ->
    count f (leaves n) = 1 -> InjPath T f n ->
    (forall o' m, In (o', m) (looked (confess T hash fs b)) -> ~ In f (leaves m)) ->
    depends T fs b o f.
Proof.
  intros T hash fs b G o n f EG Eo Hc HI Hl.
  assert (Hin : In f (leaves n)) by (apply count_pos; rewrite Hc; apply Nat.lt_0_1).
  destruct (wf_leaf_exists hash fs n f (confess_wf_outs T hash fs b G o n EG (lookup_In o G n Eo))
              Hin) as [c Hf].
  exists (@Some content (0 :: c)). rewrite (edit_unseen T hash fs b f c (0 :: c) Hf Hl). split.
  - simpl. symmetry. apply factorisation_trace.
  - rewrite (factorisation T hash fs b). unfold output, mapres. simpl. rewrite EG. simpl.
    rewrite !lookup_msnd, Eo. simpl. intros E. injection E as E.
    exact (path_sensitive T fs f c (0 :: c) n Hf (cons_neq 0 c) HI Hc E).
Qed.

Corollary soundness_injective : forall (T : Toolchain) (hash : list nat -> list nat) (fs : FS)
    (b : build) (G : list (nat * node)) (o : nat) (n : node) (f : path),
    PosInjective T ->
    outs (confess T hash fs b) = Some G -> lookup Nat.eqb o G = Some n ->
    count f (leaves n) = 1 ->
    (forall o' m, In (o', m) (looked (confess T hash fs b)) -> ~ In f (leaves m)) ->
    depends T fs b o f.
Proof.
  intros T hash fs b G o n f HP EG Eo Hc Hl.
  exact (soundness_path T hash fs b G o n f EG Eo Hc (posinj_injpath T f n HP) Hl).
Qed.

(* ======================================================================================== *)
(* T4: identity. Node ids are Merkle hashes, as confess's token ids are: a node's id is the
   hash of its CODE, which holds the node's own fields (kind, path and content hash of a
   leaf; operation, flags, arguments of a tool node) and the ids of its ORDERED inputs. The
   hash is arbitrary. The full serialization [encode] is the code with the identity as hash;
   it is injective. Equal ids of different nodes yield an explicit hash collision. *)

Definition kcode (k : rkind) : nat := match k with RSource => 0 | RHeader => 1 end.
Definition lcode (k : lkind) : nat := match k with LExe => 0 | LShared => 1 | LPartial => 2 end.

(* A length-prefixed chunk. *)
Definition chunk (x : list nat) : list nat := length x :: x.

Definition opcode (o : op) : list nat :=
  match o with
  | OCompile fl => 0 :: chunk fl
  | OArchive => [1]
  | OLink k fl => 2 :: lcode k :: chunk fl
  | OGen a => 3 :: chunk a
  end.

Definition chunks (l : list (list nat)) : list nat := length l :: flat_map chunk l.

Fixpoint mid (hash : list nat -> list nat) (n : node) : list nat :=
  match n with
  | Leaf k p h => hash (0 :: kcode k :: fst p :: snd p :: chunk h)
  | LitN c => hash (1 :: chunk c)
  | Op o ins => hash (2 :: opcode o ++ chunks (map (mid hash) ins))
  end.

(* The string a node's id is the hash of. *)
Definition code (hash : list nat -> list nat) (n : node) : list nat :=
  match n with
  | Leaf k p h => 0 :: kcode k :: fst p :: snd p :: chunk h
  | LitN c => 1 :: chunk c
  | Op o ins => 2 :: opcode o ++ chunks (map (mid hash) ins)
  end.

Lemma mid_code : forall hash n, mid hash n = hash (code hash n).
Proof. intros hash n. destruct n; reflexivity. Qed.

(* The full serialization of a node: its code with the identity as hash. *)
Definition encode (n : node) : list nat := code (fun x => x) n.

Lemma mid_identity : forall n, mid (fun x => x) n = encode n.
Proof. intros n. destruct n; reflexivity. Qed.

(* The id of the flat scheme: the hash of the whole serialization. *)
Definition fid (hash : list nat -> list nat) (n : node) : list nat := hash (encode n).

Lemma app_same_length : forall (x y r1 r2 : list nat),
    length x = length y -> x ++ r1 = y ++ r2 -> x = y /\ r1 = r2.
Proof.
  intros x. induction x as [| a x IH]; intros y r1 r2 Hl E; destruct y as [| b y];
    simpl in Hl; try discriminate Hl; simpl in E.
  - auto.
  - injection Hl as Hl. injection E as -> E. destruct (IH y r1 r2 Hl E) as [-> ->]. auto.
Qed.

Lemma chunk_app : forall x y r1 r2, chunk x ++ r1 = chunk y ++ r2 -> x = y /\ r1 = r2.
Proof.
  intros x y r1 r2 E. simpl in E. injection E as Hl E. exact (app_same_length x y r1 r2 Hl E).
Qed.

Lemma flat_chunk_app : forall l1 l2 r1 r2, length l1 = length l2 ->
    flat_map chunk l1 ++ r1 = flat_map chunk l2 ++ r2 -> l1 = l2 /\ r1 = r2.
Proof.
  intros l1. induction l1 as [| x l1 IH]; intros l2 r1 r2 Hl E; destruct l2 as [| y l2];
    simpl in Hl; try discriminate Hl; simpl in E.
  - auto.
  - injection Hl as Hl. rewrite <- !app_assoc in E.
    destruct (chunk_app x y _ _ E) as [-> E2]. destruct (IH l2 r1 r2 Hl E2) as [-> ->]. auto.
Qed.

Lemma chunks_app : forall l1 l2 r1 r2, chunks l1 ++ r1 = chunks l2 ++ r2 -> l1 = l2 /\ r1 = r2.
Proof.
  intros l1 l2 r1 r2 E. unfold chunks in E. simpl in E. injection E as Hl E.
  exact (flat_chunk_app l1 l2 r1 r2 Hl E).
Qed.

Lemma chunks_inj : forall l1 l2, chunks l1 = chunks l2 -> l1 = l2.
Proof.
  intros l1 l2 E. rewrite <- (app_nil_r (chunks l1)), <- (app_nil_r (chunks l2)) in E.
  exact (proj1 (chunks_app l1 l2 [] [] E)).
Qed.

Lemma opcode_app : forall o1 o2 r1 r2, opcode o1 ++ r1 = opcode o2 ++ r2 -> o1 = o2 /\ r1 = r2.
Proof.
  intros o1 o2 r1 r2 E.
  destruct o1 as [fl1 | | k1 fl1 | a1]; destruct o2 as [fl2 | | k2 fl2 | a2]; simpl in E;
    try discriminate E.
  - injection E as Hl E. destruct (app_same_length _ _ _ _ Hl E) as [-> ->]. auto.
  - injection E as E. subst r2. auto.
  - injection E as Hk Hl E. destruct (app_same_length _ _ _ _ Hl E) as [-> ->].
    destruct k1; destruct k2; simpl in Hk; try discriminate Hk; auto.
  - injection E as Hl E. destruct (app_same_length _ _ _ _ Hl E) as [-> ->]. auto.
Qed.

Definition shape (n : node) : node := match n with Op o _ => Op o [] | _ => n end.
Definition kids (n : node) : list node := match n with Op _ ins => ins | _ => [] end.

Lemma node_eq_shape : forall n1 n2, shape n1 = shape n2 -> kids n1 = kids n2 -> n1 = n2.
Proof.
  intros n1 n2 Hs Hk. destruct n1; destruct n2; simpl in *; try discriminate Hs; auto.
  injection Hs as ->. rewrite Hk. reflexivity.
Qed.

(* One level of the code is injective: equal codes mean the same own fields and inputs with
   the same ids, in the same order. *)
Lemma code_inj : forall hash n1 n2, code hash n1 = code hash n2 ->
    shape n1 = shape n2 /\ map (mid hash) (kids n1) = map (mid hash) (kids n2).
Proof.
  intros hash n1 n2 E.
  destruct n1 as [k1 [a1 b1] h1 | c1 | o1 ins1]; destruct n2 as [k2 [a2 b2] h2 | c2 | o2 ins2];
    simpl in E; try discriminate E; simpl.
  - injection E as Hk Ha Hb Hl E. subst a2 b2.
    rewrite <- (app_nil_r h1), <- (app_nil_r h2) in E.
    destruct (app_same_length _ _ _ _ Hl E) as [-> _].
    destruct k1; destruct k2; simpl in Hk; try discriminate Hk; auto.
  - injection E as Hl E. rewrite <- (app_nil_r c1), <- (app_nil_r c2) in E.
    destruct (app_same_length _ _ _ _ Hl E) as [-> _]. auto.
  - injection E as E. destruct (opcode_app _ _ _ _ E) as [-> E2]. split; [reflexivity |].
    exact (chunks_inj _ _ E2).
Qed.

Lemma map_inj_F : forall {A B : Type} (f : A -> B) (l1 l2 : list A),
    Forall (fun x => forall y, f x = f y -> x = y) l1 -> map f l1 = map f l2 -> l1 = l2.
Proof.
  intros A B f l1 l2 H. revert l2. induction H as [| x l1 Hx _ IH]; intros l2 E;
    destruct l2 as [| y l2]; simpl in E; try discriminate E; [reflexivity |].
  injection E as E1 E2. rewrite (Hx y E1), (IH l2 E2). reflexivity.
Qed.

Theorem encode_injective : forall n1 n2 : node, encode n1 = encode n2 -> n1 = n2.
Proof.
  intros n1. induction n1 as [k p h | c | o ins IH] using node_ind2; intros n2 E;
    destruct (code_inj (fun x => x) _ _ E) as [Hs Hk]; apply node_eq_shape; auto; simpl in Hk |- *.
  - destruct (kids n2); [reflexivity | discriminate Hk].
  - destruct (kids n2); [reflexivity | discriminate Hk].
  - rewrite !(map_ext (mid (fun x => x)) encode mid_identity) in Hk.
    exact (map_inj_F encode ins (kids n2) IH Hk).
Qed.

Definition node_eq_dec (n1 n2 : node) : {n1 = n2} + {n1 <> n2}.
Proof.
  destruct (list_eq_dec Nat.eq_dec (encode n1) (encode n2)) as [E | E].
  - left. exact (encode_injective n1 n2 E).
  - right. intros ->. exact (E eq_refl).
Defined.

Lemma map_neq_pair : forall {B : Type} (f : node -> B) (l1 l2 : list node),
    map f l1 = map f l2 -> l1 <> l2 -> exists x y, In x l1 /\ x <> y /\ f x = f y.
Proof.
  intros B f l1. induction l1 as [| x l1 IH]; intros l2 E Hne; destruct l2 as [| y l2];
    simpl in E; try discriminate E.
  - exfalso. exact (Hne eq_refl).
  - injection E as E1 E2. destruct (node_eq_dec x y) as [-> | Hxy].
    + destruct (IH l2 E2) as [x' [y' [Hin [Hne' Hf]]]].
      * intros ->. exact (Hne eq_refl).
      * exists x', y'. split; [right; exact Hin | auto].
    + exists x, y. split; [left; reflexivity | auto].
Qed.

Lemma code_dec_mid : forall hash n1 n2, mid hash n1 = mid hash n2 ->
    code hash n1 = code hash n2 \/
    (code hash n1 <> code hash n2 /\ hash (code hash n1) = hash (code hash n2)).
Proof.
  intros hash n1 n2 E. rewrite !mid_code in E.
  destruct (list_eq_dec Nat.eq_dec (code hash n1) (code hash n2)) as [Ec | Nc]; auto.
Qed.

(* T4, Merkle ids (what confess computes): equal ids of different nodes give two different
   codes of nodes with the same hash. *)
Theorem id_collision : forall (hash : list nat -> list nat) (n1 n2 : node),
    mid hash n1 = mid hash n2 -> n1 <> n2 ->
    exists m1 m2, code hash m1 <> code hash m2 /\ hash (code hash m1) = hash (code hash m2).
Proof.
  intros hash n1. induction n1 as [k p h | c | o ins IH] using node_ind2; intros n2 E Hne;
    (destruct (code_dec_mid hash _ n2 E) as [Ec | [Nc Eh]];
      [| eexists; exists n2; split; [exact Nc | exact Eh]]);
    destruct (code_inj hash _ _ Ec) as [Hs Hk].
  - exfalso. apply Hne. apply node_eq_shape; [exact Hs |]. simpl in Hk |- *.
    destruct (kids n2); [reflexivity | discriminate Hk].
  - exfalso. apply Hne. apply node_eq_shape; [exact Hs |]. simpl in Hk |- *.
    destruct (kids n2); [reflexivity | discriminate Hk].
  - simpl in Hk.
    destruct (map_neq_pair (mid hash) ins (kids n2) Hk) as [x [y [Hin [Hxy Hf]]]].
    + intros Hki. apply Hne. apply node_eq_shape; [exact Hs | exact Hki].
    + rewrite Forall_forall in IH. exact (IH x Hin y Hf Hxy).
Qed.

Corollary id_eq_cases : forall (hash : list nat -> list nat) (n1 n2 : node),
    mid hash n1 = mid hash n2 -> n1 = n2 \/ exists x y, x <> y /\ hash x = hash y.
Proof.
  intros hash n1 n2 E. destruct (node_eq_dec n1 n2) as [Heq | Hne]; [left; exact Heq |].
  right. destruct (id_collision hash n1 n2 E Hne) as [m1 [m2 [H1 H2]]].
  exists (code hash m1), (code hash m2). auto.
Qed.

(* T4, flat ids: the collision is exactly encode n1, encode n2. *)
Theorem flat_id_collision : forall (hash : list nat -> list nat) (n1 n2 : node),
    fid hash n1 = fid hash n2 -> n1 <> n2 ->
    encode n1 <> encode n2 /\ hash (encode n1) = hash (encode n2).
Proof.
  intros hash n1 n2 E Hne. split; [| exact E].
  intros Ee. exact (Hne (encode_injective n1 n2 Ee)).
Qed.

(* Ids depend on content: leaves at the same path with different contents have different
   encodings unless the content hash collides, and equal ids for them yield a collision. *)
Theorem encode_leaf_content : forall (hash : list nat -> list nat) k p c1 c2,
    hash c1 <> hash c2 -> encode (Leaf k p (hash c1)) <> encode (Leaf k p (hash c2)).
Proof.
  intros hash k p c1 c2 Hh E. apply encode_injective in E. injection E as E. exact (Hh E).
Qed.

Theorem leaf_id_content : forall (hash : list nat -> list nat) k p c1 c2,
    c1 <> c2 -> mid hash (Leaf k p (hash c1)) = mid hash (Leaf k p (hash c2)) ->
    exists x y, x <> y /\ hash x = hash y.
Proof.
  intros hash k p c1 c2 Hc E.
  destruct (list_eq_dec Nat.eq_dec (hash c1) (hash c2)) as [Eh | Nh].
  - exists c1, c2. auto.
  - destruct (id_eq_cases hash _ _ E) as [Ee | Hcol]; [| exact Hcol].
    injection Ee as Ee. exfalso. exact (Nh Ee).
Qed.

(* Ids depend on the order of inputs. *)
Theorem encode_order : forall o (a b : node),
    a <> b -> encode (Op o [a; b]) <> encode (Op o [b; a]).
Proof.
  intros o a b Hab E. apply encode_injective in E. injection E as E. exact (Hab E).
Qed.

Lemma wf_sub : forall hash fs o ins m, WF hash fs (Op o ins) -> In m ins -> WF hash fs m.
Proof.
  intros hash fs o ins m Hwf Hm p h Hin. apply Hwf. simpl. apply in_flat_map.
  exists m. auto.
Qed.

(* Content addressing is sound up to collisions: two well-formed nodes (each leaf's hash is
   its file's content hash, in two possibly different file systems) with the same id have
   the same real content, or the hash has a collision. *)
Theorem id_content : forall (T : Toolchain) (hash : list nat -> list nat) (fs1 fs2 : FS)
    (n1 n2 : node),
    WF hash fs1 n1 -> WF hash fs2 n2 -> mid hash n1 = mid hash n2 ->
    realize T fs1 n1 = realize T fs2 n2 \/ exists x y, x <> y /\ hash x = hash y.
Proof.
  intros T hash fs1 fs2 n1. induction n1 as [k p h | c | o ins IH] using node_ind2;
    intros n2 W1 W2 E;
    (destruct (code_dec_mid hash _ n2 E) as [Ec | [Nc Eh]];
      [| right; do 2 eexists; split; [exact Nc | exact Eh]]);
    destruct (code_inj hash _ _ Ec) as [Hs Hk];
    destruct n2 as [k2 p2 h2 | c2 | o2 ins2]; simpl in Hs; try discriminate Hs.
  - injection Hs as <- <- <-.
    destruct (W1 p h (or_introl eq_refl)) as [c1 [E1 H1]].
    destruct (W2 p h (or_introl eq_refl)) as [c2 [E2 H2]].
    destruct (list_eq_dec Nat.eq_dec c1 c2) as [-> | Nc].
    + left. simpl. rewrite E1, E2. reflexivity.
    + right. exists c1, c2. split; [exact Nc | rewrite <- H1, <- H2; reflexivity].
  - injection Hs as <-. left. reflexivity.
  - injection Hs as <-. simpl in Hk.
    assert (L : map (realize T fs1) ins = map (realize T fs2) ins2 \/
                exists x y, x <> y /\ hash x = hash y).
    { assert (W1' : forall m, In m ins -> WF hash fs1 m) by (intros m; apply (wf_sub _ _ o); exact W1).
      assert (W2' : forall m, In m ins2 -> WF hash fs2 m) by (intros m; apply (wf_sub _ _ o); exact W2).
      clear W1 W2 Ec E. revert ins2 Hk W2'.
      induction IH as [| x ins Hx _ IHins]; intros ins2 Hk W2'; destruct ins2 as [| y ins2];
        simpl in Hk; try discriminate Hk; [left; reflexivity |].
      injection Hk as Hk1 Hk2.
      destruct (Hx y (W1' x (or_introl eq_refl)) (W2' y (or_introl eq_refl)) Hk1) as [Ex | Col];
        [| right; exact Col].
      destruct (IHins (fun m H => W1' m (or_intror H)) ins2 Hk2 (fun m H => W2' m (or_intror H)))
        as [Es | Col]; [| right; exact Col].
      left. simpl. rewrite Ex, Es. reflexivity. }
    destruct L as [L | Col]; [left; simpl; rewrite L; reflexivity | right; exact Col].
Qed.

(* For nodes that confess produced (under two file systems, for two builds). *)
Corollary confess_id_content : forall (T : Toolchain) (hash : list nat -> list nat)
    (fs1 fs2 : FS) (b1 b2 : build) G1 G2 o1 o2 n1 n2,
    outs (confess T hash fs1 b1) = Some G1 -> In (o1, n1) G1 ->
    outs (confess T hash fs2 b2) = Some G2 -> In (o2, n2) G2 ->
    mid hash n1 = mid hash n2 ->
    realize T fs1 n1 = realize T fs2 n2 \/ exists x y, x <> y /\ hash x = hash y.
Proof.
  intros T hash fs1 fs2 b1 b2 G1 G2 o1 o2 n1 n2 E1 H1 E2 H2 E.
  exact (id_content T hash fs1 fs2 n1 n2 (confess_wf_outs T hash fs1 b1 G1 o1 n1 E1 H1)
           (confess_wf_outs T hash fs2 b2 G2 o2 n2 E2 H2) E).
Qed.

(* ======================================================================================== *)
(* The hypotheses are satisfiable, and the statements are not vacuous *)

(* A toolchain that serializes its arguments: positionally injective, hence sensitive, and
   its observation [OCat] (every observation, here) is injective. *)
Definition exT : Toolchain :=
  mkToolchain
    (fun fl s hs => chunks (fl :: s :: hs))
    (fun ms => chunks ms)
    (fun k fl xs => chunks ([lcode k] :: fl :: xs))
    (fun a p xs => chunks (a :: p :: xs))
    (fun _ c => c).

Lemma exT_posinj : PosInjective exT.
Proof.
  split; [| split; [| split; [| split; [| split]]]]; simpl.
  - intros fl s s' hs E. apply chunks_inj in E. injection E as E. exact E.
  - intros fl s hs i x y Hi E. apply chunks_inj in E. injection E as E.
    exact (replace_inj hs i x y Hi E).
  - intros ms i x y Hi E. apply chunks_inj in E. exact (replace_inj ms i x y Hi E).
  - intros k fl xs i x y Hi E. apply chunks_inj in E. injection E as E.
    exact (replace_inj xs i x y Hi E).
  - intros a p p' xs E. apply chunks_inj in E. injection E as E. exact E.
  - intros a p xs i x y Hi E. apply chunks_inj in E. injection E as E.
    exact (replace_inj xs i x y Hi E).
Qed.

Lemma exT_sensitive : Sensitive exT.
Proof. exact (posinj_sensitive exT exT_posinj). Qed.

Lemma exT_observe_injective : forall o c1 c2, observe exT o c1 = observe exT o c2 -> c1 = c2.
Proof. intros o c1 c2 E. exact E. Qed.

(* A linker that only uses the first member of each archive it links (the member defining the
   symbol the program needs): still sensitive in every input, not injective. *)
Definition head_chunk (c : content) : content :=
  match c with
  | _ :: n :: rest => firstn n rest
  | _ => []
  end.

Definition exU : Toolchain :=
  mkToolchain
    (fun fl s hs => chunks (fl :: s :: hs))
    (fun ms => chunks ms)
    (fun k fl xs => chunks (map head_chunk xs))
    (fun a p xs => chunks (a :: p :: xs))
    (fun _ c => c).

Lemma single_succ_neq : forall l : list nat, [S (hd 0 l)] <> l.
Proof.
  intros l E. destruct l as [| a l]; [discriminate E |].
  injection E as E _. exact (Nat.neq_succ_diag_l a E).
Qed.

Lemma exU_sensitive : Sensitive exU.
Proof.
  destruct exT_sensitive as [Hs [Hh [Ha [_ [Hp Hi]]]]].
  split; [exact Hs | split; [exact Hh | split; [exact Ha | split; [| split; [exact Hp | exact Hi]]]]].
  intros k fl xs i Hlt. simpl.
  exists [1; 1; S (hd 0 (head_chunk (nth i xs [])))]. intros E. apply chunks_inj in E.
  assert (E2 : map head_chunk (replace i [1; 1; S (hd 0 (head_chunk (nth i xs [])))] xs) =
               map head_chunk (replace i (nth i xs []) xs)).
  { rewrite (nth_replace_same xs i [] Hlt). exact E. }
  rewrite !map_replace in E2. apply replace_inj in E2; [| rewrite map_length; exact Hlt].
  simpl in E2. exact (single_succ_neq _ E2).
Qed.

Lemma exU_not_posinj : ~ PosInjective exU.
Proof.
  intros [_ [_ [_ [Hl _]]]].
  assert (E : ld exU LExe [] (replace 0 [1; 0; 5] [[]]) = ld exU LExe [] (replace 0 [1; 0; 6] [[]]))
    by reflexivity.
  discriminate (Hl LExe [] [[]] 0 _ _ (Nat.lt_0_1) E).
Qed.

Notation used_c := (1, 30) (only parsing).
Notation unused_c := (1, 31) (only parsing).

Definition fsU : FS :=
  fun p => if path_eqb p used_c then Some [5] else if path_eqb p unused_c then Some [6] else None.

(* used.c and unused.c compiled, archived as [used.o; unused.o], linked into an executable. *)
Definition unused_build : build :=
  Read RSource used_c
    (Compile [] 0 [] []
      (Read RSource unused_c
        (Compile [] 0 [] []
          (Archive [2; 0]
            (Link LExe [] [0] (Done [(0, 0)])))
          (Done []))
        (Done []))
      (Done []))
    (Done []).

(* Why soundness is stated for direct edges: with a sensitive toolchain, unused.c is a leaf of
   the executable's node, its object really depends on it (a direct edge), and yet no edit of
   unused.c that the build does not see changes the executable. *)
Theorem unused_member_example : forall hash : list nat -> list nat,
    Sensitive exU /\
    (exists G n, outs (confess exU hash fsU unused_build) = Some G /\
                 lookup Nat.eqb 0 G = Some n /\ In unused_c (leaves n)) /\
    (exists c', realize exU (upd fsU unused_c (Some c'))
                  (Op (OCompile []) [Leaf RSource unused_c (hash [6])]) <>
                realize exU fsU (Op (OCompile []) [Leaf RSource unused_c (hash [6])])) /\
    ~ depends exU fsU unused_build 0 unused_c.
Proof.
  intros hash. split; [exact exU_sensitive | split; [| split]].
  - eexists. eexists. split; [reflexivity | split; [reflexivity |]].
    simpl. unfold leaves. simpl. auto.
  - apply (soundness_leaf_edge exU fsU (OCompile []) [Leaf RSource unused_c (hash [6])] 0
             RSource unused_c (hash [6]) (sensitive_op exU (OCompile []) exU_sensitive)
             eq_refl eq_refl).
  - intros [v [Ht Hne]]. destruct v as [c' |].
    + apply Hne. reflexivity.
    + discriminate Ht.
Qed.

Notation src_c := (1, 40) (only parsing).

Definition fsS : FS := fun p => if path_eqb p src_c then Some [7] else None.

Definition simple_build : build :=
  Read RSource src_c (Compile [] 0 [] [] (Link LExe [] [0] (Done [(0, 0)])) (Done [])) (Done []).

Definition object_build : build :=
  Read RSource src_c (Compile [] 0 [] [] (Done [(0, 0)]) (Done [])) (Done []).

(* The hypotheses of soundness_path (through soundness_injective) hold of an actual build. *)
Theorem soundness_example : depends exT fsS simple_build 0 src_c.
Proof.
  apply (soundness_injective exT (fun x => x) fsS simple_build
           [(0, Op (OLink LExe []) [Op (OCompile []) [Leaf RSource src_c [7]]])] 0
           (Op (OLink LExe []) [Op (OCompile []) [Leaf RSource src_c [7]]]) src_c exT_posinj);
    try reflexivity.
  intros o m H. destruct H.
Qed.

(* The hypotheses of soundness_direct hold of an actual build, with a toolchain that is only
   sensitive (not injective). *)
Theorem soundness_direct_example : depends exU fsS object_build 0 src_c.
Proof.
  apply (soundness_direct exU (fun x => x) fsS object_build
           [(0, Op (OCompile []) [Leaf RSource src_c [7]])] 0 (OCompile [])
           [Leaf RSource src_c [7]] 0 RSource src_c [7]
           (sensitive_op exU (OCompile []) exU_sensitive)); try reflexivity.
  intros o m H. destruct H.
Qed.

(* migration_needs_trace has instances. *)
Corollary needs_trace_example : exists b,
    trace (real exT (fun p => if path_eqb p src_c then Some [8] else None) b) <>
      trace (real exT fsS b) /\
    outs (real exT (fun p => if path_eqb p src_c then Some [8] else None) b) <>
      option_map (msnd (realize exT (fun p => if path_eqb p src_c then Some [8] else None)))
        (outs (confess exT (fun x => x) fsS b)).
Proof.
  destruct (migration_needs_trace exT (fun x => x) OCat fsS
              (fun p => if path_eqb p src_c then Some [8] else None) src_c
              (exT_observe_injective OCat) ltac:(discriminate)) as [b [H1 [H2 _]]].
  exists b. auto.
Qed.

(* ======================================================================================== *)
(* T6: phases are terms. A configure probe (compile a test program against an include
   search, observe the compiler's verdict) writes config.h, which the build phase's include
   search finds; and a generator program built by the build is run to produce a header. *)

Notation srcdir := 1 (only parsing).
Notation sysdir := 2 (only parsing).
Notation blddir := 3 (only parsing).
Notation conftest_c := (1, 10) (only parsing).
Notation foo_h := 11 (only parsing).
Notation config_h := 12 (only parsing).
Notation main_c := (1, 13) (only parsing).

Definition config_yes : content := [1].   (* #define HAVE_FOO_H 1 *)
Definition config_no : content := [0].

Definition after_configure (have : bool) : build :=
  Lit (if have then config_yes else config_no)
    (Write (blddir, config_h) 0
      (Read RSource main_c
        (Compile [] 0 [config_h] [blddir; srcdir]
          (Link LExe [] [0] (Done [(0, 0)]))
          (Done []))
        (Done []))).

Definition configure_example : build :=
  Read RSource conftest_c
    (Compile [] 0 [foo_h] [sysdir]
      (Observe OExit 0 (fun v => after_configure (obs_eqb v [0])))
      (after_configure false))
    (after_configure false).

Theorem configure_graph : forall (T : Toolchain) (hash : list nat -> list nat) (fs : FS)
    (tc fh mc : content),
    fs conftest_c = Some tc -> fs (sysdir, foo_h) = Some fh -> fs main_c = Some mc ->
    observe T OExit (cc T [] tc [fh]) = [0] ->
    confess T hash fs configure_example =
      mkRes [EExists conftest_c true; EExists (sysdir, foo_h) true; EObs OExit [0];
             EExists main_c true]
            [(OExit, Op (OCompile []) [Leaf RSource conftest_c (hash tc);
                                       Leaf RHeader (sysdir, foo_h) (hash fh)])]
            (Some [(0, Op (OLink LExe [])
                         [Op (OCompile []) [Leaf RSource main_c (hash mc); LitN config_yes]])]).
Proof.
  intros T hash fs tc fh mc H1 H2 H3 Hobs.
  unfold confess, configure_example, after_configure. simpl. unfold probe. simpl.
  rewrite H1. simpl. rewrite H2. simpl. rewrite H1, H2, Hobs. simpl. rewrite H3. simpl.
  reflexivity.
Qed.

(* The build phase after a configure that observed "foo.h usable" is valid for every file
   system whose configure observes the same: the graph confessed under fs, realized under
   fs', is the real build under fs'. *)
Theorem configure_phase : forall (T : Toolchain) (hash : list nat -> list nat) (fs fs' : FS)
    (tc fh mc tc' fh' mc' : content),
    fs conftest_c = Some tc -> fs (sysdir, foo_h) = Some fh -> fs main_c = Some mc ->
    observe T OExit (cc T [] tc [fh]) = [0] ->
    fs' conftest_c = Some tc' -> fs' (sysdir, foo_h) = Some fh' -> fs' main_c = Some mc' ->
    observe T OExit (cc T [] tc' [fh']) = [0] ->
    real T fs' configure_example = mapres (realize T fs') (confess T hash fs configure_example) /\
    outs (real T fs' configure_example) = Some [(0, ld T LExe [] [cc T [] mc' [config_yes]])].
Proof.
  intros T hash fs fs' tc fh mc tc' fh' mc' H1 H2 H3 Ho H1' H2' H3' Ho'.
  assert (Ht : trace (real T fs' configure_example) = trace (real T fs configure_example)).
  { rewrite !(factorisation_trace T hash).
    rewrite (configure_graph T hash fs' tc' fh' mc' H1' H2' H3' Ho').
    rewrite (configure_graph T hash fs tc fh mc H1 H2 H3 Ho). reflexivity. }
  pose proof (migration T hash fs fs' configure_example Ht) as M. split; [exact M |].
  rewrite M, (configure_graph T hash fs tc fh mc H1 H2 H3 Ho). simpl. rewrite H3'. reflexivity.
Qed.

Notation gen_c := (1, 20) (only parsing).
Notation spec_txt := (1, 21) (only parsing).
Notation gen_h := 22 (only parsing).
Notation app_c := (1, 23) (only parsing).

(* Build a generator, run it on a spec to write gen.h, compile app.c against it. *)
Definition codegen_example : build :=
  Read RSource gen_c
    (Compile [] 0 [] []
      (Link LExe [] [0]
        (Read RSource spec_txt
          (Gen [] 1 [0]
            (Write (blddir, gen_h) 0
              (Read RSource app_c
                (Compile [] 0 [gen_h] [blddir; srcdir]
                  (Link LExe [] [0] (Done [(0, 0)]))
                  (Done []))
                (Done []))))
          (Done [])))
      (Done []))
    (Done []).

Definition codegen_node (hash : list nat -> list nat) (gc sc mc : content) : node :=
  Op (OLink LExe [])
    [Op (OCompile [])
       [Leaf RSource app_c (hash mc);
        Op (OGen []) [Op (OLink LExe []) [Op (OCompile []) [Leaf RSource gen_c (hash gc)]];
                      Leaf RSource spec_txt (hash sc)]]].

Theorem codegen_graph : forall (T : Toolchain) (hash : list nat -> list nat) (fs : FS)
    (gc sc mc : content),
    fs gen_c = Some gc -> fs spec_txt = Some sc -> fs app_c = Some mc ->
    confess T hash fs codegen_example =
      mkRes [EExists gen_c true; EExists spec_txt true; EExists app_c true] []
            (Some [(0, codegen_node hash gc sc mc)]).
Proof.
  intros T hash fs gc sc mc H1 H2 H3.
  unfold confess, codegen_example. simpl. unfold probe. simpl.
  rewrite H1. simpl. rewrite H2. simpl. rewrite H3. simpl. reflexivity.
Qed.

(* The generated header is a node of the graph (not a file hash), the generator program is
   its input, and no observation is needed: the graph is valid for every file system in
   which the three files exist, whatever their contents. *)
Theorem codegen_phase : forall (T : Toolchain) (hash : list nat -> list nat) (fs fs' : FS)
    (gc sc mc gc' sc' mc' : content),
    fs gen_c = Some gc -> fs spec_txt = Some sc -> fs app_c = Some mc ->
    fs' gen_c = Some gc' -> fs' spec_txt = Some sc' -> fs' app_c = Some mc' ->
    real T fs' codegen_example = mapres (realize T fs') (confess T hash fs codegen_example) /\
    outs (real T fs' codegen_example) =
      Some [(0, ld T LExe [] [cc T [] mc' [gen T [] (ld T LExe [] [cc T [] gc' []]) [sc']]])].
Proof.
  intros T hash fs fs' gc sc mc gc' sc' mc' H1 H2 H3 H1' H2' H3'.
  assert (Ht : trace (real T fs' codegen_example) = trace (real T fs codegen_example)).
  { rewrite !(factorisation_trace T hash).
    rewrite (codegen_graph T hash fs' gc' sc' mc' H1' H2' H3').
    rewrite (codegen_graph T hash fs gc sc mc H1 H2 H3). reflexivity. }
  pose proof (migration T hash fs fs' codegen_example Ht) as M.
  split; [exact M |].
  rewrite M, (codegen_graph T hash fs gc sc mc H1 H2 H3). simpl.
  rewrite H1', H2', H3'. reflexivity.
Qed.

(* The kinds of the codegen graph's nodes: the output is an executable, the header is a
   generated file whose first input is the generator, an executable. *)
Lemma codegen_kinds : forall hash gc sc mc,
    match codegen_node hash gc sc mc with
    | Op _ [Op _ [_; Op g (prog :: _) as genh]] as out =>
        kind_of out = KExe /\ kind_of genh = KGenerated /\ kind_of prog = KExe
    | _ => False
    end.
Proof. intros hash gc sc mc. simpl. auto. Qed.

(* Include scanning is an observation: which headers a compile searches for is read from the
   source (its #include lines), so it is a look inside an artifact. A compile whose include
   list comes from the source is this term; changing a source's #include lines changes the
   OScan value in the trace, and migration then asks for a new confession. *)
Definition compile_scanned (fl : list nat) (p : path) (dirs : list nat)
    (ok missing : build) : build :=
  Read RSource p
    (Observe OScan 0 (fun incs => Compile fl 0 incs dirs ok missing))
    missing.

Lemma compile_scanned_trace : forall T hash fs fl p dirs ok missing c,
    fs p = Some c ->
    exists rest,
      trace (confess T hash fs (compile_scanned fl p dirs ok missing)) =
        EExists p true :: EObs OScan (observe T OScan c) :: rest.
Proof.
  intros T hash fs fl p dirs ok missing c H. unfold confess, compile_scanned. simpl.
  unfold probe. simpl. rewrite H. simpl. rewrite H. eexists. reflexivity.
Qed.
